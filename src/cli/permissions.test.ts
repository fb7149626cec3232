// `tokend permissions ...` as an operator runs it, on the embedded database and (with TEST_DATABASE_URL)
// on PostgreSQL: through the CLI's entry in this process (the same parsing, output and exit codes), and
// a real child process for a listing and a refusal. `list --json` prints `{items}` as the API does;
// `add` twice updates the description; bad input exits 2 naming what is wrong; unknown keys exit 1.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Db } from '../db/db.js';
import { tokend, tokendInProcess } from '../test-support/cli.js';
import { databaseKinds, freshDb, migratedDataDir } from '../test-support/harness.js';

const Permission = Type.Object(
  { key: Type.String(), description: Type.String(), deprecated: Type.Boolean(), builtIn: Type.Boolean() },
  { additionalProperties: false },
);
const List = Type.Object({ items: Type.Array(Permission) }, { additionalProperties: false });

/** A child process's JSON is untrusted: it must have the documented shape, exactly. */
function parsed<T extends TSchema>(schema: T, stdout: string): Static<T> {
  const value: unknown = JSON.parse(stdout);
  Value.Assert(schema, value);
  return value;
}

for (const kind of databaseKinds()) {
  describe(`tokend permissions (${kind})`, () => {
    const env: Record<string, string> = {
      TOKEND_ADMIN_EMAIL: 'admin@example.test',
      TOKEND_ADMIN_PASSWORD: 'admin-password-123',
    };
    let db: Db | null = null;
    let dir: string | null = null;
    const run = (...args: string[]) => tokendInProcess(['permissions', ...args], env);
    const child = (...args: string[]) => tokend(['permissions', ...args], env);
    const list = async () => {
      const listed = await run('list', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      return parsed(List, listed.stdout).items;
    };

    before(async () => {
      if (kind === 'postgres') {
        db = await freshDb(kind);
        const url = 'url' in db && typeof db.url === 'string' ? db.url : '';
        env.DATABASE_URL = url;
      } else {
        dir = await migratedDataDir('tokend-permissions-');
        env.TOKEND_DATA_DIR = dir;
      }
    });
    after(async () => {
      await db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('list shows the two built-ins, as text and as the API JSON', async () => {
      const human = await child('list');
      assert.equal(human.code, 0, human.stderr);
      assert.match(
        human.stdout,
        /^core\.core\.files_download {2}Download files through the API {2}\(built in\)$/m,
      );
      assert.match(human.stdout, /^tokens\.self_rotate {2}Rotate its own secret {2}\(built in\)$/m);
      const items = await list();
      assert.deepEqual(
        items.filter((p) => p.builtIn),
        [
          {
            key: 'core.core.files_download',
            description: 'Download files through the API',
            deprecated: false,
            builtIn: true,
          },
          {
            key: 'tokens.self_rotate',
            description: 'Rotate its own secret',
            deprecated: false,
            builtIn: true,
          },
        ],
      );
    });

    test('add inserts, add again updates the description (exit 0 both); the list is in key order', async () => {
      const added = await run('add', 'contacts.read', '--description', 'Read contacts');
      assert.equal(added.code, 0, added.stderr);
      assert.equal(added.stdout, 'added  contacts.read  Read contacts\n');
      const again = await run('add', 'contacts.read', '--description', 'Read contacts and notes', '--json');
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(parsed(Permission, again.stdout), {
        key: 'contacts.read',
        description: 'Read contacts and notes',
        deprecated: false,
        builtIn: false,
      });
      assert.equal((await run('add', 'applications.read', '--description', 'Read applications')).code, 0);
      const keys = (await list()).map((p) => p.key);
      assert.deepEqual(
        keys.filter((k) => !k.startsWith('cli.')),
        ['applications.read', 'contacts.read', 'core.core.files_download', 'tokens.self_rotate'],
      );
    });

    test('bad input exits 2 with a message naming what is wrong, and adds nothing', async () => {
      const before = await list();
      const cases: [string[], RegExp][] = [
        [['add', 'Contacts', '--description', 'x'], /"Contacts" is not a key.*\(key\)/],
        [['add', 'core.institutions.settings_api_tokens_change', '--description', 'x'], /reserved.*\(key\)/],
        [['add', 'cli.a.b.c.d.e', '--description', 'x'], /2 to 5 dot-separated segments/],
        [['add', 'cli.blank', '--description', '  '], /description is required \(description\)/],
        [['add', 'cli.long', '--description', 'x'.repeat(201)], /at most 200 characters \(description\)/],
        [['add', 'cli.nodescription'], /required option '--description <text>'/],
        [['deprecate', 'Nope'], /is not a key.*\(key\)/],
        [['deprecate'], /missing required argument 'key'/],
      ];
      for (const [i, [args, message]] of cases.entries()) {
        const refused = await (i === 0 ? child : run)(...args);
        assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
        assert.match(refused.stderr, message);
        assert.equal(refused.stdout, '');
      }
      assert.deepEqual(await list(), before);
    });

    test('deprecate and undeprecate flip the flag; again changes nothing; an unknown key exits 1', async () => {
      assert.equal((await run('add', 'cli.reports', '--description', 'Reports')).code, 0);
      const deprecated = await run('deprecate', 'cli.reports');
      assert.equal(deprecated.code, 0, deprecated.stderr);
      assert.equal(deprecated.stdout, 'deprecated  cli.reports  Reports  (deprecated)\n');
      const again = await run('deprecate', 'cli.reports');
      assert.equal(again.stdout, 'was already deprecated  cli.reports  Reports  (deprecated)\n');
      assert.ok((await list()).some((p) => p.key === 'cli.reports' && p.deprecated));
      const back = await run('undeprecate', 'cli.reports', '--json');
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(parsed(Permission, back.stdout), {
        key: 'cli.reports',
        description: 'Reports',
        deprecated: false,
        builtIn: false,
      });
      const unknown = await run('deprecate', 'cli.unknown');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /there is no permission "cli.unknown" in the catalogue/);
    });
  });
}
