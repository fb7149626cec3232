// The SQL of webhook messages (SPEC section 10): the rows migration 010's trigger writes beside each audit
// event (each one is also its Delivery). The deliverer claims due messages with a lease in one short
// statement (FOR UPDATE SKIP LOCKED: any instance may deliver, none twice at once) and records each
// attempt's outcome afterwards; no statement here is held open across a network call.
import type { Queryable } from '../db/db.js';

export interface MessageRecord {
  id: string;
  endpointId: string;
  eventId: string;
  type: string;
  payload: { event: Record<string, unknown>; token: Record<string, unknown> | null };
  attempt: number;
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  durationMs: number | null;
  responseBody: string | null;
  error: string | null;
  createdAt: Date;
  seq: string;
}

interface MessageRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  type: string;
  payload: MessageRecord['payload'];
  attempt: number;
  status: MessageRecord['status'];
  next_attempt_at: Date | null;
  response_status: number | null;
  duration_ms: number | null;
  response_body: string | null;
  error: string | null;
  created_at: Date;
  seq: string;
}

const toMessage = (r: MessageRow): MessageRecord => ({
  id: r.id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  type: r.type,
  payload: r.payload,
  attempt: r.attempt,
  status: r.status,
  nextAttemptAt: r.next_attempt_at,
  responseStatus: r.response_status,
  durationMs: r.duration_ms,
  responseBody: r.response_body,
  error: r.error,
  createdAt: r.created_at,
  seq: r.seq,
});

const MESSAGE_COLUMNS = `id, endpoint_id, event_id, type, payload, attempt, status, next_attempt_at,
  response_status, duration_ms, response_body, error, created_at, seq::text AS seq`;

/** A message written by a route (the test event), already leased to `by` so no loop takes it. */
export async function insertLeasedMessage(
  q: Queryable,
  m: { endpointId: string; eventId: string; type: string; payload: unknown; at: Date },
  by: string,
  leaseUntil: Date,
): Promise<MessageRecord> {
  const rows = await q.query<MessageRow>(
    `INSERT INTO webhook_messages (endpoint_id, event_id, type, payload, next_attempt_at, created_at, leased_until, leased_by)
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING ${MESSAGE_COLUMNS}`,
    [m.endpointId, m.eventId, m.type, JSON.stringify(m.payload), m.at, leaseUntil, by],
  );
  const [row] = rows;
  if (!row) throw new Error('an INSERT … RETURNING answered no row');
  return toMessage(row);
}

export async function getMessage(
  q: Queryable,
  endpointId: string,
  id: string,
): Promise<MessageRecord | null> {
  const rows = await q.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM webhook_messages WHERE id = $1 AND endpoint_id = $2`,
    [id, endpointId],
  );
  const [row] = rows;
  return row ? toMessage(row) : null;
}

/** Newest first; `beforeSeq` is the seq of the last delivery of the previous page. */
export async function listMessages(
  q: Queryable,
  endpointId: string,
  limit: number,
  beforeSeq: string | null,
): Promise<MessageRecord[]> {
  const rows = await q.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM webhook_messages
     WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint) ORDER BY seq DESC LIMIT $3`,
    [endpointId, beforeSeq, limit],
  );
  return rows.map(toMessage);
}

/**
 * Leases up to `total` due messages of enabled endpoints for `leaseMs`, at most `perEndpoint` of any
 * one endpoint and none of the `busy` ones (whose earlier batch is still in flight): a slow receiver
 * holds only its own queue. Rows another instance is claiming are skipped, not waited for.
 */
export async function claimDue(
  q: Queryable,
  o: { now: Date; leaseMs: number; by: string; total: number; perEndpoint: number; busy: string[] },
): Promise<MessageRecord[]> {
  const rows = await q.query<MessageRow>(
    `WITH ranked AS (
       SELECT m.id, m.next_attempt_at,
              row_number() OVER (PARTITION BY m.endpoint_id ORDER BY m.next_attempt_at, m.seq) AS n
       FROM webhook_messages m JOIN webhook_endpoints w ON w.id = m.endpoint_id
       WHERE m.status = 'pending' AND w.enabled AND m.next_attempt_at <= $1
         AND (m.leased_until IS NULL OR m.leased_until < $1) AND NOT (m.endpoint_id = ANY ($6::uuid[]))
     ), picked AS (
       SELECT id FROM ranked WHERE n <= $5 ORDER BY next_attempt_at LIMIT $4
     ), locked AS (
       SELECT m.id FROM webhook_messages m
       WHERE m.id IN (SELECT id FROM picked) AND m.status = 'pending'
         AND (m.leased_until IS NULL OR m.leased_until < $1)
       FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_messages SET leased_until = $1::timestamptz + make_interval(secs => $2::double precision / 1000),
       leased_by = $3
     WHERE id IN (SELECT id FROM locked)
     RETURNING ${MESSAGE_COLUMNS}`,
    [o.now, o.leaseMs, o.by, o.total, o.perEndpoint, o.busy],
  );
  return rows.map(toMessage);
}

export interface AttemptOutcome {
  status: MessageRecord['status'];
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
}

/** Records one attempt on the message and the endpoint; releases the lease. */
export async function recordAttempt(
  q: Queryable,
  m: { id: string; endpointId: string },
  o: AttemptOutcome,
  at: Date,
  succeeded: boolean,
): Promise<MessageRecord | null> {
  const rows = await q.query<MessageRow>(
    `UPDATE webhook_messages SET attempt = attempt + 1, status = $2, next_attempt_at = $3,
       response_status = $4, duration_ms = $5, response_body = $6, error = $7, leased_until = NULL, leased_by = NULL
     WHERE id = $1 RETURNING ${MESSAGE_COLUMNS}`,
    [m.id, o.status, o.nextAttemptAt, o.responseStatus, o.durationMs, o.responseBody, o.error],
  );
  await q.query(
    `UPDATE webhook_endpoints SET last_delivery_at = $2, last_delivery_status = $3,
       failing_since = CASE WHEN $4 THEN NULL ELSE COALESCE(failing_since, $2) END
     WHERE id = $1`,
    [m.endpointId, at, o.status, succeeded],
  );
  const [row] = rows;
  return row ? toMessage(row) : null;
}

/** Makes a message due again now (redeliver); its attempts keep counting. */
export async function requeue(q: Queryable, id: string, now: Date): Promise<MessageRecord | null> {
  const rows = await q.query<MessageRow>(
    `UPDATE webhook_messages SET status = 'pending', next_attempt_at = $2, leased_until = NULL, leased_by = NULL
     WHERE id = $1 RETURNING ${MESSAGE_COLUMNS}`,
    [id, now],
  );
  const [row] = rows;
  return row ? toMessage(row) : null;
}

export async function countPending(q: Queryable): Promise<number> {
  const [row] = await q.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM webhook_messages WHERE status = 'pending'`,
  );
  return Number(row?.n ?? 0);
}
