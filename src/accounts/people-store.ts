// The SQL of people as administrators manage them (SPEC 11) and of the operator's SSO settings as the
// API shows them: users listed with how they sign in, locked for a change, deactivated with their sessions.
import type { Queryable } from '../db/db.js';
import type { Person, User } from './records.js';
import { toUser, USER_COLUMNS, type UserRow } from './store.js';

/** The institution's users by email, or the one with `id`. */
export async function listPeople(
  q: Queryable,
  institutionId: string,
  id: string | null = null,
): Promise<Person[]> {
  const rows = await q.query<UserRow & { sign_in: Person['signIn'] }>(
    `SELECT ${USER_COLUMNS}, CASE WHEN u.oidc_subject IS NULL THEN 'password' ELSE 'oidc' END AS sign_in
     FROM users u WHERE u.institution_id = $1 AND ($2::uuid IS NULL OR u.id = $2::uuid)
     ORDER BY lower(u.email), u.id`,
    [institutionId, id],
  );
  return rows.map((r) => ({ ...toUser(r), signIn: r.sign_in }));
}

/** This institution's user, locked for the transaction's change (another institution's is none). */
export async function lockUser(q: Queryable, institutionId: string, id: string): Promise<User | null> {
  const [row] = await q.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users u WHERE u.institution_id = $1 AND u.id = $2 FOR UPDATE`,
    [institutionId, id],
  );
  return row ? toUser(row) : null;
}

/**
 * The ids of the institution's active administrators, their rows locked: two changes that would each
 * leave one administrator (deactivating or demoting two at once) wait for each other and the second
 * sees the first's result.
 */
export async function lockActiveAdmins(q: Queryable, institutionId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT u.id FROM users u WHERE u.institution_id = $1 AND u.role = 'admin' AND u.deactivated_at IS NULL
     ORDER BY u.id FOR UPDATE`,
    [institutionId],
  );
  return rows.map((r) => r.id);
}

export async function updateUser(
  q: Queryable,
  id: string,
  fields: Pick<User, 'name' | 'role' | 'features'>,
): Promise<void> {
  await q.query('UPDATE users SET name = $2, role = $3, features = $4 WHERE id = $1', [
    id,
    fields.name,
    fields.role,
    fields.features,
  ]);
}

/** Deactivates (a time) or reactivates (null) a user. */
export async function setDeactivated(q: Queryable, id: string, at: Date | null): Promise<void> {
  await q.query('UPDATE users SET deactivated_at = $2 WHERE id = $1', [id, at]);
}

/** Ends every session of a user (deactivation): the rows are gone for every instance at once. */
export async function deleteSessionsOf(q: Queryable, userId: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
}
