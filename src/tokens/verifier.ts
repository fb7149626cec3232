// The token check on the hot path (SPEC section 4): parse and checksum (no hashing or database on
// failure), SHA-256, lookup through a bounded in-process cache, then institution, expiry, state and
// permission — all decided at `now` from the cached facts. Changes made by this instance drop cache
// entries after commit; other instances' changes arrive through invalidate() (PostgreSQL NOTIFY) or,
// as the backstop, through the entry lifetime.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
import { type AuthRow, findAuthByHash } from './store.js';
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
  permissions: string[];
  /** What FF-Auth-Token-Valid-Until reports: expiry, or the earlier grace end of a retired secret. */
  validUntil: Date | null;
}

export type Verification =
  | { ok: true; token: VerifiedToken }
  | { ok: false; reason: AuthFailure; token: AuthRow | null };

export interface VerifierOptions {
  ttlMs: number;
  maxEntries?: number;
}

export class TokenVerifier {
  private readonly cache: LRUCache<string, AuthRow | 'missing'> | null;
  private readonly hashesById = new Map<string, Set<string>>();
  // Bumped by every invalidation: a lookup that raced with one does not fill the cache.
  private epoch = 0;

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly options: VerifierOptions,
  ) {
    this.cache =
      options.ttlMs > 0
        ? new LRUCache({
            max: options.maxEntries ?? 100_000,
            ttl: options.ttlMs,
            dispose: (value, hash) => {
              if (value !== 'missing') this.hashesById.get(value.id)?.delete(hash);
            },
          })
        : null;
  }

  async verify(presented: string, institutionId: string, permission: string | null): Promise<Verification> {
    const parsed = parseToken(presented);
    if (!parsed) return { ok: false, reason: 'invalid_token', token: null };
    const row = await this.lookup(hashToken(parsed.token));
    if (!row || row.institutionId !== institutionId)
      return { ok: false, reason: 'invalid_token', token: row };
    return decide(row, this.clock(), permission);
  }

  /** Drops what this instance knows of a token: after a local commit, or on a NOTIFY from another. */
  invalidate(tokenId: string): void {
    this.epoch++;
    for (const hash of this.hashesById.get(tokenId) ?? []) this.cache?.delete(hash);
    this.hashesById.delete(tokenId);
  }

  clear(): void {
    this.epoch++;
    this.cache?.clear();
    this.hashesById.clear();
  }

  private async lookup(hash: string): Promise<AuthRow | null> {
    const cached = this.cache?.get(hash);
    if (cached !== undefined) return cached === 'missing' ? null : cached;
    const epoch = this.epoch;
    const row = await findAuthByHash(this.db, hash);
    if (this.cache && epoch === this.epoch) {
      // Jitter spreads the expiry of hot entries so they are not all refetched in the same instant.
      const ttl = Math.max(1, Math.round(this.options.ttlMs * (0.75 + Math.random() * 0.25)));
      if (row) {
        this.cache.set(hash, row, { ttl });
        const hashes = this.hashesById.get(row.id) ?? new Set<string>();
        hashes.add(hash);
        this.hashesById.set(row.id, hashes);
      } else {
        // Short negative entry: a flood of well-formed unknown tokens costs one query per hash per ttl.
        this.cache.set(hash, 'missing', { ttl });
      }
    }
    return row;
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
    token: { id: row.id, institutionId: row.institutionId, permissions: row.permissions, validUntil },
  };
}
