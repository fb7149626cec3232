// Token states and the transitions between them (SPEC section 2), decided purely. This is the one list
// of states: the API's schemas, the list filter, the SQL guards (passed as `= ANY($n)`) and the page's
// types all derive from it, and the stores apply these rules rather than restating them.
// Expiry is not a stored transition but the state in effect at `now`, so a token whose time has
// passed is expired everywhere at once, before a request or the sweep has recorded it.

export const TOKEN_STATES = ['active', 'suspended', 'revoked', 'expired'] as const;

export type TokenState = (typeof TOKEN_STATES)[number];

/** Whether an outside string (a filter, an argument) names a token state. */
export const isTokenState = (s: string): s is TokenState => (TOKEN_STATES as readonly string[]).includes(s);

export type Transition = 'suspend' | 'reactivate' | 'revoke';

/** The state a token is created in, and the one that records its expiry (SPEC section 2's table). */
export const CREATED_STATE = 'active' satisfies TokenState;
export const EXPIRED_STATE = 'expired' satisfies TokenState;

export const TRANSITIONS: Record<
  Transition,
  {
    from: readonly TokenState[];
    to: TokenState;
    event: 'token.suspended' | 'token.reactivated' | 'token.revoked';
  }
> = {
  suspend: { from: ['active'], to: 'suspended', event: 'token.suspended' },
  reactivate: { from: ['suspended'], to: 'active', event: 'token.reactivated' },
  // Seed 000's flow: suspend first, then revoke, so a live integration is never cut off in one click.
  revoke: { from: ['suspended'], to: 'revoked', event: 'token.revoked' },
};

/**
 * The states a token can still come back from. Rotate and renew keep a token's identity, so they apply
 * only here; and only here does expiry take effect (revoked wins over it).
 */
export const ROTATABLE_STATES = ['active', 'suspended'] as const satisfies readonly TokenState[];

const rotatable = (state: TokenState) => (ROTATABLE_STATES as readonly TokenState[]).includes(state);

export function effectiveState(stored: TokenState, expiresAt: Date | null, now: Date): TokenState {
  // Revoked wins over expiry: it records a deliberate decision, and its reason must stay visible.
  if (!rotatable(stored)) return stored;
  if (expiresAt !== null && now.getTime() >= expiresAt.getTime()) return EXPIRED_STATE;
  return stored;
}

/**
 * Whether the state in effect (`effective`, from effectiveState) is an expiry the stored row does not
 * record yet: the check and the management API then record it, and answers show it as the system's.
 */
export function expiryUnrecorded(stored: TokenState, effective: TokenState): boolean {
  return effective === EXPIRED_STATE && stored !== EXPIRED_STATE;
}

/** `state` must be the effective state, so nothing can move a token that has already expired. */
export function canApply(t: Transition, state: TokenState): boolean {
  return TRANSITIONS[t].from.includes(state);
}

/** Rotate and renew (`state` effective, as for canApply). */
export function canRotate(state: TokenState): boolean {
  return rotatable(state);
}

export function canAuthenticate(state: TokenState): boolean {
  return state === 'active';
}
