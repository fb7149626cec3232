// The only SQL for institutions, users and sessions. Rows are mapped to camelCase records here.
import type { Queryable } from '../db/db.js';
import type { Institution, Sso, User } from './records.js';

export type { Institution, User } from './records.js';

export interface SessionRow {
  user: User;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
}

const INSTITUTION_COLUMNS = `i.id, i.slug, i.name, i.notify_emails, i.require_expiry, i.max_lifetime_days,
  i.require_allowed_ips, i.leak_response, i.allow_query_token, i.suspend_unused_after_days, i.created_at,
  i.oidc_issuer, i.oidc_client_id, i.oidc_groups_claim, i.oidc_admin_group, i.oidc_staff_group, i.password_login,
  COALESCE((SELECT array_agg(h.hostname ORDER BY h.hostname) FROM institution_hosts h WHERE h.institution_id = i.id), '{}') AS hostnames`;
/** The user columns and their mapping, for the accounts' other stores (people-store.ts). */
export const USER_COLUMNS = `u.id, u.institution_id, u.email, u.name, u.role, u.features, u.password_hash,
  u.break_glass, u.deactivated_at, u.last_login_at, u.created_at`;

// The rows as both drivers return them (text[] as string[], integer as number, timestamptz as Date).
// Each query reads into one of these and one plain transform maps it: no per-field casts.
interface InstitutionRow {
  id: string;
  slug: string;
  name: string;
  hostnames: string[];
  notify_emails: string[];
  require_expiry: boolean;
  max_lifetime_days: number | null;
  require_allowed_ips: boolean;
  /** The column's CHECK constraint holds it to the three policies. */
  leak_response: Institution['leakResponse'];
  allow_query_token: boolean;
  suspend_unused_after_days: number | null;
  created_at: Date;
  oidc_issuer: string | null;
  oidc_client_id: string | null;
  oidc_groups_claim: string;
  oidc_admin_group: string | null;
  oidc_staff_group: string | null;
  password_login: boolean;
}

export interface UserRow {
  id: string;
  institution_id: string;
  email: string;
  name: string;
  /** The column's CHECK constraint holds it to these two. */
  role: User['role'];
  features: string[];
  password_hash: string;
  break_glass: boolean;
  created_at: Date;
  deactivated_at: Date | null;
  last_login_at: Date | null;
}

interface SessionUserRow extends UserRow {
  csrf_token: string;
  session_created_at: Date;
  last_seen_at: Date;
}

const toInstitution = (r: InstitutionRow): Institution => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  hostnames: r.hostnames,
  notifyEmails: r.notify_emails,
  requireExpiry: r.require_expiry,
  maxLifetimeDays: r.max_lifetime_days,
  requireAllowedIps: r.require_allowed_ips,
  leakResponse: r.leak_response,
  allowQueryToken: r.allow_query_token,
  suspendUnusedAfterDays: r.suspend_unused_after_days,
  sso:
    r.oidc_issuer && r.oidc_client_id && r.oidc_admin_group
      ? {
          issuer: r.oidc_issuer,
          clientId: r.oidc_client_id,
          groupsClaim: r.oidc_groups_claim,
          adminGroup: r.oidc_admin_group,
          staffGroup: r.oidc_staff_group,
        }
      : null,
  passwordLogin: r.password_login,
  createdAt: r.created_at,
});

export const toUser = (r: UserRow): User => ({
  id: r.id,
  institutionId: r.institution_id,
  email: r.email,
  name: r.name,
  role: r.role,
  features: r.features,
  passwordHash: r.password_hash,
  breakGlass: r.break_glass,
  createdAt: r.created_at,
  deactivatedAt: r.deactivated_at,
  lastLoginAt: r.last_login_at,
});

const toSessionRow = (r: SessionUserRow): SessionRow => ({
  user: toUser(r),
  csrfToken: r.csrf_token,
  createdAt: r.session_created_at,
  lastSeenAt: r.last_seen_at,
});

export async function listInstitutions(q: Queryable): Promise<Institution[]> {
  return (
    await q.query<InstitutionRow>(`SELECT ${INSTITUTION_COLUMNS} FROM institutions i ORDER BY i.slug`)
  ).map(toInstitution);
}

export async function findInstitutionBySlug(q: Queryable, slug: string): Promise<Institution | null> {
  const [row] = await q.query<InstitutionRow>(
    `SELECT ${INSTITUTION_COLUMNS} FROM institutions i WHERE i.slug = $1`,
    [slug],
  );
  return row ? toInstitution(row) : null;
}

export async function findInstitutionById(q: Queryable, id: string): Promise<Institution | null> {
  const [row] = await q.query<InstitutionRow>(
    `SELECT ${INSTITUTION_COLUMNS} FROM institutions i WHERE i.id = $1`,
    [id],
  );
  return row ? toInstitution(row) : null;
}

/** The policies a new institution may leave out, and their defaults (insertInstitution). */
type DefaultedPolicy = 'requireAllowedIps' | 'leakResponse' | 'allowQueryToken' | 'suspendUnusedAfterDays';
/** Set after creation (`institutions update`): a new institution has no SSO and password login open. */
type SignIn = 'sso' | 'passwordLogin';
/** A new institution: no network rule required, leaks suspend, `?token=` allowed, no inactivity policy. */
export type NewInstitution = Omit<Institution, 'hostnames' | DefaultedPolicy | SignIn> &
  Partial<Pick<Institution, DefaultedPolicy>>;

export async function insertInstitution(q: Queryable, i: NewInstitution): Promise<void> {
  await q.query(
    `INSERT INTO institutions (id, slug, name, notify_emails, require_expiry, max_lifetime_days, created_at,
       require_allowed_ips, leak_response, allow_query_token, suspend_unused_after_days)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      i.id,
      i.slug,
      i.name,
      i.notifyEmails,
      i.requireExpiry,
      i.maxLifetimeDays,
      i.createdAt,
      i.requireAllowedIps ?? false,
      i.leakResponse ?? 'suspend',
      i.allowQueryToken ?? true,
      i.suspendUnusedAfterDays ?? null,
    ],
  );
}

export async function updateInstitution(
  q: Queryable,
  id: string,
  fields: Pick<
    Institution,
    | 'name'
    | 'notifyEmails'
    | 'requireExpiry'
    | 'maxLifetimeDays'
    | 'requireAllowedIps'
    | 'leakResponse'
    | 'allowQueryToken'
    | 'suspendUnusedAfterDays'
  >,
): Promise<void> {
  await q.query(
    `UPDATE institutions SET name = $2, notify_emails = $3, require_expiry = $4, max_lifetime_days = $5,
       require_allowed_ips = $6, leak_response = $7, allow_query_token = $8, suspend_unused_after_days = $9
     WHERE id = $1`,
    [
      id,
      fields.name,
      fields.notifyEmails,
      fields.requireExpiry,
      fields.maxLifetimeDays,
      fields.requireAllowedIps,
      fields.leakResponse,
      fields.allowQueryToken,
      fields.suspendUnusedAfterDays,
    ],
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

/** A new user: active, never logged in; a break-glass account only when said (first start, CLI administrators). */
export type NewUser = Omit<User, 'breakGlass' | 'deactivatedAt' | 'lastLoginAt'> & { breakGlass?: boolean };

export async function insertUser(
  q: Queryable,
  u: NewUser,
  identity: { issuer: string; subject: string } | null = null,
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO users (id, institution_id, email, name, role, features, password_hash, created_at,
       break_glass, oidc_issuer, oidc_subject)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING id`,
    [
      u.id,
      u.institutionId,
      u.email,
      u.name,
      u.role,
      u.features,
      u.passwordHash,
      u.createdAt,
      u.breakGlass ?? false,
      identity?.issuer ?? null,
      identity?.subject ?? null,
    ],
  );
  return rows.length === 1;
}

/** The user who signs in as (issuer, sub) with the institution's provider, or null. */
export async function findUserByIdentity(
  q: Queryable,
  institutionId: string,
  issuer: string,
  subject: string,
): Promise<User | null> {
  const [row] = await q.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users u
     WHERE u.institution_id = $1 AND u.oidc_issuer = $2 AND u.oidc_subject = $3`,
    [institutionId, issuer, subject],
  );
  return row ? toUser(row) : null;
}

/** The role and features a sign-in brought (the provider's groups decide them at every sign-in). */
export async function setUserRole(
  q: Queryable,
  userId: string,
  role: User['role'],
  features: string[],
): Promise<void> {
  await q.query('UPDATE users SET role = $2, features = $3 WHERE id = $1', [userId, role, features]);
}

export async function setLastLogin(q: Queryable, userId: string, at: Date): Promise<void> {
  await q.query('UPDATE users SET last_login_at = $2 WHERE id = $1', [userId, at]);
}

/** Sets (or, with null, removes) the institution's OpenID client; the secret is written here only. */
export async function setInstitutionSso(
  q: Queryable,
  institutionId: string,
  sso: (Sso & { clientSecret: string }) | null,
): Promise<void> {
  await q.query(
    `UPDATE institutions SET oidc_issuer = $2, oidc_client_id = $3, oidc_client_secret = $4,
       oidc_groups_claim = $5, oidc_admin_group = $6, oidc_staff_group = $7 WHERE id = $1`,
    [
      institutionId,
      sso?.issuer ?? null,
      sso?.clientId ?? null,
      sso?.clientSecret ?? null,
      sso?.groupsClaim ?? 'groups',
      sso?.adminGroup ?? null,
      sso?.staffGroup ?? null,
    ],
  );
}

export async function setPasswordLogin(q: Queryable, institutionId: string, open: boolean): Promise<void> {
  await q.query('UPDATE institutions SET password_login = $2 WHERE id = $1', [institutionId, open]);
}

export async function findUserByEmail(
  q: Queryable,
  institutionId: string,
  email: string,
): Promise<User | null> {
  const [row] = await q.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users u WHERE u.institution_id = $1 AND lower(u.email) = lower($2)`,
    [institutionId, email],
  );
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
  const [row] = await q.query<SessionUserRow>(
    `SELECT s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, ${USER_COLUMNS}
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND u.deactivated_at IS NULL`,
    [idHash],
  );
  return row ? toSessionRow(row) : null;
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
