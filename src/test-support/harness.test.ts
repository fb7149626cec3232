// The harness's shortcuts must not change what tests see: a database from the cached template is fully
// migrated and a test's own, and moving the test clock's time ages the token cache as sleeping would.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { loadMigrations } from '../db/migrate.js';
import { formatToken } from '../tokens/token.js';
import { TokenVerifier } from '../tokens/verifier.js';
import { databaseKinds, freshDb, offsetClock } from './harness.js';

const versions = () => loadMigrations().map((m) => m.version);

for (const kind of databaseKinds()) {
  describe(`fresh databases from the migrated template (${kind})`, () => {
    test('each is fully migrated and its own: a row in one is not in another', async () => {
      const [a, b] = [await freshDb(kind), await freshDb(kind)];
      try {
        for (const db of [a, b]) {
          const applied = await db.query<{ version: number }>(
            'SELECT version FROM schema_migrations ORDER BY version',
          );
          assert.deepEqual(
            applied.map((r) => r.version),
            versions(),
          );
        }
        await a.query(`CREATE TABLE harness_probe (id int)`);
        await a.query(`INSERT INTO harness_probe VALUES (1)`);
        const seen = await b.query<{ n: string | null }>(`SELECT to_regclass('harness_probe')::text AS n`);
        assert.deepEqual(seen, [{ n: null }]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('the migrated template is kept for the next test process', async () => {
      await (await freshDb(kind)).close();
      if (kind === 'pglite') {
        const files = readdirSync(join(tmpdir(), 'tokend-test-cache'));
        assert.ok(
          files.some((f) => /^pglite-[0-9a-f]{16}\.tar$/.test(f)),
          files.join(' '),
        );
        assert.ok(
          !files.some((f) => f.endsWith('.tmp') && f.includes(`.${process.pid}.`)),
          'no temp file left',
        );
      } else {
        const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await admin.connect();
        const found = await admin.query<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname LIKE 'tokend\\_tpl\\_%' AND datname NOT LIKE '%\\_building'`,
        );
        await admin.end();
        assert.ok(found.rowCount && found.rowCount > 0, 'a migrated template database exists');
      }
    });
  });
}

describe('the test clock and the token cache', () => {
  test('elapse ages cached entries (an unknown token is looked up again); advance alone does not', async () => {
    const db = await freshDb('pglite');
    const clock = offsetClock();
    const verifier = new TokenVerifier(db, clock, { ttlMs: 60_000 });
    try {
      const unknown = formatToken(randomBytes(32), '');
      const institution = '00000000-0000-0000-0000-000000000000';
      assert.equal((await verifier.verify(unknown, institution, null)).ok, false);
      assert.ok(!(verifier.verify(unknown, institution, null) instanceof Promise), 'cached at first');
      clock.advance(120_000);
      assert.ok(!(verifier.verify(unknown, institution, null) instanceof Promise), 'still cached');
      clock.elapse(60_001); // seen at once, in the same tick (the cache reads its clock at every look-up)
      const again = verifier.verify(unknown, institution, null);
      assert.ok(again instanceof Promise, 'looked up again once its lifetime passed');
      assert.equal((await again).ok, false);
    } finally {
      verifier.stop();
      await db.close();
    }
  });
});
