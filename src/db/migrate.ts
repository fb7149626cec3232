// Plain numbered SQL migrations, applied in order and recorded in schema_migrations. On PostgreSQL
// they run under an advisory lock, so instances starting together end with one schema.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Db, LOCKS } from './db.js';

// Migrations are read from the source tree in development and copied beside the build by `npm run build`.
const here = dirname(fileURLToPath(import.meta.url));
export const migrationsDir = join(here, 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d+_.*\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number.parseInt(file, 10),
      name: file,
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

/** Applies pending migrations; returns the names it applied. */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  return db.withAdvisoryLock(LOCKS.migrate, async (q) => {
    await q.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await q.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
    );
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await db.transaction(async (tx) => {
        await tx.exec(migration.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
      });
      applied.push(migration.name);
    }
    return applied;
  });
}
