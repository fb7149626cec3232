// Rotation (a new secret, the old one honoured for a grace period) and renewal (a new expiry), as
// guarded changes (guarded-change.ts): each checks its input, then its guarded write and audit event
// commit together and the committed row is the answer.
import type { Institution } from '../accounts/store.js';
import type { Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { chooseExpiry, type ExpiryChoice } from './expiry.js';
import { type Actor, applyChange, type TokenDeps } from './guarded-change.js';
import { canAuthenticate, canRotate } from './lifecycle.js';
import { renewExpiry } from './expiry-store.js';
import * as secrets from './secret-store.js';
import { generateToken } from './token.js';
import { iso, type TokenView } from './view.js';

export interface RotateInput extends ExpiryChoice {
  graceSeconds?: number | undefined;
  expectedDisplay?: string | undefined;
}

export const MAX_GRACE_SECONDS = 7 * 86_400;

export async function rotate(
  deps: TokenDeps,
  inst: Institution,
  id: string,
  actor: Actor,
  input: RotateInput,
): Promise<Result<{ token: TokenView; secret: string }>> {
  const done = await applyChange(deps, inst, id, actor, (now) => {
    const grace = input.graceSeconds ?? 0;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      return fail('invalid_request', 'graceSeconds must be 0 to 604800 (7 days)', 'graceSeconds');
    }
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
        swap(tx, { id, institutionId: inst.id, now, expectedDisplay, graceMs: grace * 1000, chosen }),
    });
  });
  return done.ok ? ok({ token: done.value.view, secret: done.value.written.secret }) : done;
}

/** The rotation's guarded write: lock, mint from the name under the lock, swap; null when refused. */
async function swap(
  tx: Queryable,
  r: {
    id: string;
    institutionId: string;
    now: Date;
    expectedDisplay: string | null;
    graceMs: number;
    chosen: { value: Date | null } | null;
  },
) {
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
    ...(r.chosen ? { expiresAt: iso(r.chosen.value) } : {}),
  };
  return { token, secret: minted.token, event: { type: 'token.rotated', details } };
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
