// Migration 006 on a database made before it: the catalogue appears with its two built-ins and every
// existing token stays exactly as it was (it keeps core.core.files_download).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { type Db, openPglite, openPostgres } from '../db/db.js';
import { loadMigrations, migrate } from '../db/migrate.js';
import { databaseKinds } from '../test-support/harness.js';
import { PermissionService } from './service.js';

const BUILT_INS = [
  {
    key: 'core.core.files_download',
    description: 'Download files through the API',
    deprecated: false,
    builtIn: true,
  },
  { key: 'tokens.self_rotate', description: 'Rotate its own secret', deprecated: false, builtIn: true },
];

// Migrating from scratch takes seconds on PGlite (no template to start from): this runs once, on
// PostgreSQL when it is there. The SQL is the same on both.
const stepKind = databaseKinds().includes('postgres') ? 'postgres' : 'pglite';
test(`migration 006 keeps every existing token exactly as it is (${stepKind})`, async () => {
  const scratch = await scratchDb(stepKind);
  try {
    const all = loadMigrations();
    await migrate(
      scratch.db,
      all.filter((m) => m.version < 6),
    );
    const institution = randomUUID();
    const token = randomUUID();
    await scratch.db.query(
      "INSERT INTO institutions (id, slug, name, created_at) VALUES ($1, 'legacy', 'Legacy', now())",
      [institution],
    );
    await scratch.db.query(
      `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, permissions, created_at,
           expiry_set_at, state) VALUES ($1, $2, 'h', 'sk-legacy... abc', 'Legacy', '{core.core.files_download}', now(), now(), 'active')`,
      [token, institution],
    );
    const rowBefore = await scratch.db.query<{ row: Record<string, unknown> }>(
      'SELECT to_jsonb(t) AS row FROM api_tokens t WHERE id = $1',
      [token],
    );
    assert.deepEqual(
      await migrate(scratch.db, all),
      all.filter((m) => m.version >= 6).map((m) => m.name),
    );
    const rowAfter = await scratch.db.query('SELECT to_jsonb(t) AS row FROM api_tokens t WHERE id = $1', [
      token,
    ]);
    // Later migrations add columns whose defaults keep the token as it was: any address, not reported,
    // no recent address yet.
    assert.deepEqual(rowAfter, [
      { row: { ...rowBefore[0]?.row, allowed_ips: [], compromised_at: null, recent_ips: [] } },
    ]);
    assert.deepEqual(await new PermissionService(scratch.db, () => new Date()).list(), BUILT_INS);
  } finally {
    await scratch.close();
  }
});

/** An empty database (not the migrated template), to migrate step by step. */
async function scratchDb(kind: 'pglite' | 'postgres'): Promise<{ db: Db; close(): Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openPglite();
    return { db, close: () => db.close() };
  }
  const adminUrl = process.env.TEST_DATABASE_URL ?? '';
  const name = `tokend_m_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  return {
    db,
    close: async () => {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
