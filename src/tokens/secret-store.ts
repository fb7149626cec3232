// The SQL of a token's secrets: the lookup every token check makes (current or retired secret), and
// rotation, guarded like a transition (a rotatable state, unexpired; for self-rotation, the presented
// secret still current) under the row lock it takes first: the new secret's slug comes from the token's
// name as it stands then.
import type { Queryable } from '../db/db.js';
import { ROTATABLE_STATES, type TokenState } from './lifecycle.js';
import { onlyRow, returningToken, type TokenRecord, type TokenRow, toToken } from './store.js';
import type { CheckedToken } from './verdict.js';

/** A token as the check needs it: the core's record (verdict.ts), which this store's rows fill. */
export type AuthRow = CheckedToken;

/** findAuthByHashes's columns: a token's, with the secret's hash and, for a retired one, its grace end. */
interface AuthByHashRow {
  hash: string;
  id: string;
  institution_id: string;
  name: string;
  display: string;
  /** The state column, held to the token states by its CHECK constraint. */
  state: TokenState;
  expires_at: Date | null;
  permissions: string[];
  allowed_ips: string[];
  valid_until: Date | null;
  retired: boolean;
}

const toAuthRow = (r: AuthByHashRow): AuthRow => ({
  id: r.id,
  institutionId: r.institution_id,
  name: r.name,
  display: r.display,
  state: r.state,
  expiresAt: r.expires_at,
  permissions: r.permissions,
  allowedIps: r.allowed_ips,
  retiredValidUntil: r.valid_until,
  retired: r.retired,
});

/**
 * What a token check needs, by hash, for current and retired secrets: the cold lookup of one hash and
 * the cache's batched refresh of many are one indexed statement. A hash missing from the map is unknown.
 */
export async function findAuthByHashes(q: Queryable, hashes: string[]): Promise<Map<string, AuthRow>> {
  const rows = await q.query<AuthByHashRow>(
    `SELECT t.token_hash AS hash, t.id, t.institution_id, t.name, t.display, t.state, t.expires_at,
       t.permissions, t.allowed_ips, NULL::timestamptz AS valid_until, false AS retired
       FROM api_tokens t WHERE t.token_hash = ANY($1::text[])
     UNION ALL
     SELECT p.token_hash, t.id, t.institution_id, t.name, t.display, t.state, t.expires_at, t.permissions,
       t.allowed_ips, p.valid_until, true
       FROM api_token_previous_secrets p JOIN api_tokens t ON t.id = p.token_id
       WHERE p.token_hash = ANY($1::text[])`,
    [hashes],
  );
  const found = new Map<string, AuthRow>();
  for (const r of rows) {
    // A current secret wins over a retired one with the same hash (only a SHA-256 collision could).
    if (found.has(r.hash) && r.retired) continue;
    found.set(r.hash, toAuthRow(r));
  }
  return found;
}

export async function findAuthByHash(q: Queryable, hash: string): Promise<AuthRow | null> {
  return (await findAuthByHashes(q, [hash])).get(hash) ?? null;
}

/** What a rotation replaces, read under the row lock that keeps a concurrent change waiting. */
export interface Rotatable {
  name: string;
  hash: string;
  display: string;
  state: TokenState;
}

export interface RotationGuard {
  id: string;
  institutionId: string;
  now: Date;
  expectedDisplay: string | null;
  /** Self-rotation's guard: the presented secret's hash must still be the current one. */
  currentHash?: string | undefined;
  /** The states it may rotate from; by default every rotatable one. */
  states?: readonly TokenState[] | undefined;
}

/**
 * Locks a rotatable, unexpired token (with, if given, the expected display or current secret) for the
 * rest of the transaction; null when the guard matches nothing. A concurrent rotation or suspend waits
 * here, and whichever comes second re-checks the guard against what the first committed: of two
 * self-rotations by one secret, the second finds that secret retired.
 */
export async function lockForRotation(q: Queryable, c: RotationGuard): Promise<Rotatable | null> {
  const [row] = await q.query<Rotatable>(
    `SELECT name, token_hash AS hash, display, state FROM api_tokens
     WHERE id = $1 AND institution_id = $2 AND state = ANY($3)
       AND (expires_at IS NULL OR expires_at > $4) AND ($5::text IS NULL OR display = $5)
       AND ($6::text IS NULL OR token_hash = $6)
     FOR UPDATE`,
    [c.id, c.institutionId, c.states ?? ROTATABLE_STATES, c.now, c.expectedDisplay, c.currentHash ?? null],
  );
  return row ?? null;
}

export interface SecretSwap {
  id: string;
  now: Date;
  /** The secret being retired (from lockForRotation) and the one replacing it. */
  oldHash: string;
  hash: string;
  display: string;
  /** Until when the retired secret keeps working; null: not at all. */
  graceUntil: Date | null;
  /** `undefined` keeps the current expiry. */
  expiresAt: Date | null | undefined;
}

/**
 * Swaps in the new secret of a token locked by lockForRotation, in one statement: any earlier grace
 * ends now and the old secret is retired with its own, so at most the newest secret and the one before
 * it work. It runs after the lock was granted, so it sees whatever a rotation that came first retired;
 * its parts share one snapshot, so the grace that ends is never the one just granted.
 */
export async function swapSecret(q: Queryable, r: SecretSwap): Promise<TokenRecord> {
  const keep = r.expiresAt === undefined;
  const rows = await q.query<TokenRow>(
    returningToken(
      `UPDATE api_tokens SET token_hash = $2, display = $3, previous_secret_valid_until = $4,
         compromised_at = NULL,
         expires_at = CASE WHEN $5 THEN expires_at ELSE $6::timestamptz END,
         expiry_set_at = CASE WHEN $5 THEN expiry_set_at ELSE $7 END
       WHERE id = $1 RETURNING *`,
      `ended AS (
         UPDATE api_token_previous_secrets SET valid_until = LEAST(valid_until, $7) WHERE token_id = $1),
       retired AS (
         INSERT INTO api_token_previous_secrets (token_hash, token_id, retired_at, valid_until)
         VALUES ($8, $1, $7, $9))`,
    ),
    [
      r.id,
      r.hash,
      r.display,
      r.graceUntil,
      keep,
      keep ? null : r.expiresAt,
      r.now,
      r.oldHash,
      r.graceUntil ?? r.now,
    ],
  );
  return toToken(onlyRow(rows));
}
