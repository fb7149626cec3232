// The SQL of a token's audit history: events are appended in the same transaction as the change they
// record, and read newest first by insertion order, a page at a time.
import type { Queryable } from '../db/db.js';
import { type UserRef, userRef } from './store.js';

export interface EventRow {
  institutionId: string;
  /** Null for the institution's own events (users, sign-ins, settings, webhooks). */
  tokenId: string | null;
  type: string;
  at: Date;
  actorId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export async function insertEvent(q: Queryable, e: EventRow): Promise<void> {
  await q.query(
    `INSERT INTO audit_events (id, institution_id, token_id, type, at, actor_id, ip, details)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7)`,
    [e.institutionId, e.tokenId, e.type, e.at, e.actorId, e.ip, JSON.stringify(e.details)],
  );
}

export interface EventRecord {
  id: string;
  type: string;
  at: Date;
  actor: UserRef | null;
  ip: string | null;
  details: Record<string, unknown>;
  seq: string;
}

/** An audit_events row with its actor's columns (LEFT JOINed) as both drivers return them. */
interface EventRecordRow {
  id: string;
  type: string;
  at: Date;
  ip: string | null;
  /** jsonb, written by insertEvent from an object. */
  details: Record<string, unknown>;
  seq: string;
  a_id: string | null;
  a_email: string | null;
  a_name: string | null;
}

const toEvent = (r: EventRecordRow): EventRecord => ({
  id: r.id,
  type: r.type,
  at: r.at,
  actor: userRef(r.a_id, r.a_email, r.a_name),
  ip: r.ip,
  details: r.details,
  seq: r.seq,
});

/** Newest first; `beforeSeq` is the seq of the last event of the previous page. */
export async function listEvents(
  q: Queryable,
  tokenId: string,
  limit: number,
  beforeSeq: string | null,
): Promise<EventRecord[]> {
  // Ordered by insertion, not by `at`: of two racing transitions the one that waited for the row lock
  // read its time first but committed second, and the history must show the order that happened.
  const rows = await q.query<EventRecordRow>(
    `SELECT e.id, e.type, e.at, e.ip, e.details, e.seq::text AS seq, u.id AS a_id, u.email AS a_email, u.name AS a_name
     FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
     WHERE e.token_id = $1 AND ($2::bigint IS NULL OR e.seq < $2::bigint)
     ORDER BY e.seq DESC LIMIT $3`,
    [tokenId, beforeSeq, limit],
  );
  return rows.map(toEvent);
}
