// The `tokend` command as a shell user runs it: JSON output that is exactly the API's, exit codes,
// institutions and users, and the embedded database refusing a second process. Most commands run in
// this process through the CLI's entry (`run`, the same parsing, output and exit codes); each command
// group has a real child process too, and the first start, stdin and the lock are a child's.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from './config.js';
import { startServer } from './main.js';
import { Printed, jsonOf, tokend, tokendInProcess } from './test-support/cli.js';

const { Token, Created, Page, Institution, Institutions, CreatedUser } = Printed;

describe('tokend CLI on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokend-cli-'));
  const env = {
    TOKEND_DATA_DIR: dir,
    TOKEND_ADMIN_EMAIL: 'admin@example.test',
    TOKEND_ADMIN_PASSWORD: 'admin-password-123',
  };
  const run = (...args: string[]) => tokendInProcess(args, env);
  const child = (...args: string[]) => tokend(args, env);

  before(async () => {
    const first = await child('migrate');
    assert.equal(first.code, 0, first.stderr);
  });

  test('tokens create --json prints {token, secret}; show, list, suspend and revoke follow', async () => {
    const created = await child(
      'tokens',
      'create',
      '--name',
      'HubSpot integration',
      '--expires-in-days',
      '30',
      '--by',
      'admin@example.test',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const { token, secret } = jsonOf(Created, created.stdout);
    assert.match(secret, /^sk-hubspot-integration-/);
    assert.equal(token.createdBy?.email, 'admin@example.test');
    const shown = await run('tokens', 'show', token.id, '--json');
    assert.deepEqual(jsonOf(Token, shown.stdout), token);
    const listed = await run('tokens', 'list', '--json');
    assert.ok(jsonOf(Page, listed.stdout).items.some((t) => t.id === token.id));
    const revokeActive = await run('tokens', 'revoke', token.id, '--by', 'admin@example.test');
    assert.equal(revokeActive.code, 1);
    assert.match(revokeActive.stderr, /cannot revoke a token that is active/);
    const suspended = await run(
      'tokens',
      'suspend',
      token.id,
      '--by',
      'admin@example.test',
      '--reason',
      'rotating keys',
      '--json',
    );
    assert.equal(jsonOf(Token, suspended.stdout).stateReason, 'rotating keys');
    const human = await run('tokens', 'revoke', token.id, '--by', 'admin@example.test');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /state:\s+revoked/);
    assert.ok(!human.stdout.includes(secret));
  });

  test('tokens rotate and renew print the new secret once and the new expiry', async () => {
    const by = ['--by', 'admin@example.test'];
    const { token, secret } = jsonOf(
      Created,
      (await run('tokens', 'create', '--name', 'Reports', ...by, '--json')).stdout,
    );
    const rotated = await run('tokens', 'rotate', token.id, '--grace', '1h', ...by, '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const body = jsonOf(Created, rotated.stdout);
    assert.match(body.secret, /^sk-reports-/);
    assert.notEqual(body.secret, secret);
    assert.ok(body.token.previousSecretValidUntil);
    const badGrace = await run('tokens', 'rotate', token.id, '--grace', 'forever', ...by);
    assert.equal(badGrace.code, 2);
    const renewed = await run('tokens', 'renew', token.id, '--expires-in-days', '90', ...by, '--json');
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.ok(jsonOf(Token, renewed.stdout).expiresAt);
    const human = await run('tokens', 'rotate', token.id, ...by);
    assert.match(human.stdout, /previous secret no longer works/);
  });

  test('bad input exits 2 with a message naming what is wrong', async () => {
    const bad = await run(
      'tokens',
      'create',
      '--name',
      'x',
      '--expires-in-days',
      '31',
      '--by',
      'admin@example.test',
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expiresInDays must be 30, 90 or 365/);
    // A count is digits only: what Number() would also take (3e1, 0x1e) is refused before the database opens.
    const notDays = await child('tokens', 'create', '--expires-in-days', '3e1');
    assert.equal(notDays.code, 2);
    assert.match(notDays.stderr, /^error: --expires-in-days must be a whole number, not "3e1"$/m);
    const notLimit = await run('tokens', 'list', '--limit', 'ten');
    assert.equal(notLimit.code, 2);
    assert.match(notLimit.stderr, /^error: --limit must be a whole number, not "ten"$/m);
    const nobody = await run('tokens', 'create', '--name', 'x', '--by', 'ghost@example.test');
    assert.equal(nobody.code, 2);
    assert.match(nobody.stderr, /no user ghost@example.test/);
    const badId = await run('tokens', 'show', 'not-an-id');
    assert.equal(badId.code, 2, badId.stderr);
    const missing = await run('tokens', 'create', '--by', 'admin@example.test');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--name/);
    // The API's text rules hold on the command line too: an escape sequence or a bidi override is refused.
    const escape = await run('tokens', 'create', '--name', 'x\u001b[2J', '--by', 'admin@example.test');
    assert.equal(escape.code, 2, escape.stderr);
    assert.match(escape.stderr, /name holds a character that is not allowed/);
    const bidi = await run('tokens', 'create', '--name', 'invoice\u202efdp', '--by', 'admin@example.test');
    assert.equal(bidi.code, 2, bidi.stderr);
  });

  test('institutions: a second needs every institution to have a hostname; users take --institution', async () => {
    const list = jsonOf(Institutions, (await child('institutions', 'list', '--json')).stdout);
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]?.hostnames, ['localhost']);
    const hostless = await run('institutions', 'create', '--slug', 'acme', '--name', 'Acme');
    assert.equal(hostless.code, 2);
    const acme = await run(
      'institutions',
      'create',
      '--slug',
      'acme',
      '--name',
      'Acme',
      '--host',
      'Acme.Example.test:8443',
      '--notify',
      'ops@acme.test',
      '--require-expiry',
      '--json',
    );
    assert.equal(acme.code, 0, acme.stderr);
    assert.deepEqual(jsonOf(Institution, acme.stdout).hostnames, ['acme.example.test']);
    const updated = await run(
      'institutions',
      'update',
      'acme',
      '--add-host',
      'api.acme.test',
      '--max-lifetime-days',
      '90',
      '--json',
    );
    assert.deepEqual(jsonOf(Institution, updated.stdout).hostnames, ['acme.example.test', 'api.acme.test']);
    const ambiguous = await run('tokens', 'list');
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /--institution/);
    const user = await tokend(
      [
        'users',
        'create',
        '--email',
        'ops@acme.test',
        '--name',
        'Ops',
        '--role',
        'staff',
        '--feature',
        'core.institutions.settings_api_tokens_change',
        '--institution',
        'acme',
        '--password-stdin',
        '--json',
      ],
      env,
      'a long enough password\n',
    );
    assert.equal(user.code, 0, user.stderr);
    assert.equal(jsonOf(CreatedUser, user.stdout).institution.slug, 'acme');
    const noExpiry = await run(
      'tokens',
      'create',
      '--institution',
      'acme',
      '--name',
      'x',
      '--by',
      'ops@acme.test',
    );
    assert.equal(noExpiry.code, 2);
    assert.match(noExpiry.stderr, /requires tokens to expire/);
    const tooLong = await run(
      'tokens',
      'create',
      '--institution',
      'acme',
      '--name',
      'x',
      '--expires-in-days',
      '365',
      '--by',
      'ops@acme.test',
    );
    assert.match(tooLong.stderr, /at most 90 days/);
  });

  test('a command refuses while a server holds the folder, and clears a stale lock', async () => {
    const config = { ...loadConfig({ ...env, PORT: '0' }) };
    const server = await startServer(config, { logger: pino({ level: 'silent' }) });
    try {
      const refused = await child('tokens', 'list', '--institution', 'default');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /stop the server or use the page\/API/);
    } finally {
      await server.stop();
    }
    writeFileSync(join(dir, 'tokend.lock'), JSON.stringify({ pid: 999_999, role: 'server', since: 'then' }));
    const cleared = await child('tokens', 'list', '--institution', 'default');
    assert.equal(cleared.code, 0, cleared.stderr);
  });

  after(() => {});
});
