// What the token services (service.ts, rotation.ts) share: the database, clock and change notice they
// are built with, the caller's own token by id, the view re-read after a commit, the audit event written
// inside the change's transaction, why a guarded change wrote nothing, and recording expiry, which such a
// refusal may be the first to see.
import type { Institution } from '../accounts/store.js';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import * as eventStore from './event-store.js';
import { effectiveState } from './lifecycle.js';
import type { TokenRecord } from './store.js';
import * as store from './store.js';
import { type TokenView, tokenView } from './view.js';

export interface Actor {
  userId: string | null;
  ip: string | null;
}

export interface TokenDeps {
  db: Db;
  clock: Clock;
  /** Called after a commit that changed a token's state, secret or expiry. */
  changed: (tokenId: string) => void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const badId = (id: string) =>
  UUID.test(id) ? null : fail('invalid_request', 'id is not a token id', 'id');

/** The token of this institution with this id: 400 for a malformed id, 404 when there is none. */
export async function owned(db: Db, inst: Institution, id: string): Promise<Result<TokenRecord>> {
  const bad = badId(id);
  if (bad) return bad;
  const token = await store.findToken(db, inst.id, id);
  return token ? ok(token) : fail('not_found', 'token not found');
}

/** The token as it stands after a change this call committed. */
export async function reread(db: Db, inst: Institution, id: string, now: Date): Promise<TokenView> {
  return tokenView((await store.findToken(db, inst.id, id)) as TokenRecord, now);
}

export function recordEvent(
  tx: Queryable,
  institutionId: string,
  tokenId: string,
  type: string,
  at: Date,
  actor: Actor,
  details: Record<string, unknown>,
) {
  return eventStore.insertEvent(tx, {
    institutionId,
    tokenId,
    type,
    at,
    actorId: actor.userId,
    ip: actor.ip,
    details,
  });
}

/** Records expiry (by the system) for the given tokens, or for every token past it; returns what it recorded. */
export async function recordExpiry(
  deps: TokenDeps,
  ids: string[] | null = null,
): Promise<store.ExpiredRow[]> {
  const now = deps.clock();
  const expired = await deps.db.transaction(async (tx) => {
    const rows = await store.recordExpiry(tx, now, ids);
    for (const r of rows) {
      await recordEvent(
        tx,
        r.institutionId,
        r.id,
        'token.expired',
        now,
        { userId: null, ip: null },
        {
          expiredAt: r.expiresAt.toISOString(),
          previousState: r.previousState,
        },
      );
    }
    return rows;
  });
  for (const r of expired) deps.changed(r.id);
  return expired;
}

/** Why a guarded change wrote nothing: gone (404), or a state or display that no longer allows it (409). */
export async function refusal(
  deps: TokenDeps,
  inst: Institution,
  id: string,
  action: string,
  now: Date,
  expectedDisplay?: string,
) {
  const token = await store.findToken(deps.db, inst.id, id);
  if (!token) return fail('not_found', 'token not found');
  const state = effectiveState(token.state, token.expiresAt, now);
  if (state === 'expired' && token.state !== 'expired') await recordExpiry(deps, [id]);
  if (
    expectedDisplay !== undefined &&
    token.display !== expectedDisplay &&
    (state === 'active' || state === 'suspended')
  ) {
    return fail(
      'invalid_transition',
      'the token was rotated meanwhile: its display no longer matches expectedDisplay',
    );
  }
  return fail('invalid_transition', `cannot ${action} a token that is ${state}`);
}
