// The deliverer inside `tokend serve` (every instance runs one): every TOKEND_WEBHOOK_POLL_INTERVAL,
// and at once when woken, it leases due messages (messages.claimDue: 60 s, skipping rows another instance
// holds) and attempts each outside any transaction. At most PER_ENDPOINT messages of one endpoint and
// TOTAL in all are in flight, and an endpoint with a batch in flight gets no more until it ends, so a
// slow or dead receiver holds only its own queue. stop() claims nothing more and waits for the attempts
// in flight, which it cuts short (recorded as failed attempts, retried); a crash leaves leases that expire.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { LEASE_MS, type WebhookDelivery } from './delivery.js';
import * as messages from './message-store.js';

export const TOTAL_IN_FLIGHT = 16;
export const PER_ENDPOINT = 4;

export interface DelivererDeps {
  db: Db;
  clock: Clock;
  delivery: WebhookDelivery;
  pollMs: number;
  onError?: (error: unknown) => void;
}

export class WebhookDeliverer {
  /** Who holds a lease, in the rows (one name per process). */
  readonly id = `deliverer-${randomUUID()}`;
  private readonly inFlight = new Map<string, Set<Promise<unknown>>>();
  private timer: NodeJS.Timeout | null = null;
  private claiming: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private abort = new AbortController();
  /** The pending messages as last counted (each poll): the metrics' gauge. */
  pending: number | null = null;

  private onError: ((error: unknown) => void) | undefined;

  constructor(private readonly deps: DelivererDeps) {
    this.onError = deps.onError;
  }

  /** Starts polling; `onError` (the server's logger) replaces the one it was built with. */
  start(onError?: (error: unknown) => void): void {
    if (onError) this.onError = onError;
    if (this.deps.pollMs <= 0) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(0);
  }

  /** Looks for due messages now (a change was written, an attempt ended). */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.round().finally(() => {
      this.claiming = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.claiming;
    // Attempts in flight end now (recorded as failed, retried by the schedule), not after the timeout.
    this.abort.abort();
    await Promise.allSettled([...this.inFlight.values()].flatMap((s) => [...s]));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.wake();
      messages.countPending(this.deps.db).then(
        (n) => {
          this.pending = n;
        },
        (error: unknown) => this.onError?.(error),
      );
      this.schedule(this.deps.pollMs);
    }, ms);
    this.timer.unref();
  }

  private count(): number {
    let n = 0;
    for (const s of this.inFlight.values()) n += s.size;
    return n;
  }

  private async round(): Promise<void> {
    const room = TOTAL_IN_FLIGHT - this.count();
    if (room <= 0) return;
    let claimed: messages.MessageRecord[];
    try {
      claimed = await messages.claimDue(this.deps.db, {
        now: this.deps.clock(),
        leaseMs: LEASE_MS,
        by: this.id,
        total: room,
        perEndpoint: PER_ENDPOINT,
        busy: [...this.inFlight.keys()],
      });
    } catch (error) {
      this.onError?.(error);
      return;
    }
    for (const m of claimed) {
      const set = this.inFlight.get(m.endpointId) ?? new Set();
      this.inFlight.set(m.endpointId, set);
      const running: Promise<unknown> = this.deps.delivery
        .attempt(m, this.abort.signal)
        .catch((error: unknown) => this.onError?.(error))
        .finally(() => {
          set.delete(running);
          if (set.size === 0) this.inFlight.delete(m.endpointId);
          this.wake();
        });
      set.add(running);
    }
  }
}
