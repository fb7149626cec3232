// The institution's own audit events (SPEC 11): people, sign-ins and settings. Each is written with
// tokenId null in the transaction of the change it records, under the user who made it and their address.
import type { Queryable } from '../db/db.js';
import type { EventType } from '../events.js';
import { insertEvent } from '../tokens/event-store.js';

/** Who makes a change: the signed-in user (null for an anonymous login attempt) and their address. */
export interface Actor {
  userId: string | null;
  ip: string | null;
}

export function recordInstitutionEvent(
  q: Queryable,
  e: { institutionId: string; type: EventType; at: Date; actor: Actor; details?: Record<string, unknown> },
): Promise<void> {
  return insertEvent(q, {
    institutionId: e.institutionId,
    tokenId: null,
    type: e.type,
    at: e.at,
    actorId: e.actor.userId,
    ip: e.actor.ip,
    details: e.details ?? {},
  });
}

/** The fields that differ between two views, as `{field: {from, to}}` (arrays compared by content). */
export function changesOf<T extends Record<string, unknown>>(
  before: T,
  after: T,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}
