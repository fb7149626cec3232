// The SQL for token records, state transitions, renewal and expiry (the list, audit events, secrets and
// usage have their own store files). Every change is one guarded UPDATE (allowed states,
// from lifecycle.ts, and unexpired in the WHERE clause) that returns the whole row: zero rows means
// another writer won or the token had expired, one row is the answer, with nothing to read again.
import type { Queryable } from '../db/db.js';
import { ROTATABLE_STATES, type TokenState } from './lifecycle.js';

export interface UserRef {
  id: string;
  email: string;
  name: string;
}

export interface TokenRecord {
  id: string;
  institutionId: string;
  display: string;
  name: string;
  description: string;
  issuedFor: string;
  permissions: string[];
  createdAt: Date;
  createdBy: UserRef | null;
  expiresAt: Date | null;
  expirySetAt: Date;
  state: TokenState;
  stateChangedAt: Date | null;
  stateChangedBy: UserRef | null;
  stateReason: string | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  lastUsedUserAgent: string | null;
  lastUsedCarrier: string | null;
  previousSecretValidUntil: Date | null;
}

export type NewTokenRow = Pick<
  TokenRecord,
  | 'id'
  | 'institutionId'
  | 'display'
  | 'name'
  | 'description'
  | 'issuedFor'
  | 'permissions'
  | 'createdAt'
  | 'expiresAt'
> & { hash: string; createdBy: string | null };

type Row = Record<string, unknown>;

/** A joined user's columns (`<p>_id`, `<p>_email`, `<p>_name`) as a reference, or null. */
export const userRef = (r: Row, p: string): UserRef | null =>
  r[`${p}_id`]
    ? { id: r[`${p}_id`] as string, email: r[`${p}_email`] as string, name: r[`${p}_name`] as string }
    : null;

const WITH_USERS = `cu.id AS cu_id, cu.email AS cu_email, cu.name AS cu_name,
  su.id AS su_id, su.email AS su_email, su.name AS su_name`;
const JOIN_USERS = `LEFT JOIN users cu ON cu.id = t.created_by LEFT JOIN users su ON su.id = t.state_changed_by`;
export const EXPIRED: TokenState = 'expired';
export const SELECT_TOKEN = `SELECT t.*, ${WITH_USERS} FROM api_tokens t ${JOIN_USERS}`;

/**
 * A write to api_tokens (`… RETURNING *`, extra columns allowed), after the common table expressions
 * `before` if any, as the token record it leaves: the users are joined in the same statement, so a
 * change answers without reading its row again.
 */
export const returningToken = (write: string, before = '') =>
  `WITH ${before ? `${before}, ` : ''}t AS (${write}) SELECT t.*, ${WITH_USERS} FROM t ${JOIN_USERS}`;

/** A token record from SELECT_TOKEN's or returningToken's columns. */
export function toToken(r: Row): TokenRecord {
  return {
    id: r.id as string,
    institutionId: r.institution_id as string,
    display: r.display as string,
    name: r.name as string,
    description: r.description as string,
    issuedFor: r.issued_for as string,
    permissions: r.permissions as string[],
    createdAt: r.created_at as Date,
    createdBy: userRef(r, 'cu'),
    expiresAt: (r.expires_at as Date | null) ?? null,
    expirySetAt: r.expiry_set_at as Date,
    state: r.state as TokenState,
    stateChangedAt: (r.state_changed_at as Date | null) ?? null,
    stateChangedBy: userRef(r, 'su'),
    stateReason: (r.state_reason as string | null) ?? null,
    lastUsedAt: (r.last_used_at as Date | null) ?? null,
    lastUsedIp: (r.last_used_ip as string | null) ?? null,
    lastUsedUserAgent: (r.last_used_user_agent as string | null) ?? null,
    lastUsedCarrier: (r.last_used_carrier as string | null) ?? null,
    previousSecretValidUntil: (r.previous_secret_valid_until as Date | null) ?? null,
  };
}

/** Inserts a new, active token; returns it as stored. */
export async function insertToken(q: Queryable, t: NewTokenRow): Promise<TokenRecord> {
  const [row] = await q.query(
    returningToken(`INSERT INTO api_tokens (id, institution_id, token_hash, display, name, description,
       issued_for, permissions, created_at, created_by, expires_at, expiry_set_at, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, $12) RETURNING *`),
    [
      t.id,
      t.institutionId,
      t.hash,
      t.display,
      t.name,
      t.description,
      t.issuedFor,
      t.permissions,
      t.createdAt,
      t.createdBy,
      t.expiresAt,
      'active' satisfies TokenState,
    ],
  );
  return toToken(row as Row);
}

export async function findToken(
  q: Queryable,
  institutionId: string,
  id: string,
): Promise<TokenRecord | null> {
  const [row] = await q.query(`${SELECT_TOKEN} WHERE t.id = $1 AND t.institution_id = $2`, [
    id,
    institutionId,
  ]);
  return row ? toToken(row) : null;
}

export interface GuardedChange {
  id: string;
  institutionId: string;
  from: readonly TokenState[];
  to: TokenState;
  now: Date;
  actorId: string | null;
  reason: string | null;
}

/** Applies one transition if the token is still in an allowed state and unexpired; the row, or null. */
export async function applyTransition(q: Queryable, c: GuardedChange): Promise<TokenRecord | null> {
  const [row] = await q.query(
    returningToken(`UPDATE api_tokens SET state = $3, state_changed_at = $4, state_changed_by = $5,
       state_reason = $6
     WHERE id = $1 AND institution_id = $2 AND state = ANY($7) AND (expires_at IS NULL OR expires_at > $4)
     RETURNING *`),
    [c.id, c.institutionId, c.to, c.now, c.actorId, c.reason, c.from],
  );
  return row ? toToken(row) : null;
}

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
  const [row] = await q.query(
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
  return row ? { token: toToken(row), oldExpiresAt: (row.old_expires_at as Date | null) ?? null } : null;
}

export interface ExpiredRow {
  id: string;
  institutionId: string;
  expiresAt: Date;
  previousState: TokenState;
}

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
  const rows = await q.query(
    `WITH due AS (
       SELECT id, state FROM api_tokens
       WHERE state = ANY($4) AND expires_at <= $1 AND ($2::uuid[] IS NULL OR id = ANY($2))
       ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     UPDATE api_tokens t SET state = $5, state_changed_at = t.expires_at, state_changed_by = NULL, state_reason = NULL
     FROM due WHERE t.id = due.id AND t.state = due.state AND t.expires_at <= $1
     RETURNING t.id, t.institution_id, t.expires_at, due.state AS previous_state`,
    [now, ids, limit, ROTATABLE_STATES, EXPIRED],
  );
  return rows.map((r) => ({
    id: r.id as string,
    institutionId: r.institution_id as string,
    expiresAt: r.expires_at as Date,
    previousState: r.previous_state as TokenState,
  }));
}
