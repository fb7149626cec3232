// Secrets never reach a log line: every line of a full scenario (login, create, use through each
// carrier, failed use, rotate, suspend), logged at trace through tokend's own logger, and the CLI's
// stderr at debug, are searched for the secret, its hash, the session cookie and the CSRF token.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../log.js';
import { body, CreatedSchema, errorOf, parsed } from '../../test-support/answers.js';
import { tokend } from '../../test-support/cli.js';
import { createEnv, databaseKinds, type Env, PASSWORD, said, typoOf } from '../../test-support/harness.js';
import { hashToken } from '../../tokens/token.js';
import { upload } from '../../test-support/security-fixtures.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every form in which a secret could leak: as sent, its stored hash, its secret part alone. */
function forms(secrets: string[]): string[] {
  return secrets.flatMap((s) => [s, hashToken(s), sha256(s), s.slice(-49, -6), encodeURIComponent(s)]);
}

function assertClean(text: string, secrets: string[], where: string) {
  for (const form of forms(secrets)) {
    assert.ok(!text.includes(form), `${where} contains ${form.slice(0, 12)}…:\n${text.slice(0, 2000)}`);
  }
}

for (const kind of databaseKinds()) {
  describe(`no secret in the logs (${kind})`, () => {
    const lines: string[] = [];
    let env: Env;
    before(async () => {
      const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
      env = await createEnv(kind, {}, { logger });
    });
    after(() => env.close());

    test('a full scenario logged at trace carries no secret, hash, cookie or CSRF token', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const created = await admin.createToken({ name: 'Logged integration', expiresInDays: 30 });
      const { secret, token } = created;
      const file = await upload(t);
      const url = `/apis/v1/files/${file.id}/download`;
      for (const headers of [
        { FF_AUTH: secret },
        { 'FF-Auth': secret },
        { authorization: `Bearer ${secret}` },
      ]) {
        assert.equal((await t.request({ method: 'GET', url, headers })).statusCode, 200);
      }
      const byQuery = await t.request({ method: 'GET', url: `${url}?token=${secret}` });
      assert.equal(byQuery.statusCode, 200, said(byQuery));
      const typo = typoOf(secret);
      for (const bad of [typo, secret.slice(0, 30), 'not-a-token'])
        assert.equal((await t.request({ method: 'GET', url: `${url}?token=${bad}` })).statusCode, 401);
      const forwarded = await t.request({
        method: 'GET',
        url: '/apis/v1/auth',
        headers: { 'x-original-uri': `/apis/v1/contacts?token=${typo}` },
      });
      assert.equal(forwarded.statusCode, 401, said(forwarded));
      const rotated = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/rotate`,
        payload: { graceSeconds: 60 },
      });
      assert.equal(rotated.statusCode, 200, said(rotated));
      const newSecret = body(rotated, CreatedSchema).secret;
      const suspended = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/suspend`,
      });
      assert.equal(suspended.statusCode, 200, said(suspended));
      const refused = await t.request({ method: 'GET', url, headers: { FF_AUTH: newSecret } });
      assert.equal(errorOf(refused), 'token_suspended', said(refused));
      await env.services.usage.flush();
      await admin.request({ method: 'DELETE', url: '/apis/v1/session' });

      const cookie = admin.cookie.replace(/^tokend_session=/, '');
      const log = lines.join('');
      assert.ok(lines.length > 20 && log.includes('token=[REDACTED]'), `too little was logged:\n${log}`);
      assertClean(log, [secret, newSecret, typo], 'the log');
      for (const value of [cookie, sha256(cookie), admin.csrf, PASSWORD])
        assert.ok(
          !log.includes(value),
          `the log contains a session secret: ${value.slice(0, 8)}…\n${lines.filter((l) => l.includes(value)).join('')}`,
        );
    });
  });
}

describe('no secret in the CLI log', () => {
  test('tokens create, show, rotate and list at TOKEND_LOG_LEVEL=debug print the secret only on stdout', async () => {
    const env = {
      TOKEND_DATA_DIR: mkdtempSync(join(tmpdir(), 'tokend-log-')),
      TOKEND_ADMIN_EMAIL: 'admin@example.test',
      TOKEND_ADMIN_PASSWORD: 'admin-password-123',
      TOKEND_LOG_LEVEL: 'debug',
    };
    const run = (...args: string[]) => tokend(args, env);
    const created = await run('tokens', 'create', '--name', 'CLI', '--by', 'admin@example.test', '--json');
    assert.equal(created.code, 0, created.stderr);
    const { token, secret } = parsed(created.stdout, CreatedSchema, 'tokens create --json');
    const rotated = await run('tokens', 'rotate', token.id, '--by', 'admin@example.test', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const newSecret = parsed(rotated.stdout, CreatedSchema, 'tokens rotate --json').secret;
    const others = [await run('tokens', 'show', token.id), await run('tokens', 'list', '--json')];
    const stderr = [created, rotated, ...others].map((r) => r.stderr).join('\n');
    assertClean(stderr, [secret, newSecret], 'the CLI stderr');
    assertClean(others.map((r) => r.stdout).join('\n'), [secret, newSecret], 'show and list');
  });
});
