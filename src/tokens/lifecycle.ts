// Token states and the transitions between them (SPEC section 2), decided purely: the store applies
// a transition with a guarded UPDATE, so this table and the SQL guard must agree.
// Expiry is not a stored transition but the state in effect at `now`, so a token whose time has
// passed is expired everywhere at once, before a request or the sweep has recorded it.

export type TokenState = 'active' | 'suspended' | 'revoked' | 'expired';

export type Transition = 'suspend' | 'reactivate' | 'revoke';

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

/** Rotate and renew keep a token's identity, so they apply only while it can still come back. */
export const ROTATABLE_STATES: readonly TokenState[] = ['active', 'suspended'];

export function effectiveState(stored: TokenState, expiresAt: Date | null, now: Date): TokenState {
  // Revoked wins over expiry: it records a deliberate decision, and its reason must stay visible.
  if (stored !== 'active' && stored !== 'suspended') return stored;
  if (expiresAt !== null && now.getTime() >= expiresAt.getTime()) return 'expired';
  return stored;
}

/** `state` must be the effective state, so nothing can move a token that has already expired. */
export function canApply(t: Transition, state: TokenState): boolean {
  return TRANSITIONS[t].from.includes(state);
}

export function canAuthenticate(state: TokenState): boolean {
  return state === 'active';
}
