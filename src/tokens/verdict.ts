// The pure decision of a token check (SPEC section 4) over a row the cache holds: institution, then
// expiry before state, then permission, all at `now`, so a cached row never outlives its expiry and a
// change of state is seen as soon as the row is. No I/O here; the verifier owns the cache.
import { canAuthenticate, effectiveState, type TokenState } from './lifecycle.js';

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
  | 'insufficient_permission';

/** A refusal of the token itself: a permission it lacks is the route's refusal, never recorded. */
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

export type Verification =
  { ok: true; token: VerifiedToken } | { ok: false; reason: AuthFailure; token: CheckedToken | null };

export interface Prepared {
  row: CheckedToken;
  valid: { ok: true; token: VerifiedToken };
}

export const INVALID: Verification = { ok: false, reason: 'invalid_token', token: null };

/** The row with the answer it gives when valid: built once per cache fill, not on every request. */
export function prepare(row: CheckedToken): Prepared {
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
  return { row, valid: { ok: true, token } };
}

/** The answer for a request to `institutionId` needing `permission`, at `now`. */
export function judge(
  entry: Prepared,
  institutionId: string,
  now: Date,
  permission: string | null,
): Verification {
  // Another institution's token is unknown here; its row goes back so its owner can be told.
  if (entry.row.institutionId !== institutionId)
    return { ok: false, reason: 'invalid_token', token: entry.row };
  const failure = refusal(entry.row, now, permission);
  return failure ? { ok: false, reason: failure, token: entry.row } : entry.valid;
}

/** The pure decision of SPEC section 4, in its order: expiry before state, then permission. */
function refusal(row: CheckedToken, now: Date, permission: string | null): AuthFailure | null {
  // lifecycle's state in effect at `now`: revoked wins over expiry, expiry over suspension.
  const state = effectiveState(row.state, row.expiresAt, now);
  if (state === 'revoked') return 'token_revoked';
  if (state === 'expired') return 'token_expired';
  // Times as numbers: `Date >= Date` converts both through Symbol.toPrimitive on every request.
  if (row.retired && (!row.retiredValidUntil || now.getTime() >= row.retiredValidUntil.getTime()))
    return 'token_rotated';
  if (!canAuthenticate(state)) return 'token_suspended';
  if (permission && !row.permissions.includes(permission)) return 'insufficient_permission';
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
