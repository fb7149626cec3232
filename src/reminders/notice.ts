// One notice of one token, in the three forms the sweep needs: the outcome it reports (CLI lines, JSON,
// logs), the audit event written beside its token_notices row, and the email itself; and the sending of
// a claimed notice, shared by the expiry reminders and the inactivity policy's two notices.
import type { Db } from '../db/db.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import { sendFailure } from '../errors.js';
import { type EventRow, insertEvent } from '../tokens/event-store.js';
import { messageIdFor, renderNotice, tokenPageUrl } from './templates.js';
import type { IdleNoticeKind } from './inactivity.js';
import type { NoticeKind } from './schedule.js';
import { type Candidate, finishNotice, type NoticeKey } from './store.js';

export type OutcomeStatus = 'sent' | 'skipped' | 'failed' | 'would_send' | 'would_skip';

export interface NoticeOutcome {
  status: OutcomeStatus;
  /** An expiry reminder's kind, or one of the inactivity policy's (SPEC 12). */
  kind: NoticeKind | IdleNoticeKind;
  tokenId: string;
  tokenName: string;
  display: string;
  institution: string;
  /** The expiry an expiry reminder is about; null for the inactivity policy's notices. */
  expiresAt: string | null;
  recipients: string[];
  reason: string | null;
}

export const noticeKey = (token: Candidate, kind: NoticeKind): NoticeKey => ({
  tokenId: token.id,
  kind,
  expiresAt: token.expiresAt,
});

export function outcomeOf(
  token: Candidate,
  kind: NoticeKind,
  status: OutcomeStatus,
  recipients: string[],
  reason: string | null,
): NoticeOutcome {
  return {
    status,
    kind,
    tokenId: token.id,
    tokenName: token.name,
    display: token.display,
    institution: token.institutionName,
    expiresAt: token.expiresAt.toISOString(),
    recipients,
    reason,
  };
}

/** `token.reminder_sent` / `token.reminder_skipped`, by the system. */
export function noticeEvent(
  token: Candidate,
  type: 'token.reminder_sent' | 'token.reminder_skipped',
  at: Date,
  kind: NoticeKind,
  reason?: string,
): EventRow {
  const details = { kind, expiresAt: token.expiresAt.toISOString(), ...(reason ? { reason } : {}) };
  return {
    institutionId: token.institutionId,
    tokenId: token.id,
    type,
    at,
    actorId: null,
    ip: null,
    details,
  };
}

export function noticeEmail(
  token: Candidate,
  kind: NoticeKind,
  to: string[],
  publicUrl: string,
): MailMessage {
  const rendered = renderNotice({
    kind,
    tokenId: token.id,
    tokenName: token.name,
    display: token.display,
    institution: token.institutionName,
    expiresAt: token.expiresAt,
    url: tokenPageUrl(publicUrl, token.institutionHosts, token.id),
  });
  return {
    to,
    ...rendered,
    messageId: messageIdFor(token.id, kind, token.expiresAt),
    // For recipients' mail filters.
    headers: { 'X-Tokend-Notice': kind, 'X-Tokend-Token-Id': token.id },
  };
}

export interface SendDeps {
  db: Db;
  mailer: Mailer;
  clock: () => Date;
  /** Names this process's claims: a claim another sweep took over is not marked by this one. */
  worker: string;
}

/**
 * Sends a notice this sweep has claimed and settles the claim: a failed send records its error there (a
 * later sweep tries again) and counts in `mail.failuresInARow`; a sent one is marked with its
 * `token.reminder_sent` event (`event`), unless another sweep took the claim over meanwhile (then that
 * one records it). Answers null when sent, else the failure's reason.
 */
export async function sendClaimed(
  deps: SendDeps,
  key: NoticeKey,
  email: MailMessage,
  event: (sentAt: Date) => EventRow,
  mail: { failuresInARow: number },
): Promise<string | null> {
  try {
    await deps.mailer.send(email);
  } catch (error) {
    const reason = sendFailure(error);
    await finishNotice(deps.db, key, deps.worker, { error: reason });
    mail.failuresInARow += 1;
    return reason;
  }
  mail.failuresInARow = 0;
  const sentAt = deps.clock();
  await deps.db.transaction(async (tx) => {
    if (await finishNotice(tx, key, deps.worker, { sentAt })) await insertEvent(tx, event(sentAt));
  });
  return null;
}
