// The management list's parameters (SPEC sections 5 and 12), checked and normalised before any query:
// states (effective), search, issued for, permissions held, a compromised current secret, expiry, last
// use, creator and network rule, sort, order and limit. The normalised filters also bind the cursor, and
// are what the export and the bulk action take ("the list's filters"): the one place they are parsed.
// The API's schema checks the shapes first; these checks are what the CLI and a bulk `filter` get.
import { type Failure, fail, ok, type Result } from '../errors.js';
import { cursorHolds } from '../pagination.js';
import { textAllowed } from '../text-rules.js';
import { parseIsoTime } from './expiry.js';
import { isTokenState, TOKEN_STATES, type TokenState } from './lifecycle.js';
import { byKey, checkKey, MAX_PERMISSIONS } from '../permissions/rules.js';

/** A boolean filter as a query string has it (`true`/`false`) or as the CLI and a JSON body do. */
type Flag = string | boolean | undefined;

export interface ListInput {
  states?: string[] | undefined;
  q?: string | undefined;
  issuedFor?: string | undefined;
  /** Tokens holding any of these. */
  permissions?: string[] | undefined;
  compromised?: Flag;
  /** ISO time: tokens that expire before it (none without expiry). */
  expiresBefore?: string | undefined;
  noExpiry?: Flag;
  /** ISO time: last used before it, or never used and created before it. */
  lastUsedBefore?: string | undefined;
  neverUsed?: Flag;
  /** A user's id. */
  createdBy?: string | undefined;
  ipRestricted?: Flag;
  sort?: string | undefined;
  order?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export const LIST_SORTS = ['createdAt', 'expiresAt', 'lastUsedAt'] as const;
export type ListSort = (typeof LIST_SORTS)[number];

/** The filters, checked and normalised: what the list's query takes and its cursor is bound to. */
export interface ListFilters {
  states: TokenState[];
  q: string | null;
  issuedFor: string | null;
  permissions: string[];
  /** Whether the current secret was reported leaked; null: either. */
  compromised: boolean | null;
  /** ISO times, normalised to toISOString. */
  expiresBefore: string | null;
  noExpiry: boolean | null;
  lastUsedBefore: string | null;
  neverUsed: boolean | null;
  createdBy: string | null;
  /** Whether the token has a network rule; null: either. */
  ipRestricted: boolean | null;
  sort: ListSort;
  order: 'asc' | 'desc';
  limit: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FLAGS = ['compromised', 'noExpiry', 'neverUsed', 'ipRestricted'] as const;
const TIMES = ['expiresBefore', 'lastUsedBefore'] as const;

export function parseListInput(input: ListInput): Result<ListFilters & { cursor: string | undefined }> {
  const states = input.states ?? [];
  if (!states.every(isTokenState))
    return fail(
      'invalid_request',
      `state must be ${TOKEN_STATES.join(', ').replace(/, (?!.*, )/, ' or ')}`,
      'state',
    );
  const sort = input.sort ?? 'createdAt';
  if (!(LIST_SORTS as readonly string[]).includes(sort))
    return fail('invalid_request', 'sort must be createdAt, expiresAt or lastUsedAt', 'sort');
  const order = input.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    return fail('invalid_request', 'order must be asc or desc', 'order');
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return fail('invalid_request', 'limit must be 1-100', 'limit');
  const text = checkTexts(input);
  if (text) return text;
  // A key the catalogue does not hold matches no token; one that cannot be a key is a mistake.
  const permissions = input.permissions ?? [];
  if (permissions.length > MAX_PERMISSIONS)
    return fail('invalid_request', `permission may repeat at most ${MAX_PERMISSIONS} times`, 'permission');
  if (!permissions.every((key) => checkKey(key).ok))
    return fail('invalid_request', 'permission must be a permission key', 'permission');
  const flags = {} as Record<(typeof FLAGS)[number], boolean | null>;
  for (const field of FLAGS) {
    const value = parseFlag(input[field]);
    if (value === undefined) return fail('invalid_request', `${field} must be true or false`, field);
    flags[field] = value;
  }
  const times = {} as Record<(typeof TIMES)[number], string | null>;
  for (const field of TIMES) {
    const raw = input[field];
    const at = raw === undefined ? null : parseFilterTime(raw);
    if (raw !== undefined && !at)
      return fail('invalid_request', `${field} must be an ISO-8601 time with a zone`, field);
    times[field] = at ? at.toISOString() : null;
  }
  if (input.createdBy !== undefined && !UUID.test(input.createdBy))
    return fail('invalid_request', 'createdBy must be a user id', 'createdBy');
  // The binding is checked where the query's fingerprint is made; here, that the id is a token's.
  if (input.cursor !== undefined && !cursorHolds(input.cursor, 'uuid'))
    return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
  return ok({
    states: [...new Set(states)].sort(),
    q: input.q?.trim() || null,
    issuedFor: input.issuedFor?.trim() || null,
    permissions: [...new Set(permissions)].sort(byKey),
    ...flags,
    ...times,
    createdBy: input.createdBy?.toLowerCase() ?? null,
    sort: sort as ListSort,
    order,
    limit,
    cursor: input.cursor,
  });
}

function checkTexts(input: ListInput): Failure | null {
  for (const field of ['q', 'issuedFor'] as const) {
    if ((input[field] ?? '').length > 200)
      return fail('invalid_request', `${field} must be at most 200 characters`, field);
    if (!textAllowed(input[field] ?? '', 'line'))
      return fail('invalid_request', `${field} must not hold control characters`, field);
  }
  return null;
}

/** An ISO time of a filter: parseIsoTime's, on a real calendar day (not 02-30, which Date rolls over). */
export function parseFilterTime(value: string): Date | null {
  const at = parseIsoTime(value);
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return at && new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d ? at : null;
}

/** A boolean filter: null when absent, undefined when it is neither true nor false. */
function parseFlag(value: Flag): boolean | null | undefined {
  if (value === undefined) return null;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}
