// One notice of one token, in the three forms the sweep needs: the outcome it reports (CLI lines, JSON,
// logs), the audit event written beside its token_notices row, and the email itself.
import type { MailMessage } from '../mail/mailer.js';
import { messageIdFor, renderNotice, tokenPageUrl } from './templates.js';
import type { EventRow } from '../tokens/event-store.js';
import type { IdleNoticeKind } from './inactivity.js';
import type { NoticeKind } from './schedule.js';
import type { Candidate, NoticeKey } from './store.js';

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
