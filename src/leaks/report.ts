// The response to a leak report (SPEC section 9), whichever channel brought it. Only well-formed tokens
// with a valid checksum are looked up, all in one query; each secret that still works (a current one, or
// a previous one in its grace) is then acted on in its own transaction that claims it first, so a
// secret reported twice, at once or on two instances, is acted on, recorded and emailed once. State
// changes go through the lifecycle's guarded transition; the email is sent after the commit.
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { sendFailure } from '../errors.js';
import type { Mailer } from '../mail/mailer.js';
import { recipientsFor, tokenPageUrl } from '../reminders/templates.js';
import { type Actor, recordEvent } from '../tokens/guarded-change.js';
import { canRotate, effectiveState, TRANSITIONS } from '../tokens/lifecycle.js';
import { applyTransition } from '../tokens/store.js';
import { displayToken, hashToken, isWellFormed } from '../tokens/token.js';
import * as store from './store.js';
import { type LeakAction, leakMessageId, renderLeakNotice } from './templates.js';

export type { LeakChannel } from './store.js';

export interface ReportedToken {
  token: string;
  url: string | null;
  source: string | null;
}

export interface LeakDeps {
  db: Db;
  clock: Clock;
  /** Called after a commit that changed a token (the verifier drops its cached answer). */
  changed: (tokenId: string) => void;
  /** A mailer for one report's emails, closed after them (reports are rare; no pool is kept open). */
  mailer: () => Mailer;
  publicUrl: string;
}

export interface ReportOutcome {
  /** Hashes of the reported tokens that were secrets still working (or working once reactivated). */
  genuine: Set<string>;
  /** Emails that could not be sent (recorded on the claim), for the caller to log. */
  mailErrors: string[];
}

interface Acted {
  row: store.ReportedRow;
  item: ReportedToken;
  action: LeakAction;
}

const SYSTEM_REASON = 'leaked';

export class LeakService {
  constructor(private readonly deps: LeakDeps) {}

  async report(
    channel: store.LeakChannel,
    items: ReportedToken[],
    ip: string | null,
  ): Promise<ReportOutcome> {
    const candidates = new Map<string, ReportedToken>();
    for (const item of items) {
      // The checksum first: garbage and other vendors' keys never reach the database.
      if (!isWellFormed(item.token)) continue;
      const hash = hashToken(item.token);
      if (!candidates.has(hash)) candidates.set(hash, item);
    }
    const found = await store.findReported(this.deps.db, [...candidates.keys()]);
    const now = this.deps.clock();
    const genuine = new Set<string>();
    const acted: Acted[] = [];
    for (const [hash, item] of candidates) {
      const row = found.get(hash);
      const secret = row ? stillWorking(row, now) : null;
      if (!row || !secret) continue;
      genuine.add(hash);
      const done = await this.act(channel, row, secret, item, now, { userId: null, ip });
      if (!done) continue;
      this.deps.changed(row.tokenId);
      acted.push({ row, item, action: done });
    }
    return { genuine, mailErrors: await this.mail(channel, acted, now) };
  }

  /** One reported secret in one transaction, claimed first; null when another report had claimed it. */
  private act(
    channel: store.LeakChannel,
    row: store.ReportedRow,
    reported: store.ReportedSecret,
    item: ReportedToken,
    now: Date,
    actor: Actor,
  ): Promise<LeakAction | null> {
    const { tokenId, institutionId, hash } = row;
    return this.deps.db.transaction(async (tx) => {
      const claim = { hash, tokenId, institutionId, channel, url: item.url, source: item.source, at: now };
      if (!(await store.claimReport(tx, { ...claim, secret: reported }))) return null;
      let secret = reported;
      // A rotation between the lookup and the claim made the current secret a previous one.
      if (secret === 'current' && !(await store.markCompromised(tx, tokenId, hash, now))) {
        secret = 'previous';
        await store.reclassify(tx, hash, secret);
      }
      const details = { channel, secret, url: item.url, source: item.source };
      await recordEvent(tx, institutionId, tokenId, 'token.leaked', now, actor, details);
      if (secret === 'previous') {
        await store.endGrace(tx, hash, now);
        return 'grace_ended';
      }
      return respond(tx, row, now, actor);
    });
  }

  /** One email per acted-on secret, after the commits; each outcome is recorded on its claim. */
  private async mail(channel: store.LeakChannel, acted: Acted[], now: Date): Promise<string[]> {
    if (acted.length === 0) return [];
    const errors: string[] = [];
    const mailer = this.deps.mailer();
    try {
      for (const { row, item, action } of acted) {
        const to = recipientsFor(row.creatorEmail, row.notifyEmails);
        if (to.length === 0) {
          await store.recordMail(this.deps.db, row.hash, { error: 'no recipients' });
          continue;
        }
        const rendered = renderLeakNotice({
          tokenName: row.name,
          display: displayToken(item.token),
          institution: row.institutionName,
          channel,
          url: item.url,
          source: item.source,
          reportedAt: now,
          action,
          page: tokenPageUrl(this.deps.publicUrl, row.institutionHosts, row.tokenId),
        });
        try {
          await mailer.send({
            to,
            ...rendered,
            messageId: leakMessageId(row.hash),
            headers: { 'X-Tokend-Notice': 'leaked', 'X-Tokend-Token-Id': row.tokenId },
          });
          await store.recordMail(this.deps.db, row.hash, { mailedAt: this.deps.clock() });
        } catch (error) {
          const reason = sendFailure(error);
          await store.recordMail(this.deps.db, row.hash, { error: reason });
          errors.push(reason);
        }
      }
    } finally {
      await mailer.close();
    }
    return errors;
  }
}

/**
 * Which of the token's secrets a reported hash is, if it still works or would once reactivated: a
 * current secret of an active or suspended token, or a previous one in its grace. Revoked and expired
 * tokens, and secrets past their grace, are ignored.
 */
function stillWorking(row: store.ReportedRow, now: Date): store.ReportedSecret | null {
  if (!canRotate(effectiveState(row.state, row.expiresAt, now))) return null;
  if (!row.retired) return 'current';
  return row.validUntil !== null && row.validUntil > now ? 'previous' : null;
}

/** The institution's policy for a leaked current secret, through the lifecycle's guarded transitions. */
async function respond(tx: Queryable, row: store.ReportedRow, now: Date, actor: Actor): Promise<LeakAction> {
  if (row.leakResponse === 'notify') return 'notified';
  const suspended = await transition(tx, row, 'suspend', now, actor);
  if (row.leakResponse === 'revoke' && (await transition(tx, row, 'revoke', now, actor))) return 'revoked';
  // A token suspended before the report (by staff) is only marked compromised.
  return suspended ? 'suspended' : 'marked';
}

async function transition(
  tx: Queryable,
  row: store.ReportedRow,
  t: 'suspend' | 'revoke',
  now: Date,
  actor: Actor,
): Promise<boolean> {
  const rule = TRANSITIONS[t];
  const token = await applyTransition(tx, {
    id: row.tokenId,
    institutionId: row.institutionId,
    from: rule.from,
    to: rule.to,
    now,
    actorId: null,
    reason: SYSTEM_REASON,
  });
  if (token)
    await recordEvent(tx, row.institutionId, row.tokenId, rule.event, now, actor, { reason: SYSTEM_REASON });
  return token !== null;
}
