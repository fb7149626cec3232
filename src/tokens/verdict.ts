// The pure decision of a token check (SPEC sections 4 and 8) over a row the cache holds: institution,
// then expiry before state, then the network rule, then the permissions, all at `now`, so a cached row
// never outlives its expiry and a change is seen as soon as the row is. No I/O here; the verifier owns
// the cache. The network rule is compiled once per cache fill, not per request.
import { canAuthenticate, effectiveState, type TokenState } from './lifecycle.js';
import { compileNetworkRule, type NetworkRule } from './network-rules.js';

/**
 * What a token check knows of the token a secret belongs to: the core's own record, which the secret
 * store's rows satisfy (stores depend on the core, not the other way round).
 */
export interface CheckedToken {
  id: string;
  institutionId: string;
  name: string;
  display: string;
  state: TokenState;
  expiresAt: Date | null;
  permissions: string[];
  /** The network rule (canonical networks; empty allows any address). */
  allowedIps: string[];
  /** Set when the presented secret was retired by a rotation: it works until then, never after. */
  retiredValidUntil: Date | null;
  retired: boolean;
}

export type AuthFailure =
  | 'invalid_token'
  | 'token_suspended'
  | 'token_revoked'
  | 'token_expired'
  | 'token_rotated'
  | 'ip_not_allowed'
  | 'insufficient_permission';

/**
 * A refusal of the token itself (an address outside its network rule included): a permission it lacks
 * is the route's refusal, never recorded.
 */
export type TokenRefusal = Exclude<AuthFailure, 'insufficient_permission'>;

/** What a known token's failed check is recorded as: another institution's token is reported as such. */
export type FailureReason = TokenRefusal | 'wrong_institution';

export interface VerifiedToken {
  id: string;
  institutionId: string;
  name: string;
  display: string;
  permissions: string[];
  expiresAt: Date | null;
  /**
   * What FF-Auth-Token-Valid-Until reports (ISO-8601 UTC, written once per cache fill): expiry, or the
   * earlier grace end of a retired secret.
   */
  validUntil: string | null;
  /** The token's own view (`GET /apis/v1/token`) as JSON, serialised once per cache fill. */
  ownView: string;
}

/** A refusal; `permission` is the first missing one, for insufficient_permission. */
export interface Refusal {
  ok: false;
  reason: AuthFailure;
  token: CheckedToken | null;
  permission?: string;
}

export type Verification = { ok: true; token: VerifiedToken } | Refusal;

export interface Prepared {
  row: CheckedToken;
  valid: { ok: true; token: VerifiedToken };
  /** The row's network rule, compiled. */
  network: NetworkRule;
}

/** What a route needs beyond an active token: nothing (the own view), or every permission listed. */
export type RequiredPermissions = readonly string[] | null;

export const INVALID: Verification = { ok: false, reason: 'invalid_token', token: null };

/** Compiles a stored network rule; the verifier passes one that shares compiled rules between fills. */
export type RuleCompiler = (allowedIps: readonly string[]) => NetworkRule;

/** A rule compiled afresh, remembering its latest answers. */
export const compileRule: RuleCompiler = (allowedIps) => remembering(compileNetworkRule(allowedIps));

/** The row with the answer it gives when valid: built once per cache fill, not on every request. */
export function prepare(row: CheckedToken, compile: RuleCompiler = compileRule): Prepared {
  const ends = [row.expiresAt, row.retired ? row.retiredValidUntil : null].filter(
    (d): d is Date => d !== null,
  );
  const validUntil =
    ends.length > 0 ? new Date(Math.min(...ends.map((d) => d.getTime()))).toISOString() : null;
  const token: VerifiedToken = {
    id: row.id,
    institutionId: row.institutionId,
    name: row.name,
    display: row.display,
    permissions: row.permissions,
    expiresAt: row.expiresAt,
    validUntil,
    ownView: JSON.stringify({
      id: row.id,
      name: row.name,
      display: row.display,
      state: 'active',
      permissions: row.permissions,
      expiresAt: row.expiresAt?.toISOString() ?? null,
    }),
  };
  return { row, valid: { ok: true, token }, network: compile(row.allowedIps) };
}

// Addresses whose answer a compiled rule keeps: an integration calls from a few addresses, and a
// BlockList check costs microseconds (it builds a SocketAddress), the memory lookup nanoseconds.
const REMEMBERED = 16;

/** The rule with its latest answers kept: a rule's answer for an address never changes. */
function remembering(rule: NetworkRule): NetworkRule {
  if (rule.any) return rule;
  const seen = new Map<string, boolean>();
  return {
    any: false,
    allows(address) {
      let allowed = seen.get(address);
      if (allowed === undefined) {
        allowed = rule.allows(address);
        // Bounded however many addresses try: a burst of new ones costs what it would without memory.
        if (seen.size >= REMEMBERED) seen.clear();
        seen.set(address, allowed);
      }
      return allowed;
    },
  };
}

/**
 * The answer for a request to `institutionId` from the client at `address` (normalised as the rate
 * limits see it; one that is no address is refused by any non-empty rule) needing `required`, at `now`.
 */
export function judge(
  entry: Prepared,
  institutionId: string,
  now: Date,
  required: RequiredPermissions,
  address: string,
): Verification {
  const { row } = entry;
  // Another institution's token is unknown here; its row goes back so its owner can be told.
  if (row.institutionId !== institutionId) return { ok: false, reason: 'invalid_token', token: row };
  const failure = refusal(row, now);
  if (failure) return { ok: false, reason: failure, token: row };
  // After expiry and state (a suspended token says so from anywhere), before the permissions (SPEC 8).
  if (!entry.network.any && !entry.network.allows(address))
    return { ok: false, reason: 'ip_not_allowed', token: row };
  const missing = firstMissing(row.permissions, required);
  if (missing !== null)
    return { ok: false, reason: 'insufficient_permission', token: row, permission: missing };
  return entry.valid;
}

/** The first of `required`, in its order, that `held` lacks; a key not in the catalogue is simply missing. */
function firstMissing(held: readonly string[], required: RequiredPermissions): string | null {
  if (!required) return null;
  // Indexed: this runs on every request with a permission, and must not allocate an iterator.
  for (let i = 0; i < required.length; i++) {
    const key = required[i] as string;
    if (!held.includes(key)) return key;
  }
  return null;
}

/** The refusals of the token's own state, in SPEC section 4's order: expiry before state. */
function refusal(row: CheckedToken, now: Date): TokenRefusal | null {
  // lifecycle's state in effect at `now`: revoked wins over expiry, expiry over suspension.
  const state = effectiveState(row.state, row.expiresAt, now);
  if (state === 'revoked') return 'token_revoked';
  if (state === 'expired') return 'token_expired';
  // Times as numbers: `Date >= Date` converts both through Symbol.toPrimitive on every request.
  if (row.retired && (!row.retiredValidUntil || now.getTime() >= row.retiredValidUntil.getTime()))
    return 'token_rotated';
  if (!canAuthenticate(state)) return 'token_suspended';
  return null;
}

/**
 * Whether a re-read row says what the cached one says, field by field (CheckedToken's every field): a refresh
 * that finds its token unchanged keeps the prepared answer instead of building and serialising a new one.
 */
export function sameRow(a: CheckedToken, b: CheckedToken): boolean {
  return (
    a.id === b.id &&
    a.institutionId === b.institutionId &&
    a.name === b.name &&
    a.display === b.display &&
    a.state === b.state &&
    time(a.expiresAt) === time(b.expiresAt) &&
    a.retired === b.retired &&
    time(a.retiredValidUntil) === time(b.retiredValidUntil) &&
    sameList(a.permissions, b.permissions) &&
    sameList(a.allowedIps, b.allowedIps)
  );
}

const time = (d: Date | null) => d?.getTime() ?? null;
const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
