// The SQL of the institution's audit log (SPEC 12): every event of the institution, a token's and its
// own (users, sign-ins, settings, webhooks: token_id null), newest first by insertion (seq), with the
// actor and the token's current name joined. Migration 011 indexes (institution_id, seq) and by type.
import type { Queryable } from '../db/db.js';
import { type UserRef, userRef } from '../tokens/store.js';

export interface AuditFilter {
  institutionId: string;
  /** Exact types, and prefixes (`token.`) a type starts with: any of them; both empty: every type. */
  types: string[];
  prefixes: string[];
  tokenId: string | null;
  actorId: string | null;
  /** `at` >= since and < until. */
  since: Date | null;
  until: Date | null;
}

export interface AuditRecord {
  id: string;
  type: string;
  at: Date;
  actor: UserRef | null;
  ip: string | null;
  details: Record<string, unknown>;
  tokenId: string | null;
  tokenName: string | null;
  seq: string;
}

interface AuditRow {
  id: string;
  type: string;
  at: Date;
  ip: string | null;
  details: Record<string, unknown>;
  seq: string;
  token_id: string | null;
  token_name: string | null;
  a_id: string | null;
  a_email: string | null;
  a_name: string | null;
}

/** A page newest first; `beforeSeq` is the seq of the previous page's last event. */
export async function listAuditEvents(
  q: Queryable,
  f: AuditFilter,
  limit: number,
  beforeSeq: string | null,
): Promise<AuditRecord[]> {
  const params: unknown[] = [f.institutionId];
  const add = (value: unknown) => `$${params.push(value)}`;
  const where = ['e.institution_id = $1'];
  const kinds: string[] = [];
  if (f.types.length > 0) kinds.push(`e.type = ANY(${add(f.types)}::text[])`);
  // The prefixes come from the event catalogue's own names (letters, dots, underscores escaped).
  if (f.prefixes.length > 0)
    kinds.push(`e.type LIKE ANY(${add(f.prefixes.map((p) => `${p.replace(/_/g, '\\_')}%`))}::text[])`);
  if (kinds.length > 0) where.push(`(${kinds.join(' OR ')})`);
  if (f.tokenId) where.push(`e.token_id = ${add(f.tokenId)}::uuid`);
  if (f.actorId) where.push(`e.actor_id = ${add(f.actorId)}::uuid`);
  if (f.since) where.push(`e.at >= ${add(f.since)}`);
  if (f.until) where.push(`e.at < ${add(f.until)}`);
  if (beforeSeq !== null) where.push(`e.seq < ${add(beforeSeq)}::bigint`);
  const rows = await q.query<AuditRow>(
    `SELECT e.id, e.type, e.at, e.ip, e.details, e.seq::text AS seq, e.token_id, t.name AS token_name,
       u.id AS a_id, u.email AS a_email, u.name AS a_name
     FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id LEFT JOIN api_tokens t ON t.id = e.token_id
     WHERE ${where.join(' AND ')} ORDER BY e.seq DESC LIMIT ${add(limit)}`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    at: r.at,
    actor: userRef(r.a_id, r.a_email, r.a_name),
    ip: r.ip,
    details: r.details,
    tokenId: r.token_id,
    tokenName: r.token_name,
    seq: r.seq,
  }));
}
