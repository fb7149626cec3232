// The inactivity policy's suspension of one token (SPEC 12), for the sweep: an ordinary suspend through
// the guarded-change pipeline (one transaction with its `token.suspended` event, then the change notice
// to every instance), by the system, with the reason `unused for N days`.
import { findInstitutionById } from '../accounts/store.js';
import { fail, ok, type Result } from '../errors.js';
import { applyChange, type TokenDeps } from './guarded-change.js';
import { suspendIdle } from './inactivity-store.js';
import { canApply } from './lifecycle.js';
import type { TokenView } from './view.js';

export interface IdleToken {
  institutionId: string;
  id: string;
  /** The idle spell's start as the sweep read it. */
  idleSince: Date;
  days: number;
  reason: string;
}

/** 409 when the token is no longer active, unexpired and idle since `idleSince` under that policy. */
export async function suspendUnused(deps: TokenDeps, t: IdleToken): Promise<Result<TokenView>> {
  const inst = await findInstitutionById(deps.db, t.institutionId);
  if (!inst) return fail('not_found', 'institution not found');
  const done = await applyChange(deps, inst, t.id, { userId: null, ip: null }, (now) =>
    ok({
      action: 'suspend',
      allowed: (state) => canApply('suspend', state),
      write: async (tx) => {
        const token = await suspendIdle(tx, { ...t, now });
        return token && { token, event: { type: 'token.suspended', details: { reason: t.reason } } };
      },
    }),
  );
  return done.ok ? ok(done.value.view) : done;
}
