// The management list's parameters (SPEC section 5), checked and normalised before any query: states
// (effective), search, issued for, permissions held, a compromised current secret (SPEC 12), sort, order
// and limit. The normalised filters
// also bind the cursor. The API's schema checks the same first; these checks are what the CLI's list gets.
import { fail, ok, type Result } from '../errors.js';
import { cursorHolds } from '../pagination.js';
import { textAllowed } from '../text-rules.js';
import { isTokenState, TOKEN_STATES, type TokenState } from './lifecycle.js';
import { byKey, checkKey, MAX_PERMISSIONS } from '../permissions/rules.js';

export interface ListInput {
  states?: string[];
  q?: string | undefined;
  issuedFor?: string | undefined;
  /** Tokens holding any of these. */
  permissions?: string[] | undefined;
  /** `true`/`false` from a query string, a boolean from the CLI. */
  compromised?: string | boolean | undefined;
  sort?: string | undefined;
  order?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** The filters, checked and normalised: what the list's query takes and its cursor is bound to. */
export interface ListFilters {
  states: TokenState[];
  q: string | null;
  issuedFor: string | null;
  permissions: string[];
  /** Whether the current secret was reported leaked; null: either. */
  compromised: boolean | null;
  sort: 'createdAt' | 'expiresAt';
  order: 'asc' | 'desc';
  limit: number;
}

export function parseListInput(input: ListInput): Result<ListFilters & { cursor: string | undefined }> {
  const states = input.states ?? [];
  if (!states.every(isTokenState))
    return fail(
      'invalid_request',
      `state must be ${TOKEN_STATES.join(', ').replace(/, (?!.*, )/, ' or ')}`,
      'state',
    );
  const sort = input.sort ?? 'createdAt';
  if (sort !== 'createdAt' && sort !== 'expiresAt')
    return fail('invalid_request', 'sort must be createdAt or expiresAt', 'sort');
  const order = input.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    return fail('invalid_request', 'order must be asc or desc', 'order');
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return fail('invalid_request', 'limit must be 1-100', 'limit');
  if ((input.q ?? '').length > 200) return fail('invalid_request', 'q must be at most 200 characters', 'q');
  if ((input.issuedFor ?? '').length > 200)
    return fail('invalid_request', 'issuedFor must be at most 200 characters', 'issuedFor');
  for (const field of ['q', 'issuedFor'] as const) {
    if (!textAllowed(input[field] ?? '', 'line'))
      return fail('invalid_request', `${field} must not hold control characters`, field);
  }
  // A key the catalogue does not hold matches no token; one that cannot be a key is a mistake.
  const permissions = input.permissions ?? [];
  if (permissions.length > MAX_PERMISSIONS)
    return fail('invalid_request', `permission may repeat at most ${MAX_PERMISSIONS} times`, 'permission');
  if (!permissions.every((key) => checkKey(key).ok))
    return fail('invalid_request', 'permission must be a permission key', 'permission');
  const compromised = parseFlag(input.compromised);
  if (compromised === undefined)
    return fail('invalid_request', 'compromised must be true or false', 'compromised');
  // The binding is checked where the query's fingerprint is made; here, that the id is a token's.
  if (input.cursor !== undefined && !cursorHolds(input.cursor, 'uuid'))
    return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
  return ok({
    states: [...new Set(states)].sort(),
    q: input.q?.trim() || null,
    issuedFor: input.issuedFor?.trim() || null,
    permissions: [...new Set(permissions)].sort(byKey),
    compromised,
    sort,
    order,
    limit,
    cursor: input.cursor,
  });
}

/** A boolean filter: null when absent, undefined when it is neither true nor false. */
function parseFlag(value: string | boolean | undefined): boolean | null | undefined {
  if (value === undefined) return null;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}
