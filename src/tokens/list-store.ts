// The token list's SQL (SPEC section 5's GET /apis/v1/api-tokens): one page in keyset order, filtered by
// the state in effect at `now`, text, issued-for, the permissions held (any of them) and whether the
// current secret was reported leaked (compromised_at, which a rotation clears). Beside
// store.ts, whose token select it extends.
import type { Queryable } from '../db/db.js';
import { EXPIRED_STATE, ROTATABLE_STATES } from './lifecycle.js';
import type { ListFilters } from './list-query.js';
import { SELECT_TOKEN, type TokenRecord, type TokenRow, toToken } from './store.js';

/** The SQL form of lifecycle.effectiveState, so filters agree with what answers report. */
const effectiveState = (now: string, rotatable: string, expired: string) =>
  `CASE WHEN t.state = ANY(${rotatable}) AND t.expires_at <= ${now} THEN ${expired} ELSE t.state END`;

export interface ListQuery extends ListFilters {
  institutionId: string;
  now: Date;
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
  if (l.states.length > 0) {
    const state = effectiveState(
      `${add(l.now)}::timestamptz`,
      add(ROTATABLE_STATES),
      `${add(EXPIRED_STATE)}::text`,
    );
    where.push(`${state} = ANY(${add(l.states)})`);
  }
  if (l.q) {
    const like = add(`%${l.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(t.name ILIKE ${like} OR t.description ILIKE ${like} OR t.issued_for ILIKE ${like})`);
  }
  if (l.issuedFor) where.push(`lower(t.issued_for) = lower(${add(l.issuedFor)})`);
  if (l.permissions.length > 0) where.push(`t.permissions && ${add(l.permissions)}::text[]`);
  if (l.compromised !== null) where.push(`t.compromised_at IS ${l.compromised ? 'NOT ' : ''}NULL`);
  const dir = l.order === 'asc' ? 'ASC' : 'DESC';
  if (l.after)
    where.push(
      `(${key}, t.id) ${l.order === 'asc' ? '>' : '<'} (${add(l.after.key)}::timestamptz, ${add(l.after.id)}::uuid)`,
    );
  const rows = await q.query<TokenRow & { sort_key: string }>(
    `${SELECT_TOKEN.replace('SELECT t.*', `SELECT t.*, ${sortKeyText(key)} AS sort_key`)}
     WHERE ${where.join(' AND ')} ORDER BY ${key} ${dir}, t.id ${dir} LIMIT ${add(l.limit)}`,
    params,
  );
  return { rows: rows.map(toToken), keys: rows.map((r) => r.sort_key) };
}

/** The keyset value as text that round-trips exactly: ISO with microseconds, or ±infinity. */
const sortKeyText = (key: string) =>
  `CASE WHEN ${key} IN ('infinity', '-infinity') THEN (${key})::text
   ELSE to_char(${key} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END`;
