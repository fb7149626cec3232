// The SQL of the inactivity policy's suspension (SPEC 12): the suspend transition under its usual guard
// (an allowed state, unexpired), and also still idle since the moment the sweep read and still under
// the same policy, so a token used, reactivated or exempted meanwhile is left alone.
import type { Queryable } from '../db/db.js';
import { TRANSITIONS } from './lifecycle.js';
import { returningToken, type TokenRecord, type TokenRow, toToken } from './store.js';

export interface IdleSuspension {
  id: string;
  institutionId: string;
  /** The idle spell's start as the sweep read it (milliseconds). */
  idleSince: Date;
  /** The institution's suspendUnusedAfterDays as the sweep read it. */
  days: number;
  now: Date;
  reason: string;
}

/** Suspends the token by the system if it is still active, unexpired and idle since `idleSince`. */
export async function suspendIdle(q: Queryable, c: IdleSuspension): Promise<TokenRecord | null> {
  const rule = TRANSITIONS.suspend;
  const [row] = await q.query<TokenRow>(
    returningToken(`UPDATE api_tokens SET state = $5, state_changed_at = $4, state_changed_by = NULL,
       state_reason = $6
     WHERE id = $1 AND institution_id = $2 AND state = ANY($7) AND (expires_at IS NULL OR expires_at > $4)
       AND date_trunc('milliseconds', GREATEST(created_at, last_used_at, state_changed_at)) = $3
       AND EXISTS (SELECT 1 FROM institutions i WHERE i.id = $2 AND i.suspend_unused_after_days = $8)
     RETURNING *`),
    [c.id, c.institutionId, c.idleSince, c.now, rule.to, c.reason, rule.from, c.days],
  );
  return row ? toToken(row) : null;
}
