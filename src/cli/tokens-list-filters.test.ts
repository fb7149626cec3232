// `tokend tokens list` with the inventory's filters (SPEC 12) as an operator runs it, on the embedded
// database and (with TEST_DATABASE_URL) on PostgreSQL: the same seeded set and answers as the API's test,
// boolean flags bare (true) or with true/false, `--no-expiry`, the sort by last use, and a bad value
// printing its field and exiting 2.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { type Db, openPglite } from '../db/db.js';
import { CreatedSchema, TokenPage } from '../test-support/answers.js';
import { jsonOf, tokendInProcess } from '../test-support/cli.js';
import { databaseKinds, freshDb, migratedDataDir } from '../test-support/harness.js';

const ADMIN = 'admin@example.test';
const STAFF = 'staff@example.test';
const DAY = 86_400_000;
const UserView = Type.Object({ id: Type.String() });

for (const kind of databaseKinds()) {
  describe(`tokend tokens list filters (${kind})`, () => {
    const env: Record<string, string> = {
      TOKEND_ADMIN_EMAIL: ADMIN,
      TOKEND_ADMIN_PASSWORD: 'admin-password-123',
    };
    let db: Db | null = null;
    let dir: string | null = null;
    const run = (...args: string[]) => tokendInProcess(args, env);
    const ok = async (...args: string[]) => {
      const r = await run(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    /** SQL on the command's database, between commands (the embedded one is closed by then). */
    const sql = async (text: string, values: unknown[]) => {
      if (db) return void (await db.query(text, values));
      const local = await openPglite(join(dir ?? '', 'pgdata'));
      await local.query(text, values);
      await local.close();
    };
    const ids: Record<string, string> = {};
    let staffId = '';
    const names = async (...args: string[]) =>
      jsonOf(TokenPage, await ok('tokens', 'list', '--json', ...args))
        .items.map((t) => t.name)
        .sort()
        .join(',');
    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    const ahead = (days: number) => new Date(Date.now() + days * DAY).toISOString();

    before(async () => {
      if (kind === 'postgres') {
        db = await freshDb(kind);
        env.DATABASE_URL = 'url' in db && typeof db.url === 'string' ? db.url : '';
      } else {
        dir = await migratedDataDir('tokend-list-filters-');
        env.TOKEND_DATA_DIR = dir;
      }
      const feature = 'core.institutions.settings_api_tokens_change';
      staffId = jsonOf(
        UserView,
        await ok(
          'users',
          'create',
          '--email',
          STAFF,
          '--name',
          'Staff',
          '--role',
          'staff',
          '--feature',
          feature,
          '--json',
        ),
      ).id;
      const create = async (name: string, by: string, ...args: string[]) => {
        ids[name] = jsonOf(
          CreatedSchema,
          await ok('tokens', 'create', '--name', name, '--by', by, '--json', ...args),
        ).token.id;
      };
      await create('a', ADMIN, '--expires-in-days', '30', '--allow-ip', '10.0.0.0/8');
      await create('b', STAFF);
      await create('c', ADMIN, '--expires-in-days', '365');
      await create('d', ADMIN);
      await sql('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [ids.b, ago(10)]);
      await sql('UPDATE api_tokens SET created_at = $2, last_used_at = $3 WHERE id = $1', [
        ids.c,
        ago(100),
        ago(1),
      ]);
      await sql('UPDATE api_tokens SET created_at = $2, compromised_at = $3 WHERE id = $1', [
        ids.d,
        ago(200),
        ago(3),
      ]);
    });
    after(async () => {
      await db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('each filter alone, and combined', async () => {
      assert.equal(await names(), 'a,b,c,d');
      assert.equal(await names('--expires-before', ahead(60)), 'a');
      assert.equal(await names('--no-expiry'), 'b,d');
      assert.equal(await names('--no-expiry', 'false'), 'a,c');
      assert.equal(await names('--last-used-before', ago(5)), 'b,d');
      assert.equal(await names('--never-used'), 'a,d');
      assert.equal(await names('--never-used', 'false'), 'b,c');
      assert.equal(await names('--created-by', staffId), 'b');
      assert.equal(await names('--ip-restricted'), 'a');
      assert.equal(await names('--ip-restricted', 'false'), 'b,c,d');
      assert.equal(await names('--compromised'), 'd');
      assert.equal(await names('--compromised', 'false'), 'a,b,c');
      assert.equal(await names('--no-expiry', '--never-used'), 'd');
      assert.equal(await names('--never-used', 'false', '--expires-before', ahead(400)), 'c');
      assert.equal(
        await names('--state', 'active', '--ip-restricted', 'false', '--last-used-before', ago(5)),
        'b,d',
      );
    });

    test('--sort lastUsedAt puts never-used tokens last in both orders', async () => {
      const order = async (...args: string[]) =>
        jsonOf(TokenPage, await ok('tokens', 'list', '--json', '--sort', 'lastUsedAt', ...args)).items.map(
          (t) => t.name,
        );
      const never = [ids.a, ids.d].sort();
      const nameOf = (id: string | undefined) => (id === ids.a ? 'a' : 'd');
      assert.deepEqual(await order(), ['c', 'b', nameOf(never[1]), nameOf(never[0])]);
      assert.deepEqual(await order('--order', 'asc'), ['b', 'c', nameOf(never[0]), nameOf(never[1])]);
      const text = await ok('tokens', 'list', '--sort', 'lastUsedAt', '--limit', '1');
      assert.match(text, /more: --cursor /);
    });

    test('a bad value prints its field and exits 2', async () => {
      for (const [args, field] of [
        [['--expires-before', 'soon'], 'expiresBefore'],
        [['--never-used', 'maybe'], 'neverUsed'],
        [['--created-by', 'me'], 'createdBy'],
        [['--sort', 'name'], 'sort'],
      ] as const) {
        const r = await run('tokens', 'list', ...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(field));
        assert.equal(r.stdout, '');
      }
    });
  });
}
