// The SQL of the applications view (SPEC 12, seed 000's "app-based grouping"): the institution's tokens
// grouped by issued-for, trimmed and case-insensitive, with counts over every state and, over the tokens
// active at `now` (the state in effect: an unrecorded expiry is not active), the next expiry.
import type { Queryable } from '../db/db.js';

export interface ApplicationRecord {
  /** The group's name as its first token spells it, trimmed; null for tokens issued for none. */
  issuedFor: string | null;
  tokens: number;
  active: number;
  suspended: number;
  lastUsedAt: Date | null;
  nextExpiresAt: Date | null;
}

interface ApplicationRow {
  issued_for: string | null;
  tokens: string | number;
  active: string | number;
  suspended: string | number;
  last_used_at: Date | null;
  next_expires_at: Date | null;
}

/** Every group, by name (case-insensitive), the group of none last; `q` filters the names. */
export async function listApplications(
  q: Queryable,
  institutionId: string,
  now: Date,
  search: string | null,
): Promise<ApplicationRecord[]> {
  const like = search === null ? null : `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await q.query<ApplicationRow>(
    `WITH t AS (
       SELECT NULLIF(lower(btrim(issued_for)), '') AS key, NULLIF(btrim(issued_for), '') AS name,
         created_at, id, last_used_at, expires_at,
         CASE WHEN state IN ('active', 'suspended') AND expires_at <= $2 THEN 'expired' ELSE state END AS state
       FROM api_tokens WHERE institution_id = $1)
     SELECT (array_agg(name ORDER BY created_at, id))[1] AS issued_for, count(*) AS tokens,
       count(*) FILTER (WHERE state = 'active') AS active,
       count(*) FILTER (WHERE state = 'suspended') AS suspended,
       max(last_used_at) AS last_used_at,
       min(expires_at) FILTER (WHERE state = 'active') AS next_expires_at
     FROM t WHERE $3::text IS NULL OR key ILIKE $3
     GROUP BY key ORDER BY key COLLATE "C" NULLS LAST`,
    [institutionId, now, like],
  );
  return rows.map((r) => ({
    issuedFor: r.issued_for,
    tokens: Number(r.tokens),
    active: Number(r.active),
    suspended: Number(r.suspended),
    lastUsedAt: r.last_used_at,
    nextExpiresAt: r.next_expires_at,
  }));
}
