// A fresh, migrated database for each test file: PGlite copied from a cached dump of a migrated one, or
// a PostgreSQL database made from a migrated template database, both keyed by a hash of the migrations.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Db, openPglite, openPostgres } from '../db/db.js';
import { loadMigrations, migrate } from '../db/migrate.js';

export type DbKind = 'pglite' | 'postgres';

export function databaseKinds(): DbKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

let template: Promise<Blob> | null = null;

// The package does not export its package.json; the installed copy sits at the project root.
const pgliteVersion = (() => {
  const manifest: unknown = JSON.parse(
    readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
  );
  if (typeof manifest !== 'object' || manifest === null || !('version' in manifest))
    throw new Error('the installed @electric-sql/pglite has no version');
  return String(manifest.version);
})();

/**
 * Names the migrated database by what made it: the migrations' contents and the PGlite version (its
 * data-directory format). A changed migration gets a new template; old ones are simply not used.
 */
const templateKey = (() => {
  const hash = createHash('sha256').update(pgliteVersion);
  for (const migration of loadMigrations()) hash.update(`${migration.name}\0${migration.sql}\0`);
  return hash.digest('hex').slice(0, 16);
})();

/**
 * The migrated PGlite data directory, built once per migration set and kept as a file: a test process
 * loads it (about 0.6 s) instead of migrating from scratch (about 4 s). Parallel test processes may build
 * it together; each writes a temp file and renames it, so a reader sees a whole dump or none.
 */
async function pgliteTemplate(): Promise<Blob> {
  const dir = join(tmpdir(), 'tokend-test-cache');
  const path = join(dir, `pglite-${templateKey}.tar`);
  if (existsSync(path)) return new Blob([readFileSync(path)]);
  const db = await openPglite();
  await migrate(db);
  const dump = await db.pglite.dumpDataDir('none');
  await db.close();
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, Buffer.from(await dump.arrayBuffer()));
  renameSync(temp, path);
  return dump;
}

/**
 * A fresh, migrated database: PGlite loaded from the migrated template, or a PostgreSQL copy of one
 * (with its `url`, for tests that connect another client or process to it).
 */
export async function freshDb(kind: DbKind): Promise<Db & { url?: string }> {
  if (kind === 'pglite') {
    template ??= pgliteTemplate();
    return openPglite(undefined, await template);
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('a PostgreSQL test database needs TEST_DATABASE_URL');
  const name = `tokend_t_${randomBytes(6).toString('hex')}`;
  await createFromTemplate(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  return {
    ...db,
    close: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
    url: url.toString(),
  };
}

/**
 * A new TOKEND_DATA_DIR whose embedded database is already migrated, loaded from the same template: a
 * command or server started on it skips the database's creation (initdb, about 4 s) and the
 * migrations, and still makes the institution and administrator of a first start. For tests of what
 * comes after; a first start on an empty folder is tested on an empty one.
 */
export async function migratedDataDir(prefix = 'tokend-'): Promise<string> {
  template ??= pgliteTemplate();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = await openPglite(join(dir, 'pgdata'), await template);
  await db.close();
  return dir;
}

// Held while a template is checked, built or copied: parallel test processes (and other checkouts on
// the same server) then never copy a half-migrated template, and CREATE DATABASE never finds one in use.
const TEMPLATE_LOCK = 7_150_015;

/**
 * CREATE DATABASE … TEMPLATE a migrated database named by the template key, made on first use. It is
 * migrated under a building name and renamed when complete, so a run killed halfway leaves nothing
 * another run would copy.
 */
async function createFromTemplate(adminUrl: string, name: string): Promise<void> {
  const ready = `tokend_tpl_${templateKey}`;
  const building = `${ready}_building`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [ready]);
    if (found.rowCount === 0) {
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const db = openPostgres(url.toString());
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${ready}`);
    }
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${ready}`);
  } finally {
    await admin.end(); // ending the session releases the lock
  }
}

/**
 * A clock that follows real time plus an offset tests can move forward. `advance` moves only the wall
 * clock that decisions read (an expiry passes, cached entries stay); `elapse` lets time pass as a sleep
 * would, moving the clock's `perf` too, which drives the token cache's lifetimes.
 */
