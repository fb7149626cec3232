// Rotation (a new secret, the old one honoured for a grace period) and renewal (a new expiry). Each
// checks its input, then one guarded statement and its audit event commit together; zero rows means the
// token had moved on meanwhile, and refusal() says why.
import type { Institution } from '../accounts/store.js';
import { fail, ok, type Result } from '../errors.js';
import { chooseExpiry, type ExpiryChoice } from './expiry.js';
import * as secrets from './secret-store.js';
import { type Actor, badId, owned, recordEvent, refusal, reread, type TokenDeps } from './service-support.js';
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
  const bad = badId(id);
  if (bad) return bad;
  const grace = input.graceSeconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    return fail('invalid_request', 'graceSeconds must be 0 to 604800 (7 days)', 'graceSeconds');
  }
  const now = deps.clock();
  const chosen =
    input.expiresInDays === undefined && input.expiresAt === undefined
      ? null
      : chooseExpiry(input, inst, now);
  if (chosen && !chosen.ok) return chosen;
  const existing = await owned(deps.db, inst, id);
  if (!existing.ok) return existing;
  const minted = generateToken(existing.value.name);
  const rotated = await deps.db.transaction(async (tx) => {
    const done = await secrets.rotateSecret(tx, {
      id,
      institutionId: inst.id,
      now,
      hash: minted.hash,
      display: minted.display,
      graceMs: grace * 1000,
      expectedDisplay: input.expectedDisplay ?? null,
      expiresAt: chosen ? chosen.value : undefined,
    });
    if (done) {
      await recordEvent(tx, inst.id, id, 'token.rotated', now, actor, {
        graceUntil: iso(done.graceUntil),
        display: minted.display,
        previousDisplay: done.previousDisplay,
        ...(chosen ? { expiresAt: iso(chosen.value) } : {}),
      });
    }
    return done;
  });
  if (!rotated) return refusal(deps, inst, id, 'rotate', now, input.expectedDisplay);
  deps.changed(id);
  return ok({ token: await reread(deps.db, inst, id, now), secret: minted.token });
}

export async function renew(
  deps: TokenDeps,
  inst: Institution,
  id: string,
  actor: Actor,
  input: ExpiryChoice,
): Promise<Result<TokenView>> {
  const bad = badId(id);
  if (bad) return bad;
  if (input.expiresInDays === undefined && input.expiresAt === undefined) {
    return fail('invalid_request', 'give expiresInDays (30, 90 or 365) or expiresAt', 'expiresAt');
  }
  const now = deps.clock();
  const chosen = chooseExpiry(input, inst, now);
  if (!chosen.ok) return chosen;
  const renewed = await deps.db.transaction(async (tx) => {
    const done = await secrets.renewExpiry(tx, {
      id,
      institutionId: inst.id,
      now,
      expiresAt: chosen.value,
    });
    if (done) {
      await recordEvent(tx, inst.id, id, 'token.renewed', now, actor, {
        oldExpiresAt: iso(done.oldExpiresAt),
        newExpiresAt: iso(chosen.value),
      });
    }
    return done;
  });
  if (!renewed) return refusal(deps, inst, id, 'renew', now);
  deps.changed(id);
  return ok(await reread(deps.db, inst, id, now));
}
