// `tokend tokens create|update|list` with permissions and allowed addresses, and the institution policy
// `--require-allowed-ips`, as an operator runs them: the real command in a child process, on the embedded
// database and (with TEST_DATABASE_URL) on PostgreSQL. --json prints the API's Token; a refusal prints
// the field at fault and exits 2 (bad input) or 1 (a state that does not allow it).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { Db } from '../db/db.js';
import { CreatedSchema, TokenPage, TokenSchema } from '../test-support/answers.js';
import { jsonOf, tokendInProcess } from '../test-support/cli.js';
import { databaseKinds, freshDb, migratedDataDir } from '../test-support/harness.js';

const ADMIN = 'admin@example.test';
const DEFAULT = 'core.core.files_download';
const Institution = Type.Object({ slug: Type.String(), requireAllowedIps: Type.Boolean() });

for (const kind of databaseKinds()) {
  describe(`tokend tokens update and permissions (${kind})`, () => {
    const env: Record<string, string> = {
      TOKEND_ADMIN_EMAIL: ADMIN,
      TOKEND_ADMIN_PASSWORD: 'admin-password-123',
    };
    let db: Db | null = null;
    let dir: string | null = null;
    // In this process: src/cli.test.ts runs the commands as child processes.
    const run = (...args: string[]) => tokendInProcess(args, env);
    /** A command that must succeed; its stdout. */
    const ok = async (...args: string[]) => {
      const r = await run(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    /** A command that must fail with this exit code, naming `field` on stderr; nothing on stdout. */
    const refused = async (code: number, pattern: RegExp, ...args: string[]) => {
      const r = await run(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    };
    const create = async (...args: string[]) =>
      jsonOf(CreatedSchema, await ok('tokens', 'create', '--by', ADMIN, '--json', ...args)).token;
    const update = async (id: string, ...args: string[]) =>
      jsonOf(TokenSchema, await ok('tokens', 'update', id, '--by', ADMIN, '--json', ...args));

    before(async () => {
      if (kind === 'postgres') {
        db = await freshDb(kind);
        env.DATABASE_URL = 'url' in db && typeof db.url === 'string' ? db.url : '';
      } else {
        dir = await migratedDataDir('tokend-tokens-update-');
        env.TOKEND_DATA_DIR = dir;
      }
      for (const key of ['contacts.read', 'applications.read'])
        await ok('permissions', 'add', key, '--description', `The ${key} permission`);
    });
    after(async () => {
      await db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('create takes --permission and --allow-ip (repeatable), stored in key order and canonical form', async () => {
      const token = await create(
        '--name',
        'Reporting',
        '--permission',
        'contacts.read',
        '--permission',
        'applications.read',
        '--allow-ip',
        '198.51.100.7/24',
        '--allow-ip',
        '2001:DB8::1',
      );
      assert.deepEqual(token.permissions, ['applications.read', 'contacts.read']);
      assert.deepEqual(token.allowedIps, ['198.51.100.0/24', '2001:db8::1/128']);
      const human = await ok('tokens', 'show', token.id);
      assert.match(human, /^ {2}permissions: applications\.read, contacts\.read$/m);
      assert.match(human, /^ {2}addresses: {3}198\.51\.100\.0\/24, 2001:db8::1\/128$/m);
    });

    test('update changes each field; --permission replaces the set, --no-allow-ip clears the rule', async () => {
      const { id } = await create('--name', 'Before', '--permission', 'contacts.read');
      const edited = await update(
        id,
        '--name',
        'After',
        '--description',
        'nightly',
        '--issued-for',
        'CRM',
        '--permission',
        'applications.read',
        '--permission',
        DEFAULT,
        '--allow-ip',
        '10.1.2.3/16',
        '--allow-ip',
        '192.0.2.9',
      );
      assert.deepEqual(
        {
          name: edited.name,
          description: edited.description,
          issuedFor: edited.issuedFor,
          permissions: edited.permissions,
          allowedIps: edited.allowedIps,
        },
        {
          name: 'After',
          description: 'nightly',
          issuedFor: 'CRM',
          permissions: ['applications.read', DEFAULT],
          allowedIps: ['10.1.0.0/16', '192.0.2.9/32'],
        },
      );
      const cleared = await update(id, '--description', '', '--issued-for', '', '--no-allow-ip');
      assert.deepEqual(
        [cleared.description, cleared.issuedFor, cleared.allowedIps, cleared.permissions],
        [null, null, [], edited.permissions],
      );
    });

    test('bad input names its field and exits 2; a revoked token exits 1; nothing changes', async () => {
      const { id } = await create('--name', 'Guarded', '--permission', 'contacts.read');
      const base = ['tokens', 'update', id, '--by', ADMIN];
      const make = ['tokens', 'create', '--name', 'x', '--by', ADMIN];
      await refused(2, /not in the catalogue \(permissions\)/, ...base, '--permission', 'nope.nope');
      await refused(2, /\(allowedIps\)/, ...base, '--name', 'Fine', '--allow-ip', '0.0.0.0/0');
      await refused(2, /at least one field/, ...base);
      await refused(2, /\(permissions\)/, ...make, '--permission', 'nope.nope');
      await refused(2, /\(allowedIps\)/, ...make, '--allow-ip', 'fe80::1%eth0');
      const shown = jsonOf(TokenSchema, await ok('tokens', 'show', id, '--json'));
      assert.deepEqual([shown.name, shown.permissions, shown.allowedIps], ['Guarded', ['contacts.read'], []]);
      await ok('tokens', 'suspend', id, '--by', ADMIN);
      await ok('tokens', 'revoke', id, '--by', ADMIN);
      await refused(1, /cannot edit a token that is revoked/, ...base, '--name', 'Too late');
    });

    test('list --permission (repeatable) shows the tokens holding any of them', async () => {
      const contacts = await create('--name', 'Contacts only', '--permission', 'contacts.read');
      const apps = await create('--name', 'Apps only', '--permission', 'applications.read');
      const list = async (...keys: string[]) =>
        jsonOf(
          TokenPage,
          await ok('tokens', 'list', '--json', '--limit', '100', ...keys.flatMap((k) => ['--permission', k])),
        ).items.map((t) => t.id);
      const onlyContacts = await list('contacts.read');
      assert.ok(onlyContacts.includes(contacts.id));
      assert.ok(!onlyContacts.includes(apps.id));
      const either = await list('contacts.read', 'applications.read');
      assert.ok(either.includes(contacts.id) && either.includes(apps.id));
    });

    test('institutions update --require-allowed-ips: shown in list and --json; create needs --allow-ip', async () => {
      const { id } = await create('--name', 'Made before the policy');
      const on = jsonOf(
        Institution,
        await ok('institutions', 'update', 'default', '--require-allowed-ips', '--json'),
      );
      assert.deepEqual(on, { ...on, slug: 'default', requireAllowedIps: true });
      assert.match(await ok('institutions', 'list'), /allowed addresses required/);
      await refused(2, /\(allowedIps\)/, 'tokens', 'create', '--name', 'No rule', '--by', ADMIN);
      const ruled = await create('--name', 'Ruled', '--allow-ip', '10.0.0.0/8');
      assert.deepEqual(ruled.allowedIps, ['10.0.0.0/8']);
      await refused(2, /\(allowedIps\)/, 'tokens', 'update', ruled.id, '--no-allow-ip', '--by', ADMIN);
      assert.equal((await update(id, '--name', 'Renamed under the policy')).name, 'Renamed under the policy');
      await ok('institutions', 'update', 'default', '--no-require-allowed-ips');
      const listed = jsonOf(Type.Array(Institution), await ok('institutions', 'list', '--json'));
      assert.equal(listed.find((i) => i.slug === 'default')?.requireAllowedIps, false);
    });
  });
}
