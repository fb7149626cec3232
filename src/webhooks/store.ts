// The SQL of webhook endpoints (SPEC section 10); their messages and deliveries are message-store.ts's.
import type { Queryable } from '../db/db.js';
import type { UserRef } from '../tokens/store.js';
import { userRef } from '../tokens/store.js';

export interface EndpointRecord {
  id: string;
  institutionId: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
  createdBy: UserRef | null;
  lastDeliveryAt: Date | null;
  lastDeliveryStatus: string | null;
}

/** What signing needs besides the record: never part of an answer. */
export interface EndpointSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  failingSince: Date | null;
}

interface EndpointRow {
  id: string;
  institution_id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  created_at: Date;
  last_delivery_at: Date | null;
  last_delivery_status: string | null;
  failing_since: Date | null;
  cu_id: string | null;
  cu_email: string | null;
  cu_name: string | null;
}

const toEndpoint = (r: EndpointRow): EndpointRecord & EndpointSecrets => ({
  id: r.id,
  institutionId: r.institution_id,
  url: r.url,
  description: r.description,
  events: r.events,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  createdAt: r.created_at,
  createdBy: userRef(r.cu_id, r.cu_email, r.cu_name),
  lastDeliveryAt: r.last_delivery_at,
  lastDeliveryStatus: r.last_delivery_status,
  secret: r.secret,
  previousSecret: r.previous_secret,
  previousSecretUntil: r.previous_secret_until,
  failingSince: r.failing_since,
});

const SELECT_ENDPOINT = `SELECT w.*, cu.id AS cu_id, cu.email AS cu_email, cu.name AS cu_name
  FROM webhook_endpoints w LEFT JOIN users cu ON cu.id = w.created_by`;

export interface NewEndpoint {
  id: string;
  institutionId: string;
  url: string;
  description: string;
  events: string[];
  secret: string;
  createdAt: Date;
  createdBy: string | null;
}

export async function insertEndpoint(q: Queryable, e: NewEndpoint): Promise<void> {
  await q.query(
    `INSERT INTO webhook_endpoints (id, institution_id, url, description, events, secret, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.id, e.institutionId, e.url, e.description, e.events, e.secret, e.createdAt, e.createdBy],
  );
}

export async function listEndpoints(
  q: Queryable,
  institutionId: string,
): Promise<(EndpointRecord & EndpointSecrets)[]> {
  const rows = await q.query<EndpointRow>(
    `${SELECT_ENDPOINT} WHERE w.institution_id = $1 ORDER BY w.created_at, w.id`,
    [institutionId],
  );
  return rows.map(toEndpoint);
}

/** An endpoint of this institution (null for another's or none); `lock` takes its row lock. */
export async function getEndpoint(
  q: Queryable,
  institutionId: string | null,
  id: string,
  lock = false,
): Promise<(EndpointRecord & EndpointSecrets) | null> {
  const rows = await q.query<EndpointRow>(
    `${SELECT_ENDPOINT} WHERE w.id = $1 AND ($2::uuid IS NULL OR w.institution_id = $2)
     ${lock ? 'FOR UPDATE OF w' : ''}`,
    [id, institutionId],
  );
  const [row] = rows;
  return row ? toEndpoint(row) : null;
}

export interface EndpointChange {
  url?: string;
  description?: string;
  events?: string[];
  enabled?: boolean;
}

/** Applies the change; enabling clears the reason and the failure streak. */
export async function updateEndpoint(q: Queryable, id: string, c: EndpointChange): Promise<void> {
  await q.query(
    `UPDATE webhook_endpoints SET
       url = COALESCE($2, url), description = COALESCE($3, description), events = COALESCE($4, events),
       enabled = COALESCE($5, enabled),
       disabled_reason = CASE WHEN $5::boolean IS NULL THEN disabled_reason
                              WHEN $5 THEN NULL ELSE 'disabled by staff' END,
       failing_since = CASE WHEN $5::boolean AND NOT enabled THEN NULL ELSE failing_since END
     WHERE id = $1`,
    [id, c.url ?? null, c.description ?? null, c.events ?? null, c.enabled ?? null],
  );
}

export async function rotateSecret(q: Queryable, id: string, secret: string, until: Date): Promise<void> {
  await q.query(
    `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $3, secret = $2 WHERE id = $1`,
    [id, secret, until],
  );
}

/** Deletes the endpoint; its messages go with it (dropped, never sent). */
export async function deleteEndpoint(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
}

/**
 * Disables an enabled endpoint; true when this call did (of two instances that see the same 410 or the
 * same five days, one records it and sends the email).
 */
export async function disableEndpoint(q: Queryable, id: string, reason: string): Promise<boolean> {
  const rows = await q.query(
    `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2 WHERE id = $1 AND enabled RETURNING id`,
    [id, reason],
  );
  return rows.length > 0;
}

/** The institution's notification addresses, for the disabling email. */
export async function notifyEmails(q: Queryable, institutionId: string): Promise<string[]> {
  const [row] = await q.query<{ notify_emails: string[] }>(
    'SELECT notify_emails FROM institutions WHERE id = $1',
    [institutionId],
  );
  return row?.notify_emails ?? [];
}
