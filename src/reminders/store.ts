// The only SQL for expiry reminders: the tokens a sweep must look at, and the token_notices rows that
// make "sent once per (token, kind, expiry)" a database fact. Every write is one guarded statement;
// no row back means another sweep got there first.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Queryable } from '../db/db.js';
import { TOKEN_STATES, type TokenState } from '../tokens/lifecycle.js';
import type { IdleNoticeKind } from './inactivity.js';
import { NOTICE_KINDS, type NoticeKind, NOTIFIED_STATES } from './schedule.js';

export const NOTICE_STATUSES = ['claimed', 'sent', 'failed', 'skipped'] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

export interface NoticeRow {
  kind: NoticeKind;
  status: NoticeStatus;
  claimedAt: Date;
}

export interface Candidate {
  id: string;
  institutionId: string;
  institutionName: string;
  institutionHosts: string[];
  notifyEmails: string[];
  creatorEmail: string | null;
  name: string;
  display: string;
  state: TokenState;
  expiresAt: Date;
  expirySetAt: Date;
  expiredFrom: TokenState | null;
  /** This expiry's notices already recorded. */
  notices: NoticeRow[];
  /** Keyset position, exact to the microsecond. */
  key: string;
}

export interface NoticeKey {
  tokenId: string;
  /** An expiry reminder's; finishNotice also ends the inactivity policy's claims (idle-store.ts). */
  kind: NoticeKind | IdleNoticeKind;
  expiresAt: Date;
}

// Notices are keyed by the expiry as the application sees it (milliseconds), whatever wrote the token.
const EXPIRY = `date_trunc('milliseconds', t.expires_at)`;

/**
 * Tokens whose 14-day notice is due or that have expired, in expiry order, except those whose
 * `expired` notice is settled: nothing is ever due for them again (for this expiry).
 */
export async function listCandidates(
  q: Queryable,
  now: Date,
  after: string | null,
  limit: number,
): Promise<Candidate[]> {
  const rows = await q.query(
    `SELECT t.id, t.institution_id, t.name, t.display, t.state, ${EXPIRY} AS expires_at, t.expiry_set_at,
       i.name AS institution_name, i.notify_emails, u.email AS creator_email,
       COALESCE((SELECT array_agg(h.hostname ORDER BY h.hostname) FROM institution_hosts h
         WHERE h.institution_id = i.id), '{}') AS hosts,
       (SELECT e.details->>'previousState' FROM audit_events e WHERE e.token_id = t.id AND e.type = 'token.expired'
         ORDER BY e.at DESC LIMIT 1) AS expired_from,
       COALESCE((SELECT json_agg(json_build_object('kind', n.kind, 'status', n.status, 'claimedAt', n.claimed_at))
         FROM token_notices n WHERE n.token_id = t.id AND n.expires_at = ${EXPIRY}), '[]') AS notices,
       to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key
     FROM api_tokens t JOIN institutions i ON i.id = t.institution_id LEFT JOIN users u ON u.id = t.created_by
     WHERE t.expires_at IS NOT NULL AND t.expires_at <= $1::timestamptz + interval '14 days'
       AND t.expires_at > t.expiry_set_at
       AND NOT EXISTS (SELECT 1 FROM token_notices d WHERE d.token_id = t.id AND d.kind = 'expired'
         AND d.expires_at = ${EXPIRY} AND d.status IN ('sent', 'skipped'))
       AND ($2::timestamptz IS NULL OR (t.expires_at, t.id) > ($2::timestamptz, $3::uuid))
     ORDER BY t.expires_at, t.id LIMIT $4`,
    [now, after?.split('|')[0] ?? null, after?.split('|')[1] ?? null, limit],
  );
  return rows.map(toCandidate);
}

// The candidate row as the query above returns it, checked rather than cast: a row that is not what
// this code expects stops the sweep with an error instead of sending mail on a guess.
const oneOf = <V extends string>(values: readonly V[]) => Type.Union(values.map((v) => Type.Literal(v)));
const orNull = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const State = oneOf(TOKEN_STATES);
const CandidateRow = Type.Object({
  id: Type.String(),
  institution_id: Type.String(),
  institution_name: Type.String(),
  hosts: Type.Array(Type.String()),
  notify_emails: Type.Array(Type.String()),
  creator_email: orNull(Type.String()),
  name: Type.String(),
  display: Type.String(),
  state: State,
  expires_at: Type.Date(),
  expiry_set_at: Type.Date(),
  expired_from: orNull(State),
  // json_agg: parsed by pg, and by PGlite; as text by a driver that leaves json alone.
  notices: Type.Union([Type.String(), Type.Array(Type.Unknown())]),
  key: Type.String(),
});
const Notices = Type.Array(
  Type.Object({ kind: oneOf(NOTICE_KINDS), status: oneOf(NOTICE_STATUSES), claimedAt: Type.String() }),
);

function checked<T extends TSchema>(schema: T, value: unknown): Static<T> {
  if (Value.Check(schema, value)) return value;
  const first = Value.Errors(schema, value).First();
  throw new Error(`unexpected reminder candidate row at ${first?.path || '/'}: ${first?.message ?? '?'}`);
}

function toCandidate(row: unknown): Candidate {
  const r = checked(CandidateRow, row);
  const notices = checked(Notices, typeof r.notices === 'string' ? JSON.parse(r.notices) : r.notices);
  return {
    id: r.id,
    institutionId: r.institution_id,
    institutionName: r.institution_name,
    institutionHosts: r.hosts,
    notifyEmails: r.notify_emails,
    creatorEmail: r.creator_email,
    name: r.name,
    display: r.display,
    state: r.state,
    expiresAt: r.expires_at,
    expirySetAt: r.expiry_set_at,
    expiredFrom: r.expired_from,
    notices: notices.map((n) => ({ kind: n.kind, status: n.status, claimedAt: new Date(n.claimedAt) })),
    key: `${r.key}|${r.id}`,
  };
}

// A row may be taken over when its send failed, or when its claimer has been silent too long (crashed).
const TAKEABLE = `token_notices.status = 'failed' OR (token_notices.status = 'claimed' AND token_notices.claimed_at <= $5)`;

/**
 * Claims a notice for sending: a new row, or a failed or stale one taken over. Only while the token
 * still has this expiry and has not been suspended or revoked since the sweep read it.
 */
export async function claimNotice(
  q: Queryable,
  k: NoticeKey,
  by: string,
  at: Date,
  staleBefore: Date,
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO token_notices (token_id, kind, expires_at, status, claimed_at, claimed_by, attempts)
     SELECT t.id, $2, $3, 'claimed', $4, $6, 1 FROM api_tokens t
     WHERE t.id = $1 AND ${EXPIRY} = $3 AND t.state = ANY($7)
     ON CONFLICT (token_id, kind, expires_at) DO UPDATE SET status = 'claimed', claimed_at = EXCLUDED.claimed_at,
       claimed_by = EXCLUDED.claimed_by, attempts = token_notices.attempts + 1, error = NULL
     WHERE ${TAKEABLE}
     RETURNING token_id`,
    [k.tokenId, k.kind, k.expiresAt, at, staleBefore, by, NOTIFIED_STATES],
  );
  return rows.length === 1;
}

/** Records a notice that will never be sent (unless another sweep holds a live claim on it). */
export async function skipNotice(
  q: Queryable,
  k: NoticeKey,
  by: string,
  at: Date,
  staleBefore: Date,
  reason: string,
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO token_notices (token_id, kind, expires_at, status, claimed_at, claimed_by, error)
     SELECT t.id, $2, $3, 'skipped', $4, $6, $7 FROM api_tokens t WHERE t.id = $1 AND ${EXPIRY} = $3
     ON CONFLICT (token_id, kind, expires_at) DO UPDATE SET status = 'skipped', claimed_at = EXCLUDED.claimed_at,
       claimed_by = EXCLUDED.claimed_by, error = EXCLUDED.error
     WHERE ${TAKEABLE}
     RETURNING token_id`,
    [k.tokenId, k.kind, k.expiresAt, at, staleBefore, by, reason],
  );
  return rows.length === 1;
}

/** Ends our claim; false if it was taken over meanwhile (the new claimer records the outcome). */
export async function finishNotice(
  q: Queryable,
  k: NoticeKey,
  by: string,
  outcome: { sentAt: Date } | { error: string },
): Promise<boolean> {
  const sent = 'sentAt' in outcome;
  const rows = await q.query(
    `UPDATE token_notices SET status = $5, sent_at = $6, error = $7
     WHERE token_id = $1 AND kind = $2 AND expires_at = $3 AND claimed_by = $4 AND status = 'claimed'
     RETURNING token_id`,
    [
      k.tokenId,
      k.kind,
      k.expiresAt,
      by,
      sent ? 'sent' : 'failed',
      sent ? outcome.sentAt : null,
      sent ? null : outcome.error,
    ],
  );
  return rows.length === 1;
}
