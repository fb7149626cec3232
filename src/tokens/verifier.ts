// The token check on the hot path (SPEC section 4): parse and checksum (no hashing or database on
// failure), SHA-256, lookup through a bounded in-process cache, then institution, expiry, state and
// permission — all decided at `now` from the cached facts. Changes made by this instance drop cache
// entries after commit; other instances' changes arrive through invalidate() (PostgreSQL NOTIFY) or,
// as the backstop, through the entry lifetime.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
import { type AuthRow, findAuthByHash } from './secret-store.js';
import { hashToken, parseToken } from './token.js';

export type AuthFailure =
  | 'invalid_token'
  | 'token_suspended'
  | 'token_revoked'
  | 'token_expired'
  | 'token_rotated'
  | 'insufficient_permission';

export interface VerifiedToken {
  id: string;
  institutionId: string;
  name: string;
  display: string;
  permissions: string[];
  expiresAt: Date | null;
  /** What FF-Auth-Token-Valid-Until reports: expiry, or the earlier grace end of a retired secret. */
  validUntil: Date | null;
}

export type Verification =
  { ok: true; token: VerifiedToken } | { ok: false; reason: AuthFailure; token: AuthRow | null };

export interface VerifierOptions {
  ttlMs: number;
  /**
   * Known tokens kept (about 1 KB each). An entry lives at most ttlMs, so the useful size is the number
   * of distinct tokens seen within one lifetime; the bound keeps memory flat however many tokens exist.
   */
  maxEntries?: number;
  /** Unknown hashes kept, apart from known ones: a flood of made-up tokens cannot evict real entries. */
  maxMissing?: number;
}

export class TokenVerifier {
  private readonly known: LRUCache<string, AuthRow> | null;
  private readonly missing: LRUCache<string, true> | null;
  private readonly hashesById = new Map<string, Set<string>>();
  // Concurrent misses for one hash share one query (a hot token whose entry just expired).
  private readonly pending = new Map<string, { epoch: number; row: Promise<AuthRow | null> }>();
  // Bumped by every invalidation: a lookup that raced with one neither fills the cache nor is shared.
  private epoch = 0;

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly options: VerifierOptions,
  ) {
    const on = options.ttlMs > 0;
    this.known = on
      ? new LRUCache<string, AuthRow>({
          max: options.maxEntries ?? 50_000,
          ttl: options.ttlMs,
          dispose: (row, hash) => this.forget(row.id, hash),
        })
      : null;
    this.missing = on
      ? new LRUCache<string, true>({ max: options.maxMissing ?? 10_000, ttl: options.ttlMs })
      : null;
  }

  async verify(presented: string, institutionId: string, permission: string | null): Promise<Verification> {
    const parsed = parseToken(presented);
    if (!parsed) return { ok: false, reason: 'invalid_token', token: null };
    const row = await this.lookup(hashToken(parsed.token));
    if (!row || row.institutionId !== institutionId)
      return { ok: false, reason: 'invalid_token', token: row };
    // Decided at this instant from the cached facts: an entry never outlives the token's expiry.
    return decide(row, this.clock(), permission);
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

  /** Cached entries (known, unknown): for metrics and tests. */
  get size(): { known: number; missing: number } {
    return { known: this.known?.size ?? 0, missing: this.missing?.size ?? 0 };
  }

  private async lookup(hash: string): Promise<AuthRow | null> {
    if (!this.known) return findAuthByHash(this.db, hash);
    const cached = this.known.get(hash);
    if (cached) return cached;
    if (this.missing?.get(hash)) return null;
    const shared = this.pending.get(hash);
    if (shared && shared.epoch === this.epoch) return shared.row;
    const entry = { epoch: this.epoch, row: findAuthByHash(this.db, hash) };
    this.pending.set(hash, entry);
    try {
      const row = await entry.row;
      if (entry.epoch === this.epoch) this.remember(hash, row);
      return row;
    } finally {
      if (this.pending.get(hash) === entry) this.pending.delete(hash);
    }
  }

  private remember(hash: string, row: AuthRow | null): void {
    // Jitter spreads the expiry of hot entries so they are not all refetched in the same instant.
    const ttl = Math.max(1, Math.round(this.options.ttlMs * (0.75 + Math.random() * 0.25)));
    if (!row) {
      // Short negative entry: a flood of well-formed unknown tokens costs one query per hash per ttl.
      this.missing?.set(hash, true, { ttl });
      return;
    }
    this.known?.set(hash, row, { ttl });
    let hashes = this.hashesById.get(row.id);
    if (!hashes) {
      hashes = new Set();
      this.hashesById.set(row.id, hashes);
    }
    hashes.add(hash);
  }

  /** Keeps the id index as small as the cache: evicted and expired entries leave no trace. */
  private forget(tokenId: string, hash: string): void {
    const hashes = this.hashesById.get(tokenId);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.hashesById.delete(tokenId);
  }
}

/** The pure decision of SPEC section 4, in its order: expiry before state, then permission. */
export function decide(row: AuthRow, now: Date, permission: string | null): Verification {
  const fail = (reason: AuthFailure): Verification => ({ ok: false, reason, token: row });
  if (row.state === 'revoked') return fail('token_revoked');
  if (row.state === 'expired' || (row.expiresAt && now >= row.expiresAt)) return fail('token_expired');
  if (row.retired && (!row.retiredValidUntil || now >= row.retiredValidUntil)) return fail('token_rotated');
  if (row.state === 'suspended') return fail('token_suspended');
  if (permission && !row.permissions.includes(permission)) return fail('insufficient_permission');
  const ends = [row.expiresAt, row.retired ? row.retiredValidUntil : null].filter(
    (d): d is Date => d !== null,
  );
  const validUntil = ends.length > 0 ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
  return {
    ok: true,
    token: {
      id: row.id,
      institutionId: row.institutionId,
      name: row.name,
      display: row.display,
      permissions: row.permissions,
      expiresAt: row.expiresAt,
      validUntil,
    },
  };
}
