// The SQL for token records and state transitions, and the token row every token store reads (renewal
// and expiry, the list, audit events, secrets and usage have their own store files). Every change is one
// guarded UPDATE (allowed states, from lifecycle.ts, and unexpired in the WHERE clause) that returns the
// whole row: zero rows means another writer won or the token had expired, one row is the answer, with
// nothing to read again.
import type { Queryable } from '../db/db.js';
import { CREATED_STATE, type TokenState } from './lifecycle.js';

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
  /** The network rule: networks in canonical form; empty allows any address. */
  allowedIps: string[];
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
  /** SPEC 9: when the current secret was reported leaked; a rotation clears it. */
  compromisedAt: Date | null;
  /** SPEC 12: the last 5 distinct client addresses, newest first (the usage flush keeps them). */
  recentIps: RecentIp[];
}

/** One of a token's recent addresses (SPEC 12), times as ISO text: the shape of api_tokens.recent_ips. */
export interface RecentIp {
  ip: string;
  firstSeenAt: string;
  lastSeenAt: string;
  userAgent: string;
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
  | 'allowedIps'
  | 'createdAt'
  | 'expiresAt'
> & { hash: string; createdBy: string | null };

/**
 * An api_tokens row as both drivers return it (text[] as string[], timestamptz as Date), with the users
 * SELECT_TOKEN and returningToken join: each statement reads into it and toToken maps it, no per-field
 * casts. `state` is held to the token states by the column's CHECK constraint.
 */
export interface TokenRow {
  id: string;
  institution_id: string;
  display: string;
  name: string;
  description: string;
  issued_for: string;
  permissions: string[];
  allowed_ips: string[];
  created_at: Date;
  expires_at: Date | null;
  expiry_set_at: Date;
  state: TokenState;
  state_changed_at: Date | null;
  state_reason: string | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  last_used_user_agent: string | null;
  last_used_carrier: string | null;
  previous_secret_valid_until: Date | null;
  compromised_at: Date | null;
  /** jsonb: parsed by both drivers; checked by recentIpsOf, not trusted. */
  recent_ips: unknown;
  cu_id: string | null;
  cu_email: string | null;
  cu_name: string | null;
  su_id: string | null;
  su_email: string | null;
  su_name: string | null;
}

/** A LEFT JOINed user's three columns as a reference, or null when the join found none. */
export const userRef = (id: string | null, email: string | null, name: string | null): UserRef | null =>
  id !== null && email !== null && name !== null ? { id, email, name } : null;

const WITH_USERS = `cu.id AS cu_id, cu.email AS cu_email, cu.name AS cu_name,
  su.id AS su_id, su.email AS su_email, su.name AS su_name`;
const JOIN_USERS = `LEFT JOIN users cu ON cu.id = t.created_by LEFT JOIN users su ON su.id = t.state_changed_by`;
export const SELECT_TOKEN = `SELECT t.*, ${WITH_USERS} FROM api_tokens t ${JOIN_USERS}`;

/**
 * A write to api_tokens (`… RETURNING *`, extra columns allowed), after the common table expressions
 * `before` if any, as the token record it leaves: the users are joined in the same statement, so a
 * change answers without reading its row again.
 */
export const returningToken = (write: string, before = '') =>
  `WITH ${before ? `${before}, ` : ''}t AS (${write}) SELECT t.*, ${WITH_USERS} FROM t ${JOIN_USERS}`;

/** The row of a statement that answers exactly one (an INSERT … RETURNING, an UPDATE of a locked row). */
export function onlyRow<T>(rows: T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error('a statement that answers one row answered none');
  return row;
}

/** A token record from SELECT_TOKEN's or returningToken's columns. */
export const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  institutionId: r.institution_id,
  display: r.display,
  name: r.name,
  description: r.description,
  issuedFor: r.issued_for,
  permissions: r.permissions,
  allowedIps: r.allowed_ips,
  createdAt: r.created_at,
  createdBy: userRef(r.cu_id, r.cu_email, r.cu_name),
  expiresAt: r.expires_at,
  expirySetAt: r.expiry_set_at,
  state: r.state,
  stateChangedAt: r.state_changed_at,
  stateChangedBy: userRef(r.su_id, r.su_email, r.su_name),
  stateReason: r.state_reason,
  lastUsedAt: r.last_used_at,
  lastUsedIp: r.last_used_ip,
  lastUsedUserAgent: r.last_used_user_agent,
  lastUsedCarrier: r.last_used_carrier,
  previousSecretValidUntil: r.previous_secret_valid_until,
  compromisedAt: r.compromised_at,
  recentIps: recentIpsOf(r.recent_ips),
});

const isRecentIp = (v: unknown): v is RecentIp => {
  if (typeof v !== 'object' || v === null) return false;
  const fields = new Map(Object.entries(v));
  return ['ip', 'firstSeenAt', 'lastSeenAt', 'userAgent'].every((k) => typeof fields.get(k) === 'string');
};

/** The column as written by the flush; an entry of any other shape (a hand edit) is left out. */
function recentIpsOf(value: unknown): RecentIp[] {
  const list: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(list) ? list.filter(isRecentIp) : [];
}

/** Inserts a new, active token; returns it as stored. */
export async function insertToken(q: Queryable, t: NewTokenRow): Promise<TokenRecord> {
  const rows = await q.query<TokenRow>(
    returningToken(`INSERT INTO api_tokens (id, institution_id, token_hash, display, name, description,
       issued_for, permissions, created_at, created_by, expires_at, expiry_set_at, state, allowed_ips)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, $12, $13) RETURNING *`),
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
      CREATED_STATE,
      t.allowedIps,
    ],
  );
  return toToken(onlyRow(rows));
}

export async function findToken(
  q: Queryable,
  institutionId: string,
  id: string,
): Promise<TokenRecord | null> {
  const [row] = await q.query<TokenRow>(`${SELECT_TOKEN} WHERE t.id = $1 AND t.institution_id = $2`, [
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
  const [row] = await q.query<TokenRow>(
    returningToken(`UPDATE api_tokens SET state = $3, state_changed_at = $4, state_changed_by = $5,
       state_reason = $6
     WHERE id = $1 AND institution_id = $2 AND state = ANY($7) AND (expires_at IS NULL OR expires_at > $4)
       AND NOT ($3 = 'active' AND compromised_at IS NOT NULL)
     RETURNING *`),
    [c.id, c.institutionId, c.to, c.now, c.actorId, c.reason, c.from],
  );
  return row ? toToken(row) : null;
}
