// Rotation (a new secret, the old one honoured for a grace period) by staff or by the token's own
// secret, and renewal (a new expiry), as guarded changes (guarded-change.ts): each checks its input,
// then its guarded write and audit event commit together and the committed row is the answer.
import type { Institution } from '../accounts/store.js';
import type { Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { chooseExpiry, type ExpiryChoice } from './expiry.js';
import { type Actor, applyChange, type TokenDeps } from './guarded-change.js';
import { canAuthenticate, canRotate, type TokenState } from './lifecycle.js';
import { renewExpiry } from './expiry-store.js';
import * as secrets from './secret-store.js';
import { generateToken, hashToken } from './token.js';
import { iso, type TokenView } from './view.js';

export interface RotateInput extends ExpiryChoice {
  graceSeconds?: number | undefined;
  expectedDisplay?: string | undefined;
}

export interface SelfRotateInput {
  graceSeconds?: number | undefined;
}

/** What a token sees of itself (SPEC 4's own view): no staff data. */
export interface OwnView {
  id: string;
  name: string;
  display: string;
  state: TokenState;
  permissions: string[];
  expiresAt: string | null;
}

export const MAX_GRACE_SECONDS = 7 * 86_400;
/** A self-rotation's default grace: time for every replica of the integration to read the new secret. */
export const SELF_ROTATE_GRACE_SECONDS = 3600;
export const ROTATED_ALREADY = 'rotated already: use the current secret';
// Only a token that works may rotate itself: one suspended since its check passed is refused, not
// handed a fresh secret (an administrator suspends a leaked token to cut it off).
const SELF_ROTATABLE: readonly TokenState[] = ['active'];

function checkGrace(seconds: number): Result<number> {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_GRACE_SECONDS) {
    return fail('invalid_request', 'graceSeconds must be 0 to 604800 (7 days)', 'graceSeconds');
  }
  return ok(seconds);
}

export async function rotate(
  deps: TokenDeps,
  inst: Institution,
  id: string,
  actor: Actor,
  input: RotateInput,
): Promise<Result<{ token: TokenView; secret: string }>> {
  const done = await applyChange(deps, inst, id, actor, (now) => {
    const grace = checkGrace(input.graceSeconds ?? 0);
    if (!grace.ok) return grace;
    const chosen =
      input.expiresInDays === undefined && input.expiresAt === undefined
        ? null
        : chooseExpiry(input, inst, now);
    if (chosen && !chosen.ok) return chosen;
    const expectedDisplay = input.expectedDisplay ?? null;
    return ok({
      action: 'rotate',
      allowed: canRotate,
      expectedDisplay: input.expectedDisplay,
      write: (tx: Queryable) =>
        swap(tx, {
          id,
          institutionId: inst.id,
          now,
          expectedDisplay,
          graceMs: grace.value * 1000,
          chosen,
          by: 'user',
        }),
    });
  });
  return done.ok ? ok({ token: done.value.view, secret: done.value.written.secret }) : done;
}

/**
 * A token's rotation by its own secret (SPEC 7): the administrator's rotation, expiry kept, guarded on
 * `presented` being the token's current secret, so a previous secret in its grace period, or the loser
 * of two concurrent calls, is refused and reads the winner's secret where it keeps its own.
 */
export async function selfRotate(
  deps: TokenDeps,
  inst: Institution,
  id: string,
  presented: string,
  ip: string | null,
  input: SelfRotateInput,
): Promise<Result<{ secret: string; token: OwnView; previousSecretValidUntil: string }>> {
  const currentHash = hashToken(presented);
  const done = await applyChange(deps, inst, id, { userId: null, ip }, (now) => {
    const grace = checkGrace(input.graceSeconds ?? SELF_ROTATE_GRACE_SECONDS);
    if (!grace.ok) return grace;
    return ok({
      action: 'rotate',
      allowed: canAuthenticate,
      write: (tx: Queryable) =>
        swap(tx, {
          id,
          institutionId: inst.id,
          now,
          expectedDisplay: null,
          currentHash,
          states: SELF_ROTATABLE,
          graceMs: grace.value * 1000,
          chosen: null,
          by: 'token',
        }),
    });
  });
  if (done.ok) {
    const { view, written } = done.value;
    const { id: tokenId, name, display, state, permissions, expiresAt } = view;
    const token = { id: tokenId, name, display, state, permissions, expiresAt };
    return ok({
      secret: written.secret,
      token,
      previousSecretValidUntil: written.retiredUntil.toISOString(),
    });
  }
  if (done.code !== 'invalid_transition') return done;
  // The guard refused a state, or a secret that is no longer current: the refusal names the state, which
  // says nothing to a caller whose secret was retired, so that one is told to use the current secret.
  const found = await secrets.findAuthByHash(deps.db, currentHash);
  return found && !found.retired ? done : fail('invalid_transition', ROTATED_ALREADY);
}

interface SwapPlan extends secrets.RotationGuard {
  graceMs: number;
  chosen: { value: Date | null } | null;
  /** Who rotated, for the event: staff (`user`) or the token's own secret (`token`). */
  by: 'user' | 'token';
}

/** The rotation's guarded write: lock, mint from the name under the lock, swap; null when refused. */
async function swap(tx: Queryable, r: SwapPlan) {
  const current = await secrets.lockForRotation(tx, r);
  if (!current) return null;
  // The slug follows the name as it stands under the lock, and only a secret that works has grace.
  const minted = generateToken(current.name);
  const graceUntil =
    canAuthenticate(current.state) && r.graceMs > 0 ? new Date(r.now.getTime() + r.graceMs) : null;
  const token = await secrets.swapSecret(tx, {
    id: r.id,
    now: r.now,
    oldHash: current.hash,
    hash: minted.hash,
    display: minted.display,
    graceUntil,
    expiresAt: r.chosen ? r.chosen.value : undefined,
  });
  const details = {
    graceUntil: iso(graceUntil),
    display: minted.display,
    previousDisplay: current.display,
    by: r.by,
    ...(r.chosen ? { expiresAt: iso(r.chosen.value) } : {}),
  };
  // The retired secret works until its grace ends, or not at all from now.
  const retiredUntil = graceUntil ?? r.now;
  return { token, secret: minted.token, retiredUntil, event: { type: 'token.rotated', details } };
}

export async function renew(
  deps: TokenDeps,
  inst: Institution,
  id: string,
  actor: Actor,
  input: ExpiryChoice,
): Promise<Result<TokenView>> {
  const done = await applyChange(deps, inst, id, actor, (now) => {
    if (input.expiresInDays === undefined && input.expiresAt === undefined) {
      return fail('invalid_request', 'give expiresInDays (30, 90 or 365) or expiresAt', 'expiresAt');
    }
    const chosen = chooseExpiry(input, inst, now);
    if (!chosen.ok) return chosen;
    return ok({
      action: 'renew',
      allowed: canRotate,
      write: async (tx) => {
        const renewed = await renewExpiry(tx, {
          id,
          institutionId: inst.id,
          now,
          expiresAt: chosen.value,
        });
        if (!renewed) return null;
        const details = { oldExpiresAt: iso(renewed.oldExpiresAt), newExpiresAt: iso(chosen.value) };
        return { token: renewed.token, event: { type: 'token.renewed', details } };
      },
    });
  });
  return done.ok ? ok(done.value.view) : done;
}
