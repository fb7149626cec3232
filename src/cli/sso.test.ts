// `tokend institutions update` with SSO (SPEC 11) and `tokend users create`'s break-glass accounts, as
// an operator runs them, on both databases: the client secret read from standard input and never
// printed, the flags all-or-nothing, an http:// issuer refused with its field, `--no-oidc` and the
// password-login switch; a CLI-made administrator is break-glass, a CLI-made staff member is not.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../setup.js';
import { jsonOf, tokend } from '../test-support/cli.js';
import { databaseKinds, freshDb } from '../test-support/harness.js';

const Shown = Type.Object({
  slug: Type.String(),
  sso: Type.Union([
    Type.Object({
      issuer: Type.String(),
      clientId: Type.String(),
      groupsClaim: Type.String(),
      adminGroup: Type.String(),
      staffGroup: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  passwordLogin: Type.Boolean(),
});

const SECRET = 'cli-test-client-secret-9f8e7d6c5b4a';

for (const kind of databaseKinds()) {
  describe(`tokend institutions: SSO, and break-glass users (${kind})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokend-sso-cli-'));
    const env: Record<string, string> = { TOKEND_DATA_DIR: dir, TOKEND_ADMIN_PASSWORD: 'pw-123456789' };
    let close = async () => {};
    const run = (args: string[], stdin?: string) => tokend(args, env, stdin);
    const sso = [
      '--oidc-issuer',
      'https://login.uni.example',
      '--oidc-client-id',
      'tokend-client',
      '--oidc-client-secret-stdin',
      '--oidc-admin-group',
      'tokend-admins',
    ];

    before(async () => {
      if (kind === 'postgres') {
        const fresh = await freshDb('postgres');
        if (!fresh.url) throw new Error('a PostgreSQL test database has a url');
        env.DATABASE_URL = fresh.url;
        close = () => fresh.close();
      }
    });
    after(async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('SSO is set with the secret from stdin, shown without it, and removed with --no-oidc', async () => {
      const set = await run(
        [
          'institutions',
          'update',
          'default',
          ...sso,
          '--oidc-staff-group',
          'tokend-staff',
          '--no-password-login',
          '--json',
        ],
        `${SECRET}\n`,
      );
      assert.equal(set.code, 0, set.stderr);
      const shown = jsonOf(Shown, set.stdout);
      assert.deepEqual(shown.sso, {
        issuer: 'https://login.uni.example',
        clientId: 'tokend-client',
        groupsClaim: 'groups',
        adminGroup: 'tokend-admins',
        staffGroup: 'tokend-staff',
      });
      assert.equal(shown.passwordLogin, false);
      const text = await run(['institutions', 'list']);
      assert.match(
        text.stdout,
        /sso: +https:\/\/login\.uni\.example \(client tokend-client; groups: admin tokend-admins, staff tokend-staff\)/,
      );
      assert.match(text.stdout, /login: +password only for break-glass administrators/);
      for (const out of [set.stdout, set.stderr, text.stdout, text.stderr]) assert.ok(!out.includes(SECRET));

      const reopened = await run(['institutions', 'update', 'default', '--password-login', '--json']);
      assert.equal(jsonOf(Shown, reopened.stdout).passwordLogin, true);
      assert.ok(jsonOf(Shown, reopened.stdout).sso, 'other flags leave SSO as it is');
      const removed = await run(['institutions', 'update', 'default', '--no-oidc', '--json']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(jsonOf(Shown, removed.stdout).sso, null);
    });

    test('SSO flags come together, the issuer is https://, and the secret is not empty', async () => {
      const partial = await run([
        'institutions',
        'update',
        'default',
        '--oidc-issuer',
        'https://login.uni.example',
      ]);
      assert.equal(partial.code, 2);
      assert.match(partial.stderr, /--oidc-client-id/);
      const plain = await run(
        [
          'institutions',
          'update',
          'default',
          ...sso.map((a) => (a.startsWith('https:') ? 'http://login.uni.example' : a)),
        ],
        SECRET,
      );
      assert.equal(plain.code, 2, plain.stdout);
      assert.match(plain.stderr, /oidcIssuer/);
      const empty = await run(['institutions', 'update', 'default', ...sso], '');
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /read nothing/);
      const listed = await run(['institutions', 'list', '--json']);
      assert.equal(jsonOf(Type.Array(Shown), listed.stdout)[0]?.sso, null, 'nothing was set');
    });

    test('a CLI-made administrator is break-glass; a CLI-made staff member is not', async () => {
      for (const [role, email] of [
        ['admin', 'ops@uni.example'],
        ['staff', 'helper@uni.example'],
      ] as const) {
        const made = await run(
          ['users', 'create', '--email', email, '--name', role, '--role', role, '--password-stdin'],
          'a-password-of-some-length',
        );
        assert.equal(made.code, 0, made.stderr);
      }
      const opened = await openDatabase(loadConfig({ ...process.env, ...env }), systemClock, 'cli');
      try {
        const rows = await opened.db.query<{ email: string; break_glass: boolean }>(
          'SELECT email, break_glass FROM users ORDER BY email',
        );
        assert.deepEqual(
          rows.map((r) => [r.email, r.break_glass]),
          [
            ['admin@localhost', true],
            ['helper@uni.example', false],
            ['ops@uni.example', true],
          ],
        );
      } finally {
        await opened.close();
      }
    });
  });
}
