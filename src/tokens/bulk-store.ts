// The SQL of bulk actions (SPEC 12): one guarded transition of many tokens in one statement, their
// audit events in one more, and the rows a refusal is explained from. The guard is applyTransition's
// (store.ts), for a set of ids: a token moves only from an allowed state and before its expiry.
import type { Queryable } from '../db/db.js';
import type { TokenState } from './lifecycle.js';

export interface GuardedBatch {
  ids: string[];
  institutionId: string;
  from: readonly TokenState[];
  to: TokenState;
  now: Date;
  actorId: string | null;
  reason: string | null;
}

/** Applies one transition to every token of `ids` that its guard allows; the ids it changed. */
export async function transitionMany(q: Queryable, c: GuardedBatch): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `UPDATE api_tokens SET state = $3, state_changed_at = $4, state_changed_by = $5, state_reason = $6
     WHERE id = ANY($1::uuid[]) AND institution_id = $2 AND state = ANY($7)
       AND (expires_at IS NULL OR expires_at > $4)
       AND NOT ($3 = 'active' AND compromised_at IS NOT NULL)
     RETURNING id`,
    [c.ids, c.institutionId, c.to, c.now, c.actorId, c.reason, c.from],
  );
  return rows.map((r) => r.id);
}

export interface BatchEvents {
  institutionId: string;
  tokenIds: string[];
  type: string;
  at: Date;
  actorId: string | null;
  ip: string | null;
  /** The same details for every token of the batch. */
  details: Record<string, unknown>;
}

/** One audit event per token, in the order of `tokenIds` (their seq follows it). */
export async function insertEvents(q: Queryable, e: BatchEvents): Promise<void> {
  if (e.tokenIds.length === 0) return;
  await q.query(
    `INSERT INTO audit_events (id, institution_id, token_id, type, at, actor_id, ip, details)
     SELECT gen_random_uuid(), $1, u.token_id, $3, $4, $5, $6, $7
     FROM unnest($2::uuid[]) WITH ORDINALITY AS u(token_id, n) ORDER BY u.n`,
    [e.institutionId, e.tokenIds, e.type, e.at, e.actorId, e.ip, JSON.stringify(e.details)],
  );
}

export interface StateRow {
  id: string;
  state: TokenState;
  expiresAt: Date | null;
  compromisedAt: Date | null;
}

/** The stored state of those of `ids` that are tokens of the institution (the others are absent). */
export async function statesOf(q: Queryable, institutionId: string, ids: string[]): Promise<StateRow[]> {
  const rows = await q.query<{
    id: string;
    state: TokenState;
    expires_at: Date | null;
    compromised_at: Date | null;
  }>(
    `SELECT id, state, expires_at, compromised_at FROM api_tokens WHERE institution_id = $1 AND id = ANY($2::uuid[])`,
    [institutionId, ids],
  );
  return rows.map((r) => ({
    id: r.id,
    state: r.state,
    expiresAt: r.expires_at,
    compromisedAt: r.compromised_at,
  }));
}
