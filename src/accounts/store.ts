// The only SQL for institutions, users and sessions. Rows are mapped to camelCase records here.
import type { Queryable } from '../db/db.js';

export interface Institution {
  id: string;
  slug: string;
  name: string;
  hostnames: string[];
  notifyEmails: string[];
  requireExpiry: boolean;
  maxLifetimeDays: number | null;
  createdAt: Date;
}

export interface User {
  id: string;
  institutionId: string;
  email: string;
  name: string;
  role: 'admin' | 'staff';
  features: string[];
  passwordHash: string;
  createdAt: Date;
}

export interface SessionRow {
  user: User;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
}

const INSTITUTION_COLUMNS = `i.id, i.slug, i.name, i.notify_emails, i.require_expiry, i.max_lifetime_days, i.created_at,
  COALESCE((SELECT array_agg(h.hostname ORDER BY h.hostname) FROM institution_hosts h WHERE h.institution_id = i.id), '{}') AS hostnames`;

type Row = Record<string, unknown>;

function toInstitution(r: Row): Institution {
  return {
    id: r.id as string,
    slug: r.slug as string,
    name: r.name as string,
    hostnames: r.hostnames as string[],
    notifyEmails: r.notify_emails as string[],
    requireExpiry: r.require_expiry as boolean,
    maxLifetimeDays: (r.max_lifetime_days as number | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

function toUser(r: Row, prefix = ''): User {
  return {
    id: r[`${prefix}id`] as string,
    institutionId: r[`${prefix}institution_id`] as string,
    email: r[`${prefix}email`] as string,
    name: r[`${prefix}name`] as string,
    role: r[`${prefix}role`] as User['role'],
    features: r[`${prefix}features`] as string[],
    passwordHash: r[`${prefix}password_hash`] as string,
    createdAt: r[`${prefix}created_at`] as Date,
  };
}

export async function listInstitutions(q: Queryable): Promise<Institution[]> {
  return (await q.query(`SELECT ${INSTITUTION_COLUMNS} FROM institutions i ORDER BY i.slug`)).map(
    toInstitution,
  );
}

export async function findInstitutionBySlug(q: Queryable, slug: string): Promise<Institution | null> {
  const [row] = await q.query(`SELECT ${INSTITUTION_COLUMNS} FROM institutions i WHERE i.slug = $1`, [slug]);
  return row ? toInstitution(row) : null;
}

export async function findInstitutionById(q: Queryable, id: string): Promise<Institution | null> {
  const [row] = await q.query(`SELECT ${INSTITUTION_COLUMNS} FROM institutions i WHERE i.id = $1`, [id]);
  return row ? toInstitution(row) : null;
}

export async function insertInstitution(q: Queryable, i: Omit<Institution, 'hostnames'>): Promise<void> {
  await q.query(
    `INSERT INTO institutions (id, slug, name, notify_emails, require_expiry, max_lifetime_days, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [i.id, i.slug, i.name, i.notifyEmails, i.requireExpiry, i.maxLifetimeDays, i.createdAt],
  );
}

export async function updateInstitution(
  q: Queryable,
  id: string,
  fields: Pick<Institution, 'name' | 'notifyEmails' | 'requireExpiry' | 'maxLifetimeDays'>,
): Promise<void> {
  await q.query(
    'UPDATE institutions SET name = $2, notify_emails = $3, require_expiry = $4, max_lifetime_days = $5 WHERE id = $1',
    [id, fields.name, fields.notifyEmails, fields.requireExpiry, fields.maxLifetimeDays],
  );
}

/** Returns the hostnames already taken by another institution (nothing is written then). */
export async function setHosts(q: Queryable, institutionId: string, hostnames: string[]): Promise<string[]> {
  const taken = await q.query<{ hostname: string }>(
    'SELECT hostname FROM institution_hosts WHERE hostname = ANY($1) AND institution_id <> $2',
    [hostnames, institutionId],
  );
  if (taken.length > 0) return taken.map((r) => r.hostname);
  await q.query('DELETE FROM institution_hosts WHERE institution_id = $1 AND NOT (hostname = ANY($2))', [
    institutionId,
    hostnames,
  ]);
  await q.query(
    `INSERT INTO institution_hosts (hostname, institution_id) SELECT h, $2 FROM unnest($1::text[]) AS h
     ON CONFLICT (hostname) DO NOTHING`,
    [hostnames, institutionId],
  );
  return [];
}

export async function insertUser(q: Queryable, u: User): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO users (id, institution_id, email, name, role, features, password_hash, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id`,
    [u.id, u.institutionId, u.email, u.name, u.role, u.features, u.passwordHash, u.createdAt],
  );
  return rows.length === 1;
}

export async function findUserByEmail(
  q: Queryable,
  institutionId: string,
  email: string,
): Promise<User | null> {
  const [row] = await q.query('SELECT * FROM users WHERE institution_id = $1 AND lower(email) = lower($2)', [
    institutionId,
    email,
  ]);
  return row ? toUser(row) : null;
}

export async function insertSession(
  q: Queryable,
  s: { idHash: string; userId: string; csrfToken: string; at: Date },
): Promise<void> {
  await q.query(
    'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)',
    [s.idHash, s.userId, s.csrfToken, s.at],
  );
}

export async function findSession(q: Queryable, idHash: string): Promise<SessionRow | null> {
  const [row] = await q.query(
    `SELECT s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, u.*
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`,
    [idHash],
  );
  if (!row) return null;
  return {
    user: toUser(row),
    csrfToken: row.csrf_token as string,
    createdAt: row.s_created_at as Date,
    lastSeenAt: row.last_seen_at as Date,
  };
}

export async function touchSession(q: Queryable, idHash: string, at: Date): Promise<void> {
  await q.query('UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2) WHERE id_hash = $1', [
    idHash,
    at,
  ]);
}

export async function deleteSession(q: Queryable, idHash: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
}
