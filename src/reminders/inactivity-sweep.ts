// The sweep's inactivity pass (SPEC 12): warns each idle spell once, suspends a token a week after its
// warning at the earliest (through the token service's guarded change), then sends each such
// suspension's notice once. Both emails go through token_notices claims like the expiry reminders: a
// committed claim before SMTP, marked after, so two sweeps at once send each once between them, and a
// suspension whose notice was not sent (a crash, the mail server down) is noticed by a later sweep.
import type { Db } from '../db/db.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import type { TokenService } from '../tokens/service.js';
import { insertEvent } from '../tokens/event-store.js';
import { type IdleNoticeKind, idlePlan, suspensionAt } from './inactivity.js';
import { renderIdleNotice } from './inactivity-templates.js';
import { claimIdleNotice, type IdleToken, listIdle, listSuspendedUnnoticed } from './idle-store.js';
import { type NoticeOutcome, sendClaimed } from './notice.js';
import { messageIdFor, recipientsFor, tokenPageUrl } from './templates.js';

const PAGE = 200;

/** The part of a sweep this pass shares: its moment, options, report and the mail server's health. */
export interface IdlePass {
  now: Date;
  dryRun: boolean;
  signal?: AbortSignal | undefined;
  report: { tokens: number; suspended: number };
  /** The sweep's count of failed sends in a row. */
  mail: { failuresInARow: number };
  /** Counts the outcome in the report and hands it to the caller. */
  emit(outcome: NoticeOutcome): void;
}

export interface IdleDeps {
  db: Db;
  tokens: Pick<TokenService, 'suspendUnused'>;
  mailer: Mailer;
  clock: () => Date;
  publicUrl: string;
  worker: string;
  staleMs: number;
  /** After this many failed sends in a row, no more attempts this sweep. */
  maxFailures: number;
}

export class InactivityPass {
  constructor(private readonly deps: IdleDeps) {}

  async run(pass: IdlePass): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const page = await listIdle(this.deps.db, pass.now, after, PAGE);
      for (const token of page) {
        if (pass.signal?.aborted) return;
        await this.visit(token, pass);
        pass.report.tokens += 1;
      }
      const last = page[page.length - 1];
      if (page.length < PAGE || !last) break;
      after = last.id;
    }
    if (pass.dryRun) return;
    // The suspensions' notices: this sweep's, and any a previous one could not send.
    for (;;) {
      const page = await listSuspendedUnnoticed(this.deps.db, pass.now, PAGE);
      let sent = 0;
      for (const token of page) {
        if (pass.signal?.aborted) return;
        if (await this.notify(token, 'unused_suspended', pass)) sent += 1;
      }
      // Rows this sweep could not settle stay listed: stop instead of reading them again.
      if (page.length < PAGE || sent === 0) return;
    }
  }

  private async visit(token: IdleToken, pass: IdlePass): Promise<void> {
    const staleBefore = new Date(pass.now.getTime() - this.deps.staleMs);
    const w = token.notice;
    const plan = idlePlan(
      {
        days: token.days,
        idleSince: token.occasion,
        warning: w && { status: w.status, claimedAt: w.claimedAt },
      },
      pass.now,
      staleBefore,
    );
    if (plan.action === 'warn') {
      await this.notify(token, 'unused_7d', pass);
      return;
    }
    if (plan.action !== 'suspend') return;
    if (pass.dryRun) {
      pass.report.suspended += 1;
      return;
    }
    const done = await this.deps.tokens.suspendUnused({
      institutionId: token.institutionId,
      id: token.id,
      idleSince: token.occasion,
      days: token.days,
      reason: plan.reason,
    });
    // Refused: used, reactivated, suspended or exempted since the page was read; nothing to do.
    if (done.ok) pass.report.suspended += 1;
  }

  /**
   * Claims, sends and marks one notice; true when this sweep settled it (sent, or skipped for want of a
   * recipient). The warning states the suspension's moment as its claim makes it.
   */
  private async notify(token: IdleToken, kind: IdleNoticeKind, pass: IdlePass) {
    const to = recipientsFor(token.creatorEmail, token.notifyEmails);
    const report = (status: NoticeOutcome['status'], reason: string | null = null) =>
      pass.emit(outcomeOf(token, kind, status, to, reason));
    if (pass.dryRun) {
      report(to.length > 0 ? 'would_send' : 'would_skip');
      return false;
    }
    const at = this.deps.clock();
    const claim = {
      tokenId: token.id,
      kind,
      occasion: token.occasion,
      by: this.deps.worker,
      at,
      staleBefore: new Date(at.getTime() - this.deps.staleMs),
    };
    if (to.length === 0) {
      const reason = 'no recipients: no creator address and no notification address';
      const skipped = await this.deps.db.transaction(async (tx) => {
        if (!(await claimIdleNotice(tx, claim, reason))) return false;
        await insertEvent(tx, eventOf(token, 'token.reminder_skipped', at, kind, reason));
        return true;
      });
      if (skipped) report('skipped', reason);
      return skipped;
    }
    if (pass.mail.failuresInARow >= this.deps.maxFailures) {
      report('failed', `not attempted: the last ${this.deps.maxFailures} sends failed`);
      return false;
    }
    if (!(await claimIdleNotice(this.deps.db, claim))) return false;
    // The warning's: a week after this claim at the earliest; the notice's: the suspension's own moment.
    const when = kind === 'unused_7d' ? suspensionAt(token.days, token.occasion, at) : token.occasion;
    const key = { tokenId: token.id, kind, expiresAt: token.occasion };
    const failed = await sendClaimed(
      this.deps,
      key,
      this.email(token, kind, to, when),
      (sentAt) => eventOf(token, 'token.reminder_sent', sentAt, kind, null, when),
      pass.mail,
    );
    report(failed === null ? 'sent' : 'failed', failed);
    return failed === null;
  }

  private email(token: IdleToken, kind: IdleNoticeKind, to: string[], suspendAt: Date): MailMessage {
    const rendered = renderIdleNotice({
      kind,
      tokenName: token.name,
      display: token.display,
      institution: token.institutionName,
      days: token.days,
      lastUsedAt: token.lastUsedAt,
      createdAt: token.createdAt,
      suspendAt,
      url: tokenPageUrl(this.deps.publicUrl, token.institutionHosts, token.id),
    });
    return {
      to,
      ...rendered,
      messageId: messageIdFor(token.id, kind, token.occasion),
      headers: { 'X-Tokend-Notice': kind, 'X-Tokend-Token-Id': token.id },
    };
  }
}

function outcomeOf(
  token: IdleToken,
  kind: IdleNoticeKind,
  status: NoticeOutcome['status'],
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
    expiresAt: null,
    recipients,
    reason,
  };
}

/** `token.reminder_sent` / `token.reminder_skipped` of an inactivity notice, by the system. */
function eventOf(
  token: IdleToken,
  type: 'token.reminder_sent' | 'token.reminder_skipped',
  at: Date,
  kind: IdleNoticeKind,
  reason: string | null,
  suspendAt: Date | null = null,
) {
  const occasion = kind === 'unused_7d' ? 'idleSince' : 'suspendedAt';
  const details: Record<string, unknown> = { kind, [occasion]: token.occasion.toISOString() };
  if (kind === 'unused_7d' && suspendAt) details.suspendAt = suspendAt.toISOString();
  if (reason) details.reason = reason;
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
