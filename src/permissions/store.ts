// The only SQL for the permission catalogue. Rows are checked against their shape as both drivers
// return them (booleans as booleans), then mapped to the record in one place. Keys are listed in byte
// order (`COLLATE "C"`), the same on PGlite and PostgreSQL whatever the database's collation.
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Queryable } from '../db/db.js';
import type { Permission } from './rules.js';

const PermissionRow = Type.Object({
  key: Type.String(),
  description: Type.String(),
  deprecated: Type.Boolean(),
  built_in: Type.Boolean(),
});

const COLUMNS = 'key, description, deprecated, built_in';

/** A row that is not the table's shape is a broken database, not an expected outcome: it throws. */
function toPermission(row: unknown): Permission {
  if (!Value.Check(PermissionRow, row))
    throw new Error('permissions: a row does not have the expected shape');
  return { key: row.key, description: row.description, deprecated: row.deprecated, builtIn: row.built_in };
}

export async function listPermissions(q: Queryable): Promise<Permission[]> {
  const rows = await q.query<unknown>(`SELECT ${COLUMNS} FROM permissions ORDER BY key COLLATE "C"`);
  return rows.map(toPermission);
}

/** The entries for these keys (those in the catalogue), in key order. */
export async function findPermissions(q: Queryable, keys: readonly string[]): Promise<Permission[]> {
  const rows = await q.query<unknown>(
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
  const [row] = await q.query<unknown>(
    `INSERT INTO permissions (key, description, created_at, changed_at) VALUES ($1, $2, $3, $3)
     ON CONFLICT (key) DO UPDATE SET description = EXCLUDED.description,
       changed_at = CASE WHEN permissions.description = EXCLUDED.description
                         THEN permissions.changed_at ELSE EXCLUDED.changed_at END
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    [p.key, p.description, p.at],
  );
  const created = Value.Check(Type.Object({ created: Type.Boolean() }), row) && row.created;
  return { permission: toPermission(row), created };
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
  const [updated] = await q.query<unknown>(
    `UPDATE permissions SET deprecated = $2, changed_at = $3 WHERE key = $1 AND deprecated <> $2
     RETURNING ${COLUMNS}`,
    [key, deprecated, at],
  );
  if (updated !== undefined) return { permission: toPermission(updated), changed: true };
  const [found] = await findPermissions(q, [key]);
  return found ? { permission: found, changed: false } : null;
}
