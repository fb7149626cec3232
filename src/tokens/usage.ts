// Usage without a database write per request: last use, daily counts and auth failures of known tokens
// are aggregated in memory and written by one flush at most every interval. A failed flush (database
// down) keeps its data for the next one; stop() flushes what is left, so nothing counted is lost.
import type { Db } from '../db/db.js';
import { flushUsage, type UsageBatch } from './usage-store.js';

const DAY_MS = 86_400_000;

export interface UseEvent {
  tokenId: string;
  at: Date;
  ip: string;
  userAgent: string;
  carrier: string;
}

export interface FailureEvent {
  tokenId: string;
  institutionId: string;
  failure: string;
  at: Date;
  ip: string;
}

export class UsageRecorder {
  private lastUsed = new Map<string, UseEvent>();
  private daily = new Map<string, number>();
  private failures = new Map<string, FailureEvent & { count: number }>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  recordUse(e: UseEvent): void {
    const prev = this.lastUsed.get(e.tokenId);
    if (!prev || prev.at <= e.at) this.lastUsed.set(e.tokenId, e);
    // The UTC day as a number: this runs on every request, the date string only at flush.
    const key = `${e.tokenId}|${Math.floor(e.at.getTime() / DAY_MS)}`;
    this.daily.set(key, (this.daily.get(key) ?? 0) + 1);
  }

  recordFailure(e: FailureEvent): void {
    const key = `${e.tokenId}|${e.failure}`;
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
    const batch: UsageBatch = {
      lastUsed: [...this.lastUsed.values()].map((u) => ({ ...u, id: u.tokenId })),
      daily: [...this.daily].map(([key, count]) => {
        const [id = '', day = '0'] = key.split('|');
        return { id, date: new Date(Number(day) * DAY_MS).toISOString().slice(0, 10), count };
      }),
      failures: [...this.failures.values()].map((f) => ({ ...f, id: f.tokenId })),
    };
    if (batch.lastUsed.length + batch.daily.length + batch.failures.length === 0) return;
    const taken = { lastUsed: this.lastUsed, daily: this.daily, failures: this.failures };
    this.lastUsed = new Map();
    this.daily = new Map();
    this.failures = new Map();
    try {
      // One transaction: a retried batch must not add its counts twice.
      await this.db.transaction((tx) => flushUsage(tx, batch));
    } catch (error) {
      // Put the batch back (merged with what came meanwhile) so the next flush retries it.
      for (const u of taken.lastUsed.values()) this.recordLast(u);
      for (const [k, n] of taken.daily) this.daily.set(k, (this.daily.get(k) ?? 0) + n);
      for (const [k, f] of taken.failures) {
        this.failures.set(k, { ...f, count: f.count + (this.failures.get(k)?.count ?? 0) });
      }
      throw error;
    }
  }

  private recordLast(e: UseEvent): void {
    const prev = this.lastUsed.get(e.tokenId);
    if (!prev || prev.at <= e.at) this.lastUsed.set(e.tokenId, e);
  }
}
