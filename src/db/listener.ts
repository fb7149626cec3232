// The change listener of an instance on PostgreSQL: one dedicated session-mode connection LISTENs on
// the channel that migration 003's triggers notify for every change that matters to a token check.
// While it is connected, another instance's suspend reaches this one's cache in milliseconds. While it
// is not, notifications are lost: the cache is cleared when the loss is noticed and again once LISTEN
// is back, readiness reports it, and the cache lifetime bounds staleness in between.
import pg from 'pg';
import { KEEP_ALIVE_DELAY_MS } from './db.js';

export const TOKEN_CHANNEL = 'tokend_tokens';
/** Lets an operator (or a test) find the listening backend in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'tokend-listener';

export interface ListenerHooks {
  /** A token changed: drop what the cache knows of it. */
  changed(tokenId: string): void;
  /** Notifications may have been missed (connection lost or regained, TRUNCATE): drop everything. */
  gap(): void;
  /** The connection was lost or could not be made; the listener keeps retrying. */
  error?(error: unknown): void;
  /** LISTEN is in effect (again). */
  connected?(): void;
}

export interface ListenerOptions {
  url: string;
  minRetryMs?: number;
  maxRetryMs?: number;
  /**
   * A frozen connection (a stopped backend, a silent partition) never errors, and TCP keeps it open:
   * a `SELECT 1` every heartbeatMs that is not answered within heartbeatTimeoutMs counts as lost.
   */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export class ChangeListener {
  private client: pg.Client | null = null;
  private readonly dead = new WeakSet<pg.Client>();
  private retry: NodeJS.Timeout | null = null;
  // The next heartbeat, or the deadline of the one in flight: one at a time, never queued behind another.
  private heartbeat: NodeJS.Timeout | null = null;
  private attempts = 0;
  private stopped = false;

  constructor(
    private readonly options: ListenerOptions,
    private readonly hooks: ListenerHooks,
  ) {}

  /** True while LISTEN is in effect: what /readyz reports as `listener`. */
  get connected(): boolean {
    return this.client !== null;
  }

  /** Makes the first attempt; resolves either way (a failure is retried in the background). */
  start(): Promise<void> {
    return this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.heartbeat) clearTimeout(this.heartbeat);
    const client = this.client;
    this.client = null;
    if (client) {
      this.dead.add(client);
      await client.end().catch(() => {});
    }
  }

  private async connect(): Promise<void> {
    this.retry = null;
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MS,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000,
    });
    client.on('notification', (n) => {
      if (n.channel !== TOKEN_CHANNEL || this.dead.has(client)) return;
      if (n.payload && n.payload !== '*') this.hooks.changed(n.payload);
      else this.hooks.gap();
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('listener connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${TOKEN_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.stopped || this.dead.has(client)) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.attempts = 0;
    // Changes committed before LISTEN took effect were never announced to this instance.
    this.hooks.gap();
    this.hooks.connected?.();
    this.startHeartbeat(client);
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.dead.has(client)) return;
    this.dead.add(client);
    // With the heartbeat in flight, end() destroys the socket rather than wait for a goodbye.
    void client.end().catch(() => {});
    if (this.client === client) {
      this.client = null;
      if (this.heartbeat) clearTimeout(this.heartbeat);
      this.hooks.gap();
    }
    if (this.stopped) return;
    this.hooks.error?.(error);
    const { minRetryMs = 100, maxRetryMs = 5000 } = this.options;
    const ceiling = Math.min(maxRetryMs, minRetryMs * 2 ** this.attempts++);
    // Jitter keeps a fleet that lost the database together from reconnecting in lockstep.
    this.retry = setTimeout(() => void this.connect(), ceiling * (0.5 + Math.random() * 0.5));
    this.retry.unref();
  }

  private startHeartbeat(client: pg.Client): void {
    const { heartbeatMs = 1000, heartbeatTimeoutMs = 2000 } = this.options;
    if (heartbeatMs <= 0) return;
    const beat = () => {
      if (this.client !== client) return;
      this.heartbeat = setTimeout(
        () => this.lost(client, new Error(`listener heartbeat unanswered for ${heartbeatTimeoutMs} ms`)),
        heartbeatTimeoutMs,
      );
      this.heartbeat.unref();
      client.query('SELECT 1').then(
        () => {
          if (this.client !== client) return;
          if (this.heartbeat) clearTimeout(this.heartbeat);
          this.heartbeat = setTimeout(beat, heartbeatMs);
          this.heartbeat.unref();
        },
        (error: unknown) => this.lost(client, error),
      );
    };
    this.heartbeat = setTimeout(beat, heartbeatMs);
    this.heartbeat.unref();
  }
}
