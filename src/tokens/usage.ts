// Usage without a database write per request: last use, the recent addresses, daily counts and auth
// failures of known tokens are aggregated in memory and written by one flush at most every interval. A failed flush (database
// down) keeps its data for the next one; stop() flushes what is left, so nothing counted is lost.
import type { Db } from '../db/db.js';
import { flushUsage, type UsageBatch } from './usage-store.js';
import type { FailureReason } from './verdict.js';

/** Where a request carried its token (SPEC section 4), as usage records it. */
export type Carrier = 'FF_AUTH' | 'FF-Auth' | 'Authorization' | 'query';

const DAY_MS = 86_400_000;
/** SPEC 12: a token's recent addresses are its last 5 distinct ones. */
export const RECENT_IPS = 5;

/** One client address of a token since the last flush. */
interface Seen {
  first: number;
  last: number;
  userAgent: string;
}

/** A token's usage since the last flush: its latest request, and its request count per UTC day. */
interface Use {
  at: number;
  ip: string;
  userAgent: string;
  carrier: Carrier;
  days: Map<number, number>;
  /** At most RECENT_IPS addresses, those seen last: an older one can never be among the token's last 5. */
  ips: Map<string, Seen>;
}

export interface FailureEvent {
  tokenId: string;
  institutionId: string;
  failure: FailureReason;
  at: Date;
  ip: string;
}

export class UsageRecorder {
  private uses = new Map<string, Use>();
  private failures = new Map<string, FailureEvent & { count: number }>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Runs on every authenticated request: one lookup by token id, no allocation once the token is known. */
  recordUse(tokenId: string, at: number, ip: string, userAgent: string, carrier: Carrier): void {
    const day = Math.floor(at / DAY_MS);
    const use = this.uses.get(tokenId);
    if (!use) {
      const ips = new Map([[ip, { first: at, last: at, userAgent }]]);
      this.uses.set(tokenId, { at, ip, userAgent, carrier, days: new Map([[day, 1]]), ips });
      return;
    }
    if (at >= use.at) {
      use.at = at;
      use.ip = ip;
      use.userAgent = userAgent;
      use.carrier = carrier;
    }
    use.days.set(day, (use.days.get(day) ?? 0) + 1);
    const held = use.ips.get(ip);
    if (!held) seen(use.ips, ip, { first: at, last: at, userAgent });
    else if (at >= held.last) {
      held.last = at;
      held.userAgent = userAgent;
    } else if (at < held.first) held.first = at;
  }

  /** One event per token, failure and client address per flush (SPEC 8), counting its repeats. */
  recordFailure(e: FailureEvent): void {
    const key = `${e.tokenId}|${e.failure}|${e.ip}`;
    const prev = this.failures.get(key);
    this.failures.set(key, { ...e, count: (prev?.count ?? 0) + 1 });
  }

  start(intervalMs: number): void {
    this.stopped = false;
    // The next flush is timed from the end of this one: a slow database never gets flushes stacked up.
    const next = () => {
      this.timer = setTimeout(() => {
        void this.flush()
          .catch(this.onError)
          .finally(() => {
            if (!this.stopped) next();
          });
      }, intervalMs);
      this.timer.unref();
    };
    next();
  }

  /** Writes everything recorded so far; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => {}).then(() => this.flushOnce());
    return this.flushing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async flushOnce(): Promise<void> {
    const uses = this.uses;
    const failures = this.failures;
    if (uses.size + failures.size === 0) return;
    this.uses = new Map();
    this.failures = new Map();
    const batch: UsageBatch = { lastUsed: [], daily: [], failures: [] };
    for (const [id, u] of uses) {
      const recentIps = [...u.ips].map(([ip, s]) => ({
        ip,
        firstSeenAt: new Date(s.first).toISOString(),
        lastSeenAt: new Date(s.last).toISOString(),
        userAgent: s.userAgent,
      }));
      batch.lastUsed.push({
        id,
        at: new Date(u.at),
        ip: u.ip,
        userAgent: u.userAgent,
        carrier: u.carrier,
        recentIps,
      });
      for (const [day, count] of u.days)
        batch.daily.push({ id, date: new Date(day * DAY_MS).toISOString().slice(0, 10), count });
    }
    for (const f of failures.values()) batch.failures.push({ ...f, id: f.tokenId });
    try {
      // One transaction: a retried batch must not add its counts twice.
      await this.db.transaction((tx) => flushUsage(tx, batch));
    } catch (error) {
      // Put the batch back (merged with what came meanwhile) so the next flush retries it.
      for (const [id, u] of uses) this.restore(id, u);
      for (const [k, f] of failures) {
        this.failures.set(k, { ...f, count: f.count + (this.failures.get(k)?.count ?? 0) });
      }
      throw error;
    }
  }

  private restore(tokenId: string, taken: Use): void {
    const use = this.uses.get(tokenId);
    if (!use) {
      this.uses.set(tokenId, taken);
      return;
    }
    if (taken.at > use.at) Object.assign(use, { ...taken, days: use.days, ips: use.ips });
    for (const [day, n] of taken.days) use.days.set(day, (use.days.get(day) ?? 0) + n);
    for (const [ip, s] of taken.ips) seen(use.ips, ip, s);
  }
}

/**
 * Merges a sighting of `ip` into a token's addresses: the earliest first sight, the latest last one
 * with its user agent; past RECENT_IPS addresses the one seen longest ago is dropped.
 */
function seen(ips: Map<string, Seen>, ip: string, s: Seen): void {
  const held = ips.get(ip);
  if (held) {
    if (s.first < held.first) held.first = s.first;
    if (s.last >= held.last) {
      held.last = s.last;
      held.userAgent = s.userAgent;
    }
    return;
  }
  ips.set(ip, { ...s });
  if (ips.size <= RECENT_IPS) return;
  let oldest: string | null = null;
  let at = Infinity;
  for (const [key, v] of ips) {
    if (v.last < at) {
      at = v.last;
      oldest = key;
    }
  }
  if (oldest !== null) ips.delete(oldest);
}
