// The token check on the hot path (SPEC section 4): parse and checksum (no hashing or database on
// failure), SHA-256, lookup through a bounded in-process cache, then institution, expiry, state, network
// rule and permissions — all decided at `now` from the cached facts, synchronously while it is cached.
// Changes made by this instance drop cache entries after commit; other instances' changes arrive
// through invalidate() (PostgreSQL NOTIFY) or, as the backstop, through the entry lifetime.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { type AuthRow, findAuthByHash, findAuthByHashes } from './secret-store.js';
import { hashToken, isWellFormed } from './token.js';
import type { NetworkRule } from './network-rules.js';
import {
  compileRule,
  INVALID,
  judge,
  type Prepared,
  prepare,
  type RequiredPermissions,
  sameRow,
  type Verification,
} from './verdict.js';

export interface VerifierOptions {
  ttlMs: number;
  /**
   * Whether known entries expire after ttlMs and are refreshed ahead (default): the backstop for changes
   * this process is not told of — another instance's missed notification, hand-written SQL. The embedded
   * database belongs to one process, through which every change passes and drops its entry after
   * commit, so there entries need no lifetime (unknown hashes keep theirs).
   */
  backstop?: boolean;
  /**
   * Known tokens kept (about 1 KB each). With the backstop an entry lives at most ttlMs, so the useful
   * size is the number of distinct tokens seen within one lifetime; the bound keeps memory flat however
   * many tokens exist.
   */
  maxEntries?: number;
  /** Unknown hashes kept, apart from known ones: a flood of made-up tokens cannot evict real entries. */
  maxMissing?: number;
  /** Monotonic ms for entry lifetimes (lru-cache's `perf`); by default the clock's own, else `performance`. */
  perf?: Perf;
  /**
   * Told of every failed refresh, with the number of failures in a row (1 for the first): the entries
   * then run out their lifetime and requests look them up, so an outage shows here before it shows as 503.
   */
  onRefreshError?: (error: unknown, streak: number) => void;
}

/**
 * A monotonic reading for lifetimes, apart from the wall-clock `now` the decisions use: a clock may carry
 * one (the tests' movable clock does), so that tests move a lifetime forward instead of sleeping it out.
 */
export interface Perf {
  now(): number;
}

const perfOf = (clock: Clock & { perf?: Perf }): Perf => clock.perf ?? performance;

/** A prepared row in the cache. */
interface Entry extends Prepared {
  /** Asked for since the last refresh: only entries in use are refreshed, idle ones just expire. */
  used: boolean;
}

// Hashes re-read by one statement of the refresh.
const REFRESH_BATCH = 500;
// Compiled network rules kept, by their ranges: compiling 50 ranges costs about a millisecond, a fill
// microseconds, so an entry filled again (expired, invalidated, looked up by concurrent misses) and
// tokens that share a rule reuse one compiled rule.
const RULES_KEPT = 1_000;

export class TokenVerifier {
  private readonly known: LRUCache<string, Entry> | null;
  private readonly missing: LRUCache<string, true> | null;
  private readonly hashesById = new Map<string, Set<string>>();
  // Concurrent misses for one hash share one query (a hot token whose entry just expired).
  private readonly pending = new Map<string, { epoch: number; entry: Promise<Entry | null> }>();
  // Bumped by every invalidation: a lookup that raced with one neither fills the cache nor is shared.
  private epoch = 0;
  private refresher: NodeJS.Timeout | null = null;
  private refreshing = false;
  // Failed refreshes in a row: reset whenever the database answers (a refresh or a lookup).
  private failedRefreshes = 0;
  private readonly backstop: boolean;
  private readonly perf: Perf;
  private readonly rules = new LRUCache<string, NetworkRule>({ max: RULES_KEPT });

  constructor(
    // Only lookups: on PostgreSQL they fail closed after TOKEND_TOKEN_QUERY_TIMEOUT, not 10 s.
    private readonly db: Pick<Db, 'lookups'>,
    private readonly clock: Clock,
    private readonly options: VerifierOptions,
  ) {
    const on = options.ttlMs > 0;
    this.backstop = options.backstop ?? true;
    const perf = (this.perf = options.perf ?? perfOf(clock));
    // ttlResolution 0: the clock is read at every look-up, so no entry outlives its lifetime (lru-cache
    // otherwise reuses one reading for up to 1 ms, and a test clock moved past it goes unseen).
    this.known = on
      ? new LRUCache<string, Entry>({
          max: options.maxEntries ?? 50_000,
          ttl: this.backstop ? options.ttlMs : 0,
          ttlResolution: 0,
          perf,
          dispose: (entry, hash) => this.forget(entry.row.id, hash),
        })
      : null;
    this.missing = on
      ? new LRUCache<string, true>({
          max: options.maxMissing ?? 10_000,
          ttl: options.ttlMs,
          ttlResolution: 0,
          perf,
        })
      : null;
  }

  /**
   * The answer at `now` for the client at `address` needing `required`: a value while the token is cached
   * (or malformed), a promise when it is looked up. Without an address, any network rule refuses.
   */
  verify(
    presented: string,
    institutionId: string,
    required: RequiredPermissions,
    address = '',
    now: Date = this.clock(),
  ): Verification | Promise<Verification> {
    if (!isWellFormed(presented)) return INVALID;
    const hash = hashToken(presented);
    const entry = this.known?.get(hash);
    if (entry) {
      entry.used = true;
      return judge(entry, institutionId, now, required, address);
    }
    if (this.missing?.get(hash)) return INVALID;
    return this.lookup(hash).then((found) =>
      found ? judge(found, institutionId, now, required, address) : INVALID,
    );
  }

  /** Drops what this instance knows of a token: after a local commit, or on a NOTIFY from another. */
  invalidate(tokenId: string): void {
    this.epoch++;
    for (const hash of this.hashesById.get(tokenId) ?? []) this.known?.delete(hash);
    this.hashesById.delete(tokenId);
  }

  /** Drops everything: notifications may have been missed (listener lost or regained). */
  clear(): void {
    this.epoch++;
    this.known?.clear();
    this.missing?.clear();
    this.hashesById.clear();
  }

  /** Stops the refresh timer (it never holds the process open, but a stopped server does no work). */
  stop(): void {
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
  }

  /** Cached entries (known, unknown): for metrics and tests. */
  get size(): { known: number; missing: number } {
    return { known: this.known?.size ?? 0, missing: this.missing?.size ?? 0 };
  }

  private async lookup(hash: string): Promise<Entry | null> {
    if (!this.known) return this.orNull(await findAuthByHash(this.db.lookups, hash));
    const shared = this.pending.get(hash);
    // Waiters share the prepared entry too, not only the query: one fill, however many were waiting.
    if (shared && shared.epoch === this.epoch) return shared.entry;
    const pending = { epoch: this.epoch, entry: this.fill(hash, this.epoch) };
    this.pending.set(hash, pending);
    try {
      return await pending.entry;
    } finally {
      if (this.pending.get(hash) === pending) this.pending.delete(hash);
    }
  }

  private async fill(hash: string, epoch: number): Promise<Entry | null> {
    const row = await findAuthByHash(this.db.lookups, hash);
    this.failedRefreshes = 0; // the database answered: a run of failed refreshes is over
    if (epoch !== this.epoch) return this.orNull(row);
    if (!row) {
      // Short negative entry: a flood of well-formed unknown tokens costs one query per hash per ttl.
      this.missing?.set(hash, true, { ttl: this.jittered() });
      return null;
    }
    return this.remember(hash, row, this.backstop ? this.jittered() : 0);
  }

  // Jitter spreads the expiry of entries filled together so they are not all refetched in one instant.
  private jittered(): number {
    return Math.max(1, Math.round(this.options.ttlMs * (0.75 + Math.random() * 0.25)));
  }

  private remember(hash: string, row: AuthRow, ttl: number): Entry {
    const cached = this.known?.peek(hash);
    const entry = cached && sameRow(cached.row, row) ? cached : this.entryOf(row);
    this.known?.set(hash, entry, { ttl });
    let hashes = this.hashesById.get(row.id);
    if (!hashes) {
      hashes = new Set();
      this.hashesById.set(row.id, hashes);
    }
    hashes.add(hash);
    if (this.backstop && !this.refresher) {
      this.refresher = setInterval(() => void this.refresh(), Math.max(1, this.options.ttlMs / 2));
      this.refresher.unref();
    }
    return entry;
  }

  /**
   * Refresh-ahead: twice per lifetime, the entries used since the last refresh are re-read in batches
   * and their lifetime starts again from the moment the read began, so a token in steady use is never
   * looked up on the request path, while the database's answer is never older than one lifetime. A
   * refresh that raced with an invalidation is thrown away, as a raced lookup is.
   */
  private async refresh(): Promise<void> {
    if (!this.known || this.refreshing) return;
    const used: string[] = [];
    for (const [hash, entry] of this.known.entries()) {
      if (!entry.used) continue;
      entry.used = false;
      used.push(hash);
    }
    this.refreshing = true;
    try {
      for (let i = 0; i < used.length; i += REFRESH_BATCH) {
        const hashes = used.slice(i, i + REFRESH_BATCH);
        const epoch = this.epoch;
        const started = this.perf.now();
        const rows = await findAuthByHashes(this.db.lookups, hashes);
        this.failedRefreshes = 0;
        const ttl = Math.round(this.options.ttlMs - (this.perf.now() - started));
        if (epoch !== this.epoch || ttl <= 0) continue;
        for (const hash of hashes) {
          const row = rows.get(hash);
          if (row) this.remember(hash, row, ttl);
          else this.known.delete(hash);
        }
      }
    } catch (error) {
      // The database is away: the entries run out their lifetime and requests look them up (503).
      this.failedRefreshes++;
      this.options.onRefreshError?.(error, this.failedRefreshes);
    } finally {
      this.refreshing = false;
    }
  }

  private entryOf(row: AuthRow): Entry {
    return { ...prepare(row, this.compile), used: false };
  }

  private orNull(row: AuthRow | null): Entry | null {
    return row ? this.entryOf(row) : null;
  }

  /** The rule of a fill: an empty one costs nothing to compile; others are compiled once and kept. */
  private readonly compile = (allowedIps: readonly string[]): NetworkRule => {
    if (allowedIps.length === 0) return compileRule(allowedIps);
    const key = allowedIps.join(' ');
    let rule = this.rules.get(key);
    if (!rule) {
      rule = compileRule(allowedIps);
      this.rules.set(key, rule);
    }
    return rule;
  };

  /** Keeps the id index as small as the cache: evicted and expired entries leave no trace. */
  private forget(tokenId: string, hash: string): void {
    const hashes = this.hashesById.get(tokenId);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.hashesById.delete(tokenId);
  }
}
