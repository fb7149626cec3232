// The only SQL for the permission catalogue. Each query reads into PermissionRow, the table's columns
// as both drivers return them, and one plain transform maps it to the record. Keys are listed in byte
// order (`COLLATE "C"`), the same on PGlite and PostgreSQL whatever the database's collation.
import type { Queryable } from '../db/db.js';
import { onlyRow } from '../tokens/store.js';
import type { Permission } from './rules.js';

/** A row of `permissions` as both drivers return it. */
interface PermissionRow {
  key: string;
  description: string;
  deprecated: boolean;
  built_in: boolean;
}

const COLUMNS = 'key, description, deprecated, built_in';

const toPermission = (row: PermissionRow): Permission => ({
  key: row.key,
  description: row.description,
  deprecated: row.deprecated,
  builtIn: row.built_in,
});

export async function listPermissions(q: Queryable): Promise<Permission[]> {
  const rows = await q.query<PermissionRow>(`SELECT ${COLUMNS} FROM permissions ORDER BY key COLLATE "C"`);
  return rows.map(toPermission);
}

/** The entries for these keys (those in the catalogue), in key order. */
export async function findPermissions(q: Queryable, keys: readonly string[]): Promise<Permission[]> {
  const rows = await q.query<PermissionRow>(
    `SELECT ${COLUMNS} FROM permissions WHERE key = ANY($1::text[]) ORDER BY key COLLATE "C"`,
    [keys],
  );
  return rows.map(toPermission);
}

/**
 * Adds a permission, or gives an existing one this description (its deprecation and built-in flag stay).
 * `created` tells which: `xmax = 0` holds only for a row this statement inserted.
 */
export async function upsertPermission(
  q: Queryable,
  p: { key: string; description: string; at: Date },
): Promise<{ permission: Permission; created: boolean }> {
  const rows = await q.query<PermissionRow & { created: boolean }>(
    `INSERT INTO permissions (key, description, created_at, changed_at) VALUES ($1, $2, $3, $3)
     ON CONFLICT (key) DO UPDATE SET description = EXCLUDED.description,
       changed_at = CASE WHEN permissions.description = EXCLUDED.description
                         THEN permissions.changed_at ELSE EXCLUDED.changed_at END
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    [p.key, p.description, p.at],
  );
  const row = onlyRow(rows);
  return { permission: toPermission(row), created: row.created };
}

/**
 * Sets the deprecation flag; null for an unknown key. The write is guarded on the flag being different,
 * so `changed` is true for exactly one of two racing calls and false when it already was so.
 */
export async function setDeprecated(
  q: Queryable,
  key: string,
  deprecated: boolean,
  at: Date,
): Promise<{ permission: Permission; changed: boolean } | null> {
  const [updated] = await q.query<PermissionRow>(
    `UPDATE permissions SET deprecated = $2, changed_at = $3 WHERE key = $1 AND deprecated <> $2
     RETURNING ${COLUMNS}`,
    [key, deprecated, at],
  );
  if (updated !== undefined) return { permission: toPermission(updated), changed: true };
  const [found] = await findPermissions(q, [key]);
  return found ? { permission: found, changed: false } : null;
}
