// The one way a token changes (transition, rotate, renew, and every change to come): check the id and
// the input, then one transaction holding the guarded write, which returns the whole row, and its audit
// event; zero rows means the guard refused and refusal() says why; after the commit, the change notice,
// so this instance never serves a stale answer. A write may also find, under its lock, that the input
// does not fit the row (a failure: rolled back, answered as it is) or that nothing changes (no event, no
// notice). Recording expiry, which such a refusal may be the first to see, is the sweep's guarded
// change of many tokens at once. applyBatch is the same pipeline for a chunk of tokens (bulk actions):
// one transaction, one guarded statement, one event per token changed, then a notice per token.
import type { Institution } from '../accounts/store.js';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { type ErrorCode, type Failure, fail, ok, type Result } from '../errors.js';
import * as bulkStore from './bulk-store.js';
import * as eventStore from './event-store.js';
import * as expiryStore from './expiry-store.js';
import { effectiveState, expiryUnrecorded, type TokenState } from './lifecycle.js';
import * as store from './store.js';
import { type TokenView, tokenView } from './view.js';

export interface Actor {
  userId: string | null;
  ip: string | null;
}

export interface TokenDeps {
  db: Db;
  clock: Clock;
  /** Called after a commit that changed a token: state, secret, expiry, permissions or other fields. */
  changed: (tokenId: string) => void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const badId = (id: string) =>
  UUID.test(id) ? null : fail('invalid_request', 'id is not a token id', 'id');

/**
 * What a guarded write committed: the token as it now stands, and the event that records it, or null
 * when the write found nothing to change (then nothing is recorded and no instance is told).
 */
export interface Written {
  token: store.TokenRecord;
  event: { type: string; details: Record<string, unknown> } | null;
}

export interface Change<W extends Written> {
  /** The verb of the refusal's message: `cannot ${action} a token that is ${state}`. */
  action: string;
  /** The pure rule (lifecycle.ts) the write's guard applies in SQL, asked again of a refused token. */
  allowed: (state: TokenState) => boolean;
  expectedDisplay?: string | undefined;
  /**
   * The guarded write: what it committed, null when its guard matched nothing, or a failure when the
   * input does not fit the row it locked (the transaction is rolled back).
   */
  write: (tx: Queryable) => Promise<W | Failure | null>;
}

// Thrown inside the transaction to roll it back; its failure is the change's answer outside.
class Refused extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

const isFailure = (value: object): value is Failure => 'ok' in value && value.ok === false;

/**
 * Applies one change to a token of `inst`: `plan` checks the input at `now` and says how to write it.
 * Answers the committed row as the API shows it, with what the write returned beside it.
 */
export async function applyChange<W extends Written>(
  deps: TokenDeps,
  inst: Institution,
  id: string,
  actor: Actor,
  plan: (now: Date) => Result<Change<W>>,
): Promise<Result<{ view: TokenView; written: W }>> {
  const bad = badId(id);
  if (bad) return bad;
  const now = deps.clock();
  const change = plan(now);
  if (!change.ok) return change;
  let written: W | null;
  try {
    written = await deps.db.transaction(async (tx) => {
      const done = await change.value.write(tx);
      if (done && isFailure(done)) throw new Refused(done);
      if (done?.event) await recordEvent(tx, inst.id, id, done.event.type, now, actor, done.event.details);
      return done;
    });
  } catch (error) {
    if (error instanceof Refused) return error.failure;
    throw error;
  }
  if (!written) return refusal(deps, inst, id, change.value, now);
  if (written.event) deps.changed(id);
  return ok({ view: tokenView(written.token, now), written });
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

/** Why a guarded change wrote nothing: gone (404), or a state or display that no longer allows it (409). */
async function refusal(deps: TokenDeps, inst: Institution, id: string, change: Change<Written>, now: Date) {
  const token = await store.findToken(deps.db, inst.id, id);
  if (!token) return fail('not_found', 'token not found');
  const state = effectiveState(token.state, token.expiresAt, now);
  if (expiryUnrecorded(token.state, state)) await recordExpiry(deps, [id]);
  if (
    change.expectedDisplay !== undefined &&
    token.display !== change.expectedDisplay &&
    change.allowed(state)
  ) {
    return fail(
      'invalid_transition',
      'the token was rotated meanwhile: its display no longer matches expectedDisplay',
    );
  }
  if (change.action === 'reactivate' && state === 'suspended' && token.compromisedAt)
    return fail('invalid_transition', 'rotate the token first: its secret was reported leaked');
  return fail('invalid_transition', `cannot ${change.action} a token that is ${state}`);
}

/** Records expiry (by the system) for the given tokens, or for every token past it; returns what it recorded. */
export async function recordExpiry(
  deps: TokenDeps,
  ids: string[] | null = null,
): Promise<expiryStore.ExpiredRow[]> {
  const now = deps.clock();
  const expired = await deps.db.transaction(async (tx) => {
    const rows = await expiryStore.recordExpiry(tx, now, ids);
    for (const r of rows) {
      await recordEvent(
        tx,
        r.institutionId,
        r.id,
        'token.expired',
        now,
        { userId: null, ip: null },
        { expiredAt: r.expiresAt.toISOString(), previousState: r.previousState },
      );
    }
    return rows;
  });
  for (const r of expired) deps.changed(r.id);
  return expired;
}

/** A change of many tokens at once: its guarded write, and the event each change records. */
export interface BatchChange {
  event: { type: string; details: Record<string, unknown> };
  /** The guarded write of every token of `ids` its guard allows: the ids it changed. */
  write: (tx: Queryable, ids: string[], now: Date) => Promise<string[]>;
}

export interface BatchOutcome {
  changed: string[];
  refused: { id: string; error: Extract<ErrorCode, 'not_found' | 'invalid_transition'> }[];
}

/**
 * Applies one change to the tokens of `ids` (well-formed ids, a chunk the caller has bounded) in one
 * transaction: each token changed records its own event, and is announced after the commit. Those the
 * guard left alone are refused: `not_found` when they are not the institution's, else
 * `invalid_transition` (an expiry seen here for the first time is recorded, as refusal() does).
 */
export async function applyBatch(
  deps: TokenDeps,
  inst: Institution,
  ids: string[],
  actor: Actor,
  change: BatchChange,
): Promise<BatchOutcome> {
  const now = deps.clock();
  const changed = await deps.db.transaction(async (tx) => {
    const done = await change.write(tx, ids, now);
    await bulkStore.insertEvents(tx, {
      institutionId: inst.id,
      tokenIds: done,
      type: change.event.type,
      at: now,
      actorId: actor.userId,
      ip: actor.ip,
      details: change.event.details,
    });
    return done;
  });
  for (const id of changed) deps.changed(id);
  const moved = new Set(changed);
  const left = ids.filter((id) => !moved.has(id));
  return { changed, refused: left.length > 0 ? await batchRefusals(deps, inst, left, now) : [] };
}

/**
 * Why each of `ids` was not changed: not the institution's, or not in a state for it (recording an
 * expiry first seen here). With `allowed`, a dry run's forecast instead: those it allows are left out,
 * and nothing is recorded.
 */
export async function batchRefusals(
  deps: TokenDeps,
  inst: Institution,
  ids: string[],
  now: Date,
  allowed: ((state: TokenState, compromised: boolean) => boolean) | null = null,
): Promise<BatchOutcome['refused']> {
  const rows = new Map((await bulkStore.statesOf(deps.db, inst.id, ids)).map((r) => [r.id, r]));
  const unrecorded: string[] = [];
  const refused: BatchOutcome['refused'] = [];
  for (const id of ids) {
    const row = rows.get(id);
    if (!row) {
      refused.push({ id, error: 'not_found' });
      continue;
    }
    const state = effectiveState(row.state, row.expiresAt, now);
    if (expiryUnrecorded(row.state, state)) unrecorded.push(id);
    if (allowed?.(state, row.compromisedAt !== null)) continue;
    refused.push({ id, error: 'invalid_transition' });
  }
  if (unrecorded.length > 0 && allowed === null) await recordExpiry(deps, unrecorded);
  return refused;
}
