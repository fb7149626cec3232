// The token list's SQL (SPEC sections 5 and 12, GET /apis/v1/api-tokens): one page in keyset order,
// filtered by the state in effect at `now`, text, issued-for, the permissions held (any of them), whether
// the current secret was reported leaked (compromised_at, which a rotation clears), expiry, last use,
// creator and network rule. Beside store.ts, whose token select it extends; migration 011 indexes it.
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

/** One page in keyset order (sortKey), ties by id. */
export async function listTokens(
  q: Queryable,
  l: ListQuery,
): Promise<{ rows: TokenRecord[]; keys: string[] }> {
  const key = sortKey(l);
  const { where, params, add } = filtered(l);
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

/** The ids the filters match, oldest first, at most `limit` of them: a bulk action's selection. */
export async function matchingIds(
  q: Queryable,
  l: ListFilters & { institutionId: string; now: Date },
  limit: number,
): Promise<string[]> {
  const { where, params, add } = filtered(l);
  const rows = await q.query<{ id: string }>(
    `SELECT t.id FROM api_tokens t WHERE ${where.join(' AND ')}
     ORDER BY t.created_at, t.id LIMIT ${add(limit)}`,
    params,
  );
  return rows.map((r) => r.id);
}

/**
 * The keyset's first column. Expiry and last use put "none" at the far end (±infinity, the order's
 * last), so tokens without expiry or never used come last in either order and the keyset holds; each
 * expression is indexed as written here (migrations 004 and 011).
 */
function sortKey(l: Pick<ListFilters, 'sort' | 'order'>): string {
  const last = `'${l.order === 'asc' ? 'infinity' : '-infinity'}'::timestamptz`;
  if (l.sort === 'expiresAt') return `COALESCE(t.expires_at, ${last})`;
  if (l.sort === 'lastUsedAt') return `COALESCE(t.last_used_at, ${last})`;
  return 't.created_at';
}

/** The institution's tokens the filters select: WHERE clauses, their parameters, and `add` for more. */
function filtered(l: ListFilters & { institutionId: string; now: Date }) {
  const params: unknown[] = [l.institutionId];
  const add = (value: unknown) => `$${params.push(value)}`;
  return { where: ['t.institution_id = $1', ...filterClauses(l, add)], params, add };
}

/** The WHERE clauses of the filters (not the institution or the keyset), parameters through `add`. */
export function filterClauses(l: ListFilters & { now: Date }, add: (value: unknown) => string): string[] {
  const where: string[] = [];
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
  if (l.issuedFor) where.push(`lower(btrim(t.issued_for)) = lower(${add(l.issuedFor)})`);
  if (l.permissions.length > 0) where.push(`t.permissions && ${add(l.permissions)}::text[]`);
  const not = (flag: boolean) => (flag ? 'NOT ' : '');
  if (l.compromised !== null) where.push(`t.compromised_at IS ${not(l.compromised)}NULL`);
  if (l.expiresBefore) where.push(`t.expires_at < ${add(l.expiresBefore)}::timestamptz`);
  if (l.noExpiry !== null) where.push(`t.expires_at IS ${not(!l.noExpiry)}NULL`);
  // Never used counts from creation: an idle token created long ago is as stale as one used long ago.
  if (l.lastUsedBefore)
    where.push(`COALESCE(t.last_used_at, t.created_at) < ${add(l.lastUsedBefore)}::timestamptz`);
  if (l.neverUsed !== null) where.push(`t.last_used_at IS ${not(!l.neverUsed)}NULL`);
  if (l.createdBy) where.push(`t.created_by = ${add(l.createdBy)}::uuid`);
  if (l.ipRestricted !== null) where.push(`cardinality(t.allowed_ips) ${l.ipRestricted ? '>' : '='} 0`);
  return where;
}

/** The keyset value as text that round-trips exactly: ISO with microseconds, or ±infinity. */
const sortKeyText = (key: string) =>
  `CASE WHEN ${key} IN ('infinity', '-infinity') THEN (${key})::text
   ELSE to_char(${key} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END`;
