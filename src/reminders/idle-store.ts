// The SQL of the inactivity policy's notices (SPEC 12): the active tokens due a warning or a suspension,
// the tokens it suspended whose notice is still to send, and their claims in token_notices (the same
// rows and rules as the expiry reminders: a committed claim before SMTP, store.finishNotice after it).
// The occasion of a notice is kept in the expires_at column: the idle spell's start for unused_7d, the
// suspension's moment for unused_suspended; every claim re-checks it, so a token used, reactivated or
// suspended again since the sweep read it gets no stale email.
import type { Queryable } from '../db/db.js';
import type { ClaimStatus, IdleNoticeKind } from './inactivity.js';

export interface IdleToken {
  id: string;
  institutionId: string;
  institutionName: string;
  institutionHosts: string[];
  notifyEmails: string[];
  creatorEmail: string | null;
  name: string;
  display: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** The institution's suspendUnusedAfterDays. */
  days: number;
  /** unused_7d: the idle spell's start; unused_suspended: the suspension's moment. */
  occasion: Date;
  /** The notice of this occasion as recorded, if any. */
  notice: { status: ClaimStatus; claimedAt: Date; sentAt: Date | null } | null;
}

// Both at the application's precision (milliseconds), whatever wrote the token.
const SPELL = `date_trunc('milliseconds', GREATEST(t.created_at, t.last_used_at, t.state_changed_at))`;
const SUSPENDED_AT = `date_trunc('milliseconds', t.state_changed_at)`;
/** How the inactivity policy's suspension is told from any other: by the system, with its reason. */
const BY_POLICY = `t.state = 'suspended' AND t.state_changed_by IS NULL AND t.state_reason ~ '^unused for [0-9]+ days$'`;

const columns = (occasion: string, kind: IdleNoticeKind) => `t.id, t.institution_id, t.name, t.display,
  t.created_at, t.last_used_at, i.name AS institution_name, i.notify_emails, u.email AS creator_email,
  i.suspend_unused_after_days AS days, ${occasion} AS occasion,
  COALESCE((SELECT array_agg(h.hostname ORDER BY h.hostname) FROM institution_hosts h
    WHERE h.institution_id = i.id), '{}') AS hosts,
  (SELECT json_build_object('status', n.status, 'claimedAt', n.claimed_at, 'sentAt', n.sent_at)
    FROM token_notices n WHERE n.token_id = t.id AND n.kind = '${kind}' AND n.expires_at = ${occasion}) AS notice
  FROM api_tokens t JOIN institutions i ON i.id = t.institution_id LEFT JOIN users u ON u.id = t.created_by`;

/**
 * Active, unexpired tokens of institutions with the policy whose warning is due at `now` (so their
 * suspension may be too), in id order after `after`.
 */
export async function listIdle(
  q: Queryable,
  now: Date,
  after: string | null,
  limit: number,
): Promise<IdleToken[]> {
  const rows = await q.query<IdleRow>(
    `SELECT ${columns(SPELL, 'unused_7d')}
     WHERE i.suspend_unused_after_days IS NOT NULL AND t.state = 'active'
       AND (t.expires_at IS NULL OR t.expires_at > $1)
       AND ${SPELL} <= $1::timestamptz - (i.suspend_unused_after_days - 7) * interval '24 hours'
       AND ($2::uuid IS NULL OR t.id > $2::uuid)
     ORDER BY t.id LIMIT $3`,
    [now, after, limit],
  );
  return rows.map(toIdle);
}

/** Tokens the policy suspended in the last 30 days whose suspension notice is neither sent nor skipped. */
export async function listSuspendedUnnoticed(q: Queryable, now: Date, limit: number): Promise<IdleToken[]> {
  const rows = await q.query<IdleRow>(
    `SELECT ${columns(SUSPENDED_AT, 'unused_suspended')}
     WHERE ${BY_POLICY} AND t.state_changed_at > $1::timestamptz - interval '30 days'
       AND NOT EXISTS (SELECT 1 FROM token_notices d WHERE d.token_id = t.id AND d.kind = 'unused_suspended'
         AND d.expires_at = ${SUSPENDED_AT} AND d.status IN ('sent', 'skipped'))
     ORDER BY t.state_changed_at, t.id LIMIT $2`,
    [now, limit],
  );
  return rows.map(toIdle);
}

interface IdleRow {
  id: string;
  institution_id: string;
  institution_name: string;
  hosts: string[];
  notify_emails: string[];
  creator_email: string | null;
  name: string;
  display: string;
  created_at: Date;
  last_used_at: Date | null;
  days: number | null;
  occasion: Date;
  /** json_build_object: parsed by pg and by PGlite; as text by a driver that leaves json alone. */
  notice: unknown;
}

const STATUSES: readonly string[] = ['claimed', 'sent', 'failed', 'skipped'];

function noticeOf(value: unknown): IdleToken['notice'] {
  const n: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (n === null || n === undefined) return null;
  const o = n as { status?: unknown; claimedAt?: unknown; sentAt?: unknown };
  if (typeof o.status !== 'string' || !STATUSES.includes(o.status) || typeof o.claimedAt !== 'string')
    throw new Error('unexpected inactivity notice row');
  return {
    status: o.status as ClaimStatus,
    claimedAt: new Date(o.claimedAt),
    sentAt: typeof o.sentAt === 'string' ? new Date(o.sentAt) : null,
  };
}

function toIdle(r: IdleRow): IdleToken {
  return {
    id: r.id,
    institutionId: r.institution_id,
    institutionName: r.institution_name,
    institutionHosts: r.hosts,
    notifyEmails: r.notify_emails,
    creatorEmail: r.creator_email,
    name: r.name,
    display: r.display,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    // A suspended token's institution may have turned the policy off since: its notice still goes out.
    days: r.days ?? 0,
    occasion: r.occasion,
    notice: noticeOf(r.notice),
  };
}

export interface IdleClaim {
  tokenId: string;
  kind: IdleNoticeKind;
  occasion: Date;
  by: string;
  at: Date;
  staleBefore: Date;
}

// Still the same occasion: the warning while the token is active, unused since and under the policy;
// the suspension notice while that suspension stands.
const STILL = {
  unused_7d: `t.state = 'active' AND ${SPELL} = $3 AND EXISTS (SELECT 1 FROM institutions i
    WHERE i.id = t.institution_id AND i.suspend_unused_after_days IS NOT NULL)`,
  unused_suspended: `${BY_POLICY} AND ${SUSPENDED_AT} = $3`,
} as const;

/**
 * Claims a notice for sending, or records it as skipped (`reason`): a new row, or a failed or stale one
 * taken over. False when another sweep holds it or has settled it, or the occasion has passed.
 */
export async function claimIdleNotice(
  q: Queryable,
  c: IdleClaim,
  skipped: string | null = null,
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO token_notices (token_id, kind, expires_at, status, claimed_at, claimed_by, attempts, error)
     SELECT t.id, $2, $3, $7, $4, $6, $8, $9 FROM api_tokens t WHERE t.id = $1 AND ${STILL[c.kind]}
     ON CONFLICT (token_id, kind, expires_at) DO UPDATE SET status = EXCLUDED.status,
       claimed_at = EXCLUDED.claimed_at, claimed_by = EXCLUDED.claimed_by,
       attempts = token_notices.attempts + EXCLUDED.attempts, error = EXCLUDED.error
     WHERE token_notices.status = 'failed' OR (token_notices.status = 'claimed' AND token_notices.claimed_at <= $5)
     RETURNING token_id`,
    [
      c.tokenId,
      c.kind,
      c.occasion,
      c.at,
      c.staleBefore,
      c.by,
      skipped === null ? 'claimed' : 'skipped',
      skipped === null ? 1 : 0,
      skipped,
    ],
  );
  return rows.length === 1;
}
