// The SQL of a token's secrets and expiry: the lookup every token check makes (current or retired
// secret), rotation and renewal. Both changes are guarded like transitions: active or suspended, and
// unexpired, checked under the row lock.
import type { Queryable } from '../db/db.js';
import type { TokenState } from './lifecycle.js';

export interface AuthRow {
  id: string;
  institutionId: string;
  /** Name and display form: enough for the token's own view without a second query. */
  name: string;
  display: string;
  state: TokenState;
  expiresAt: Date | null;
  permissions: string[];
  /** Set when the presented secret was retired by a rotation: it works until then, never after. */
  retiredValidUntil: Date | null;
  retired: boolean;
}

/**
 * What a token check needs, by hash, for current and retired secrets: the cold lookup of one hash and
 * the cache's batched refresh of many are one indexed statement. A hash missing from the map is unknown.
 */
export async function findAuthByHashes(q: Queryable, hashes: string[]): Promise<Map<string, AuthRow>> {
  const rows = await q.query(
    `SELECT t.token_hash AS hash, t.id, t.institution_id, t.name, t.display, t.state, t.expires_at,
       t.permissions, NULL::timestamptz AS valid_until, false AS retired
       FROM api_tokens t WHERE t.token_hash = ANY($1::text[])
     UNION ALL
     SELECT p.token_hash, t.id, t.institution_id, t.name, t.display, t.state, t.expires_at, t.permissions,
       p.valid_until, true
       FROM api_token_previous_secrets p JOIN api_tokens t ON t.id = p.token_id
       WHERE p.token_hash = ANY($1::text[])`,
    [hashes],
  );
  const found = new Map<string, AuthRow>();
  for (const r of rows) {
    // A current secret wins over a retired one with the same hash (only a SHA-256 collision could).
    if (found.has(r.hash as string) && r.retired) continue;
    found.set(r.hash as string, {
      id: r.id as string,
      institutionId: r.institution_id as string,
      name: r.name as string,
      display: r.display as string,
      state: r.state as TokenState,
      expiresAt: (r.expires_at as Date | null) ?? null,
      permissions: r.permissions as string[],
      retiredValidUntil: (r.valid_until as Date | null) ?? null,
      retired: r.retired as boolean,
    });
  }
  return found;
}

export async function findAuthByHash(q: Queryable, hash: string): Promise<AuthRow | null> {
  return (await findAuthByHashes(q, [hash])).get(hash) ?? null;
}

export interface Rotation {
  id: string;
  institutionId: string;
  now: Date;
  hash: string;
  display: string;
  graceMs: number;
  expectedDisplay: string | null;
  /** `undefined` keeps the current expiry. */
  expiresAt: Date | null | undefined;
}

/**
 * Swaps in a new secret for an active or suspended, unexpired token (and, if given, the expected
 * display). The previous secret is retired with a grace end (only for an active token); any earlier
 * grace ends now, so at most the newest secret and the one before it work. Run inside a transaction:
 * the row lock makes a concurrent rotation or suspend wait and then re-check.
 */
export async function rotateSecret(
  q: Queryable,
  r: Rotation,
): Promise<{ previousDisplay: string; graceUntil: Date | null } | null> {
  const [current] = await q.query<{ token_hash: string; display: string; state: TokenState }>(
    `SELECT token_hash, display, state FROM api_tokens
     WHERE id = $1 AND institution_id = $2 AND state IN ('active', 'suspended')
       AND (expires_at IS NULL OR expires_at > $3) AND ($4::text IS NULL OR display = $4)
     FOR UPDATE`,
    [r.id, r.institutionId, r.now, r.expectedDisplay],
  );
  if (!current) return null;
  const graceUntil =
    current.state === 'active' && r.graceMs > 0 ? new Date(r.now.getTime() + r.graceMs) : null;
  await q.query(
    'UPDATE api_token_previous_secrets SET valid_until = LEAST(valid_until, $2) WHERE token_id = $1',
    [r.id, r.now],
  );
  await q.query(
    'INSERT INTO api_token_previous_secrets (token_hash, token_id, retired_at, valid_until) VALUES ($1, $2, $3, $4)',
    [current.token_hash, r.id, r.now, graceUntil ?? r.now],
  );
  const keep = r.expiresAt === undefined;
  await q.query(
    `UPDATE api_tokens SET token_hash = $2, display = $3, previous_secret_valid_until = $4,
       expires_at = CASE WHEN $5 THEN expires_at ELSE $6::timestamptz END,
       expiry_set_at = CASE WHEN $5 THEN expiry_set_at ELSE $7 END
     WHERE id = $1`,
    [r.id, r.hash, r.display, graceUntil, keep, keep ? null : r.expiresAt, r.now],
  );
  return { previousDisplay: current.display, graceUntil };
}

/** Sets a new expiry on an active or suspended, unexpired token; returns the old expiry, or undefined if refused. */
export async function renewExpiry(
  q: Queryable,
  c: { id: string; institutionId: string; now: Date; expiresAt: Date | null },
): Promise<{ oldExpiresAt: Date | null } | undefined> {
  const [row] = await q.query<{ old_expires_at: Date | null }>(
    `WITH old AS (
       SELECT id, expires_at FROM api_tokens
       WHERE id = $1 AND institution_id = $2 AND state IN ('active', 'suspended')
         AND (expires_at IS NULL OR expires_at > $3)
       FOR UPDATE)
     UPDATE api_tokens t SET expires_at = $4, expiry_set_at = $3 FROM old WHERE t.id = old.id
     RETURNING old.expires_at AS old_expires_at`,
    [c.id, c.institutionId, c.now, c.expiresAt],
  );
  return row ? { oldExpiresAt: row.old_expires_at ?? null } : undefined;
}
