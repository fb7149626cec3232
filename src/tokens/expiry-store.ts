// The SQL of a token's expiry: a renewal sets a new one under the same guard as a transition (a
// rotatable state, unexpired), and recording marks tokens past theirs as expired, by the system. Both
// re-check the expiry in SQL, so a stale caller can never expire a token that was just renewed.
import type { Queryable } from '../db/db.js';
import { EXPIRED_STATE, ROTATABLE_STATES, type TokenState } from './lifecycle.js';
import { returningToken, type TokenRecord, type TokenRow, toToken } from './store.js';

export interface Renewal {
  id: string;
  institutionId: string;
  now: Date;
  expiresAt: Date | null;
}

/**
 * Sets a new expiry on a rotatable, unexpired token; the row and the expiry it replaced, or null. The
 * old expiry is read under the row lock, so of two racing renewals each reports what it replaced.
 */
export async function renewExpiry(
  q: Queryable,
  c: Renewal,
): Promise<{ token: TokenRecord; oldExpiresAt: Date | null } | null> {
  const [row] = await q.query<TokenRow & { old_expires_at: Date | null }>(
    returningToken(
      `UPDATE api_tokens n SET expires_at = $4, expiry_set_at = $3 FROM old WHERE n.id = old.id
       RETURNING n.*, old.expires_at AS old_expires_at`,
      `old AS (
       SELECT id, expires_at FROM api_tokens
       WHERE id = $1 AND institution_id = $2 AND state = ANY($5) AND (expires_at IS NULL OR expires_at > $3)
       FOR UPDATE)`,
    ),
    [c.id, c.institutionId, c.now, c.expiresAt, ROTATABLE_STATES],
  );
  return row ? { token: toToken(row), oldExpiresAt: row.old_expires_at } : null;
}

export interface ExpiredRow {
  id: string;
  institutionId: string;
  expiresAt: Date;
  previousState: TokenState;
}

/** What recordExpiry's UPDATE returns; `previous_state` is the row's state column, CHECKed as ever. */
interface ExpiredTokenRow {
  id: string;
  institution_id: string;
  expires_at: Date;
  previous_state: TokenState;
}

const toExpired = (r: ExpiredTokenRow): ExpiredRow => ({
  id: r.id,
  institutionId: r.institution_id,
  expiresAt: r.expires_at,
  previousState: r.previous_state,
});

/**
 * Records expiry for tokens past it (all of them, or the given ids). The WHERE re-checks
 * `expires_at <= now`, so a stale caller can never expire a token that was just renewed.
 */
export async function recordExpiry(
  q: Queryable,
  now: Date,
  ids: string[] | null,
  limit = 1000,
): Promise<ExpiredRow[]> {
  const rows = await q.query<ExpiredTokenRow>(
    `WITH due AS (
       SELECT id, state FROM api_tokens
       WHERE state = ANY($4) AND expires_at <= $1 AND ($2::uuid[] IS NULL OR id = ANY($2))
       ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     UPDATE api_tokens t SET state = $5, state_changed_at = t.expires_at, state_changed_by = NULL, state_reason = NULL
     FROM due WHERE t.id = due.id AND t.state = due.state AND t.expires_at <= $1
     RETURNING t.id, t.institution_id, t.expires_at, due.state AS previous_state`,
    [now, ids, limit, ROTATABLE_STATES, EXPIRED_STATE],
  );
  return rows.map(toExpired);
}
