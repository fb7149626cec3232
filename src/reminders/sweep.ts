// The expiry sweep (SPEC section 3): records expiry for tokens nobody used since they expired, then
// sends each due reminder once; then the inactivity policy's pass (SPEC 12, inactivity-sweep.ts). A notice is claimed by one committed statement before SMTP is touched
// and marked after it, so no transaction spans the network, and two sweeps at once (two instances, or
// the CLI beside a server) send each email once between them.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import type { Mailer } from '../mail/mailer.js';
import { recipientsFor } from './templates.js';
import type { TokenService } from '../tokens/service.js';
import { insertEvent } from '../tokens/event-store.js';
import { InactivityPass } from './inactivity-sweep.js';
import { type NoticeOutcome, noticeEmail, noticeEvent, noticeKey, outcomeOf, sendClaimed } from './notice.js';
import { dueNotices, type NoticeKind } from './schedule.js';
import * as store from './store.js';

export type { NoticeOutcome } from './notice.js';

/** A claim older than this belongs to a process that died mid-send; another sweep takes it over. */
export const STALE_CLAIM_MS = 10 * 60_000;
const PAGE = 200;
/** Tokens handled at once: SMTP round trips overlap (the mailer pools a few connections). */
const CONCURRENCY = 4;
/** TokenService.recordExpiry's batch: a full batch means there may be more. */
const EXPIRY_BATCH = 1000;
/** After this many failed sends in a row the mail server is down: stop trying until the next sweep. */
const FAILURES_IN_A_ROW = 5;

export interface SweepReport {
  at: string;
  dryRun: boolean;
  /** Tokens whose expiry this sweep recorded. */
  expired: number;
  /** Tokens the inactivity policy suspended (in a dry run: would suspend). */
  suspended: number;
  tokens: number;
  sent: number;
  skipped: number;
  failed: number;
}

export interface SweepOptions {
  /** Decide and report, but record and send nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onNotice?: (outcome: NoticeOutcome) => void;
  onProgress?: (tokensChecked: number) => void;
}

export interface SweepDeps {
  db: Db;
  tokens: Pick<TokenService, 'recordExpiry' | 'suspendUnused'>;
  mailer: Mailer;
  /** The sweep's moment is clock() at its start; claims are stamped with clock() as they are made. */
  clock: Clock;
  publicUrl: string;
  worker?: string;
}

interface Pass {
  now: Date;
  options: SweepOptions;
  report: SweepReport;
  /** Shared with the inactivity pass: a mail server down is down for both. */
  mail: { failuresInARow: number };
}

type Token = store.Candidate;

export class ReminderSweep {
  /** Names this process's claims, so that a claim taken over is never marked by its old owner. */
  private readonly worker: string;
  private readonly idle: InactivityPass;

  constructor(private readonly deps: SweepDeps) {
    this.worker = deps.worker ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.idle = new InactivityPass({
      ...deps,
      worker: this.worker,
      staleMs: STALE_CLAIM_MS,
      maxFailures: FAILURES_IN_A_ROW,
    });
  }

  async run(options: SweepOptions = {}): Promise<SweepReport> {
    const now = this.deps.clock();
    const dryRun = options.dryRun ?? false;
    const report = {
      at: now.toISOString(),
      dryRun,
      expired: 0,
      suspended: 0,
      tokens: 0,
      sent: 0,
      skipped: 0,
      failed: 0,
    };
    if (!dryRun) report.expired = await this.recordExpiry();
    const pass: Pass = { now, options, report, mail: { failuresInARow: 0 } };
    let after: string | null = null;
    for (;;) {
      const page = await store.listCandidates(this.deps.db, now, after, PAGE);
      await eachLimited(page, CONCURRENCY, async (token) => {
        if (options.signal?.aborted) return;
        await this.visit(token, pass);
        report.tokens += 1;
        if (report.tokens % 100 === 0) options.onProgress?.(report.tokens);
      });
      const last = page[page.length - 1];
      if (page.length < PAGE || !last || options.signal?.aborted) break;
      after = last.key;
    }
    if (options.signal?.aborted) return report;
    await this.idle.run({
      now,
      dryRun,
      signal: options.signal,
      report,
      mail: pass.mail,
      emit: (outcome) => this.emit(pass, outcome),
    });
    return report;
  }

  private async recordExpiry(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.deps.tokens.recordExpiry();
      total += batch.length;
      if (batch.length < EXPIRY_BATCH) return total;
    }
  }

  private async visit(token: Token, pass: Pass): Promise<void> {
    const plan = dueNotices(token, pass.now);
    const staleBefore = pass.now.getTime() - STALE_CLAIM_MS;
    // Sent and skipped notices are settled; a live claim is another sweep's to finish.
    const open = (kind: NoticeKind) => {
      const row = token.notices.find((n) => n.kind === kind);
      return !row || row.status === 'failed' || (row.status === 'claimed' && +row.claimedAt <= staleBefore);
    };
    const skips = plan.skip.filter(open).map((kind) => ({ kind, reason: plan.reason ?? 'superseded' }));
    let send = plan.send !== null && open(plan.send) ? plan.send : null;
    const to = recipientsFor(token.creatorEmail, token.notifyEmails);
    if (send !== null && to.length === 0) {
      skips.push({ kind: send, reason: 'no recipients: no creator address and no notification address' });
      send = null;
    }
    if (skips.length > 0) await this.skip(token, skips, pass);
    if (send !== null) await this.send(token, send, to, pass);
  }

  /** Records the token's skipped notices and their events in one transaction. */
  private async skip(token: Token, skips: { kind: NoticeKind; reason: string }[], pass: Pass) {
    if (pass.options.dryRun) {
      for (const s of skips) this.emit(pass, outcomeOf(token, s.kind, 'would_skip', [], s.reason));
      return;
    }
    const at = this.deps.clock();
    const recorded = await this.deps.db.transaction(async (tx) => {
      const mine: typeof skips = [];
      for (const s of skips) {
        if (!(await store.skipNotice(tx, noticeKey(token, s.kind), this.worker, at, staleAt(at), s.reason)))
          continue;
        await insertEvent(tx, noticeEvent(token, 'token.reminder_skipped', at, s.kind, s.reason));
        mine.push(s);
      }
      return mine;
    });
    for (const s of recorded) this.emit(pass, outcomeOf(token, s.kind, 'skipped', [], s.reason));
  }

  private async send(token: Token, kind: NoticeKind, to: string[], pass: Pass): Promise<void> {
    const outcome = (status: NoticeOutcome['status'], reason: string | null = null) =>
      this.emit(pass, outcomeOf(token, kind, status, to, reason));
    if (pass.options.dryRun) return outcome('would_send');
    if (pass.mail.failuresInARow >= FAILURES_IN_A_ROW)
      return outcome('failed', `not attempted: the last ${FAILURES_IN_A_ROW} sends failed`);
    const key = noticeKey(token, kind);
    const claimedAt = this.deps.clock();
    if (!(await store.claimNotice(this.deps.db, key, this.worker, claimedAt, staleAt(claimedAt)))) return;
    const failed = await sendClaimed(
      { ...this.deps, worker: this.worker },
      key,
      noticeEmail(token, kind, to, this.deps.publicUrl),
      (sentAt) => noticeEvent(token, 'token.reminder_sent', sentAt, kind),
      pass.mail,
    );
    outcome(failed === null ? 'sent' : 'failed', failed);
  }

  private emit(pass: Pass, outcome: NoticeOutcome): void {
    const { status } = outcome;
    pass.report[status === 'would_send' ? 'sent' : status === 'would_skip' ? 'skipped' : status] += 1;
    pass.options.onNotice?.(outcome);
  }
}

const staleAt = (at: Date) => new Date(at.getTime() - STALE_CLAIM_MS);

/** Runs `fn` over `items`, `limit` at a time; after a failure starts no more, waits for the rest, rethrows. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      await fn(item).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
