// main.ts's steps composed by hand, as the bench composes its server: a route in a scope of its own with
// tokenRoutesHook answers with the token routes' headers and institution, and leaving the change
// listener out (the bench's cache-lifetime run) removes its readiness check, with no option in tokend.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { loadConfig } from './config.js';
import { buildApp, tokenRoutesHook } from './http/app.js';
import { appDeps, changeListener, openParts, serveApp } from './main.js';
import { jsonOf } from './test-support/cli.js';
import { databaseKinds, freshDb } from './test-support/harness.js';
import { createToken, login } from './test-support/live-server.js';

const ADMIN = { email: 'admin@example.test', password: 'admin-password-123' };

async function compose(databaseUrl: string | undefined, listen: boolean) {
  const config = loadConfig({
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    TOKEND_DATA_DIR: mkdtempSync(join(tmpdir(), 'tokend-compose-')),
    TOKEND_ADMIN_EMAIL: ADMIN.email,
    TOKEND_ADMIN_PASSWORD: ADMIN.password,
    TOKEND_REMINDER_INTERVAL: '0',
    HOST: '127.0.0.1',
    PORT: '0',
  });
  const parts = await openParts(config, { logger: pino({ level: 'silent' }) });
  const listener = listen ? changeListener(parts) : null;
  const deps = appDeps(parts, listener);
  const app = await buildApp(deps);
  await app.register((scope, _options, done) => {
    scope.addHook('onRequest', tokenRoutesHook(deps));
    scope.get('/apis/v1/composed', (request) => ({ institution: request.institution.slug }));
    done();
  });
  return serveApp(parts, app, listener);
}

// The readiness answer: which checks it holds (the listener's only when there is a listener).
const Ready = Type.Object({ checks: Type.Record(Type.String(), Type.Boolean()) });

// Headers that differ per response whatever the route.
const VARYING = new Set(['date', 'content-length', 'keep-alive', 'connection', 'www-authenticate']);
const headersOf = (res: Response) =>
  Object.fromEntries([...res.headers].filter(([name]) => !VARYING.has(name) && !name.startsWith('ff-auth')));

for (const kind of databaseKinds()) {
  describe(`a server composed from main.ts's steps (${kind})`, () => {
    test('a route beside the token routes has their headers and institution; no listener, no listener check', async () => {
      const db = kind === 'postgres' ? await freshDb('postgres') : null;
      const url = db ? (db as unknown as { url: string }).url : undefined;
      const running = await compose(url, false);
      try {
        const staff = await login(running.url, ADMIN.email, ADMIN.password);
        const { secret } = await createToken(staff);
        const auth = { authorization: `Bearer ${secret}` };
        const token = await fetch(`${running.url}/apis/v1/token`, { headers: auth });
        const composed = await fetch(`${running.url}/apis/v1/composed`, { headers: auth });
        assert.equal(token.status, 200);
        assert.equal(composed.status, 200);
        assert.deepEqual(await composed.json(), { institution: 'default' });
        assert.deepEqual(headersOf(composed), headersOf(token));
        assert.equal(composed.headers.get('access-control-allow-origin'), '*');
        const ready = jsonOf(Ready, await (await fetch(`${running.url}/readyz`)).text());
        assert.equal('listener' in ready.checks, false, JSON.stringify(ready));
      } finally {
        await running.stop();
        await db?.close();
      }
      if (kind !== 'postgres') return;
      // With the listener, as `tokend serve` runs on PostgreSQL: readiness reports it.
      const withListener = await freshDb('postgres');
      const listening = await compose((withListener as unknown as { url: string }).url, true);
      try {
        const ready = jsonOf(Ready, await (await fetch(`${listening.url}/readyz`)).text());
        assert.equal(typeof ready.checks.listener, 'boolean', JSON.stringify(ready));
      } finally {
        await listening.stop();
        await withListener.close();
      }
    });
  });
}
