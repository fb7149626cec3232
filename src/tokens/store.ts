// The only SQL for tokens, their retired secrets, usage and audit events. Every state change is one
// guarded UPDATE (expected state and unexpired in the WHERE clause); zero rows means another writer
// won or the token had expired, and the caller answers 409.
import type { Queryable } from '../db/db.js';
import type { TokenState } from './lifecycle.js';

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

export interface EventRow {
  institutionId: string;
  tokenId: string;
  type: string;
  at: Date;
  actorId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

type Row = Record<string, unknown>;

const userRef = (r: Row, p: string): UserRef | null =>
  r[`${p}_id`]
    ? { id: r[`${p}_id`] as string, email: r[`${p}_email`] as string, name: r[`${p}_name`] as string }
    : null;

const SELECT_TOKEN = `SELECT t.*, cu.id AS cu_id, cu.email AS cu_email, cu.name AS cu_name,
  su.id AS su_id, su.email AS su_email, su.name AS su_name
  FROM api_tokens t LEFT JOIN users cu ON cu.id = t.created_by LEFT JOIN users su ON su.id = t.state_changed_by`;

function toToken(r: Row): TokenRecord {
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

export async function insertToken(q: Queryable, t: NewTokenRow): Promise<void> {
  await q.query(
    `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, description, issued_for, permissions,
       created_at, created_by, expires_at, expiry_set_at, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, 'active')`,
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
    ],
  );
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

/** The SQL form of lifecycle.effectiveState, so filters agree with what answers report. */
const effectiveState = (now: string) =>
  `CASE WHEN t.state IN ('active', 'suspended') AND t.expires_at <= ${now} THEN 'expired' ELSE t.state END`;

export interface ListQuery {
  institutionId: string;
  now: Date;
  states: TokenState[];
  q: string | null;
  issuedFor: string | null;
  sort: 'createdAt' | 'expiresAt';
  order: 'asc' | 'desc';
  limit: number;
  after: { key: string; id: string } | null;
}

/**
 * One page in keyset order. The sort key is created_at, or expires_at with "no expiry" mapped to the
 * far end (±infinity) so that tokens without expiry come last in either order and the keyset holds.
 */
export async function listTokens(
  q: Queryable,
  l: ListQuery,
): Promise<{ rows: TokenRecord[]; keys: string[] }> {
  const key =
    l.sort === 'createdAt'
      ? 't.created_at'
      : `COALESCE(t.expires_at, '${l.order === 'asc' ? 'infinity' : '-infinity'}'::timestamptz)`;
  const params: unknown[] = [l.institutionId];
  const where = ['t.institution_id = $1'];
  const add = (value: unknown) => `$${params.push(value)}`;
  if (l.states.length > 0)
    where.push(`${effectiveState(`${add(l.now)}::timestamptz`)} = ANY(${add(l.states)})`);
  if (l.q) {
    const like = add(`%${l.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(t.name ILIKE ${like} OR t.description ILIKE ${like} OR t.issued_for ILIKE ${like})`);
  }
  if (l.issuedFor) where.push(`lower(t.issued_for) = lower(${add(l.issuedFor)})`);
  const dir = l.order === 'asc' ? 'ASC' : 'DESC';
  if (l.after)
    where.push(
      `(${key}, t.id) ${l.order === 'asc' ? '>' : '<'} (${add(l.after.key)}::timestamptz, ${add(l.after.id)}::uuid)`,
    );
  const rows = await q.query(
    `${SELECT_TOKEN.replace('SELECT t.*', `SELECT t.*, ${sortKeyText(key)} AS sort_key`)}
     WHERE ${where.join(' AND ')} ORDER BY ${key} ${dir}, t.id ${dir} LIMIT ${add(l.limit)}`,
    params,
  );
  return { rows: rows.map(toToken), keys: rows.map((r) => r.sort_key as string) };
}

/** The keyset value as text that round-trips exactly: ISO with microseconds, or ±infinity. */
const sortKeyText = (key: string) =>
  `CASE WHEN ${key} IN ('infinity', '-infinity') THEN (${key})::text
   ELSE to_char(${key} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END`;

export interface GuardedChange {
  id: string;
  institutionId: string;
  from: readonly TokenState[];
  to: TokenState;
  now: Date;
  actorId: string | null;
  reason: string | null;
}

/** Applies one transition if the token is still in an allowed state and unexpired; true if it did. */
export async function applyTransition(q: Queryable, c: GuardedChange): Promise<boolean> {
  const rows = await q.query(
    `UPDATE api_tokens SET state = $3, state_changed_at = $4, state_changed_by = $5, state_reason = $6
     WHERE id = $1 AND institution_id = $2 AND state = ANY($7) AND (expires_at IS NULL OR expires_at > $4)
     RETURNING id`,
    [c.id, c.institutionId, c.to, c.now, c.actorId, c.reason, c.from],
  );
  return rows.length === 1;
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
       WHERE state IN ('active', 'suspended') AND expires_at <= $1 AND ($2::uuid[] IS NULL OR id = ANY($2))
       ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     UPDATE api_tokens t SET state = 'expired', state_changed_at = t.expires_at, state_changed_by = NULL, state_reason = NULL
     FROM due WHERE t.id = due.id AND t.state = due.state AND t.expires_at <= $1
     RETURNING t.id, t.institution_id, t.expires_at, due.state AS previous_state`,
    [now, ids, limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    institutionId: r.institution_id as string,
    expiresAt: r.expires_at as Date,
    previousState: r.previous_state as TokenState,
  }));
}

export async function insertEvent(q: Queryable, e: EventRow): Promise<void> {
  await q.query(
    `INSERT INTO audit_events (id, institution_id, token_id, type, at, actor_id, ip, details)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7)`,
    [e.institutionId, e.tokenId, e.type, e.at, e.actorId, e.ip, JSON.stringify(e.details)],
  );
}

export interface EventRecord {
  id: string;
  type: string;
  at: Date;
  actor: UserRef | null;
  ip: string | null;
  details: Record<string, unknown>;
  seq: string;
}

/** Newest first; `beforeSeq` is the seq of the last event of the previous page. */
export async function listEvents(
  q: Queryable,
  tokenId: string,
  limit: number,
  beforeSeq: string | null,
): Promise<EventRecord[]> {
  // Ordered by insertion, not by `at`: of two racing transitions the one that waited for the row lock
  // read its time first but committed second, and the history must show the order that happened.
  const rows = await q.query(
    `SELECT e.id, e.type, e.at, e.ip, e.details, e.seq::text AS seq, u.id AS a_id, u.email AS a_email, u.name AS a_name
     FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
     WHERE e.token_id = $1 AND ($2::bigint IS NULL OR e.seq < $2::bigint)
     ORDER BY e.seq DESC LIMIT $3`,
    [tokenId, beforeSeq, limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    type: r.type as string,
    at: r.at as Date,
    actor: userRef(r, 'a'),
    ip: (r.ip as string | null) ?? null,
    details: r.details as Record<string, unknown>,
    seq: r.seq as string,
  }));
}

export async function usageSince(
  q: Queryable,
  tokenId: string,
  since: string,
): Promise<{ date: string; count: number }[]> {
  return q.query(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date, count FROM token_usage_daily
     WHERE token_id = $1 AND date >= $2::date ORDER BY date`,
    [tokenId, since],
  );
}

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

/** What a token check needs, for the current secret or a retired one; one indexed lookup. */
export async function findAuthByHash(q: Queryable, hash: string): Promise<AuthRow | null> {
  const [r] = await q.query(
    `SELECT t.id, t.institution_id, t.name, t.display, t.state, t.expires_at, t.permissions,
       NULL::timestamptz AS valid_until, false AS retired
       FROM api_tokens t WHERE t.token_hash = $1
     UNION ALL
     SELECT t.id, t.institution_id, t.name, t.display, t.state, t.expires_at, t.permissions, p.valid_until, true
       FROM api_token_previous_secrets p JOIN api_tokens t ON t.id = p.token_id WHERE p.token_hash = $1
     LIMIT 1`,
    [hash],
  );
  if (!r) return null;
  return {
    id: r.id as string,
    institutionId: r.institution_id as string,
    name: r.name as string,
    display: r.display as string,
    state: r.state as TokenState,
    expiresAt: (r.expires_at as Date | null) ?? null,
    permissions: r.permissions as string[],
    retiredValidUntil: (r.valid_until as Date | null) ?? null,
    retired: r.retired as boolean,
  };
}

export interface UsageBatch {
  lastUsed: { id: string; at: Date; ip: string; userAgent: string; carrier: string }[];
  daily: { id: string; date: string; count: number }[];
  failures: { id: string; institutionId: string; failure: string; count: number; at: Date; ip: string }[];
}

/**
 * Writes a batch of usage in three multi-row statements. Merges with other instances' flushes: the
 * latest time wins (with the ip/client/carrier of that request) and daily counts add up.
 */
export async function flushUsage(q: Queryable, b: UsageBatch): Promise<void> {
  if (b.lastUsed.length > 0) {
    const newer = 't.last_used_at IS NULL OR u.at >= t.last_used_at';
    await q.query(
      `UPDATE api_tokens t SET last_used_at = GREATEST(t.last_used_at, u.at),
         last_used_ip = CASE WHEN ${newer} THEN u.ip ELSE t.last_used_ip END,
         last_used_user_agent = CASE WHEN ${newer} THEN u.ua ELSE t.last_used_user_agent END,
         last_used_carrier = CASE WHEN ${newer} THEN u.carrier ELSE t.last_used_carrier END
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[]) AS u(id, at, ip, ua, carrier)
       WHERE t.id = u.id`,
      [
        b.lastUsed.map((u) => u.id),
        b.lastUsed.map((u) => u.at),
        b.lastUsed.map((u) => u.ip),
        b.lastUsed.map((u) => u.userAgent),
        b.lastUsed.map((u) => u.carrier),
      ],
    );
  }
  if (b.daily.length > 0) {
    await q.query(
      `INSERT INTO token_usage_daily (token_id, date, count)
       SELECT * FROM unnest($1::uuid[], $2::date[], $3::int[])
       ON CONFLICT (token_id, date) DO UPDATE SET count = token_usage_daily.count + EXCLUDED.count`,
      [b.daily.map((d) => d.id), b.daily.map((d) => d.date), b.daily.map((d) => d.count)],
    );
  }
  if (b.failures.length > 0) {
    await q.query(
      `INSERT INTO audit_events (id, institution_id, token_id, type, at, actor_id, ip, details)
       SELECT gen_random_uuid(), f.inst, f.id, 'token.auth_failed', f.at, NULL, f.ip,
              jsonb_build_object('failure', f.failure, 'count', f.count)
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::text[])
         AS f(id, inst, failure, count, at, ip)`,
      [
        b.failures.map((f) => f.id),
        b.failures.map((f) => f.institutionId),
        b.failures.map((f) => f.failure),
        b.failures.map((f) => f.count),
        b.failures.map((f) => f.at),
        b.failures.map((f) => f.ip),
      ],
    );
  }
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
