// The README's gateway configurations, run as a user would paste them: Debian's nginx, Caddy and HAProxy
// (with the README's Lua action) in front of a listening tokend and a small upstream that records what
// reaches it. Only addresses, ports, file paths and the host name are changed. Skips (does not fail) when
// a gateway binary is not installed: scripts/install-test-deps.sh installs them.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { openPostgres } from '../db/db.js';
import { buildServices } from '../services.js';
import { errorOf } from '../test-support/answers.js';
import { gatewayBinary, type Gateway, readmeBlock, startGateway } from '../test-support/gateway.js';
import { createEnv, databaseKinds, type Env, type Tenant, typoOf } from '../test-support/harness.js';
import { freePort } from '../test-support/live-server.js';
import { buildApp } from './app.js';
import { memoryLimiter } from './rate-limit.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** The platform's API: answers 200 and remembers every request that reached it. */
async function platform() {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    res.end('{"platform":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { seen, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** tokend as the gateway reaches it: a listening instance that trusts the gateway on 127.0.0.1. */
async function listening(env: Env, db = env.db, services = env.services) {
  const config = { ...env.config, trustProxy: ['127.0.0.1'], authFailureLimit: 5 };
  const own = services === env.services ? services : buildServices(config, db, env.clock);
  const app = await buildApp({
    config,
    services: own,
    logger: pino({ level: 'silent' }),
    limiter: memoryLimiter(config.failureWindowMs),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

const KINDS = ['nginx', 'caddy', 'haproxy'] as const;

for (const kind of databaseKinds()) {
  for (const gateway of KINDS) {
    const missing = gatewayBinary(gateway)
      ? false
      : `${gateway} is not installed (scripts/install-test-deps.sh)`;
    describe(`the README's ${gateway} configuration in front of tokend (${kind})`, { skip: missing }, () => {
      let env: Env;
      let t: Tenant;
      let upstream: Awaited<ReturnType<typeof platform>>;
      let tokend: Awaited<ReturnType<typeof listening>>;
      let unreachable: Awaited<ReturnType<typeof listening>>;
      let gw: Gateway;
      let gwDown: Gateway;
      before(async () => {
        env = await createEnv(kind, { authFailureLimit: 1000 });
        t = await env.tenant();
        upstream = await platform();
        tokend = await listening(env);
        // A tokend whose database is a closed port: its checks fail closed with 503 unavailable.
        const nowhere = openPostgres(`postgres://postgres@127.0.0.1:${await freePort()}/none`);
        unreachable = await listening(env, nowhere, buildServices(env.config, nowhere, env.clock));
        gw = await startGateway(gateway, { host: t.host, tokend: tokend.port, platform: upstream.port });
        gwDown = await startGateway(gateway, {
          host: t.host,
          tokend: unreachable.port,
          platform: upstream.port,
        });
      });
      after(async () => {
        await gw?.stop();
        await gwDown?.stop();
        await tokend?.close();
        await unreachable?.close();
        await upstream?.close();
        await env?.close();
      });

      test('every carrier passes; the platform gets the identity, never the secret', async () => {
        const { secret, token } = await (
          await t.adminAgent()
        ).createToken({ name: 'CRM', expiresInDays: 30 });
        const carriers: [string, Record<string, string>][] = [
          ['/apis/v2/contacts?page=2', { FF_AUTH: secret }],
          ['/apis/v2/contacts?page=2', { 'FF-Auth': secret }],
          ['/apis/v2/contacts?page=2', { authorization: `Bearer ${secret}` }],
          [`/apis/v2/contacts?page=2&token=${secret}&sort=name`, {}],
          [`/apis/v2/contacts?token=${secret}`, {}],
        ];
        for (const [path, headers] of carriers) {
          const before = upstream.seen.length;
          const res = await gw.request(path, { headers: { ...headers, 'x-tokend-token-id': 'forged' } });
          const what = `${path} ${Object.keys(headers).join()}: ${res.status} ${res.body}`;
          assert.equal(res.status, 200, what);
          assert.equal(res.body, '{"platform":true}', what);
          assert.equal(res.headers['ff-auth-token-valid-until'], token.expiresAt, what);
          assert.equal(res.headers['access-control-allow-origin'], '*', what);
          assert.match(String(res.headers['access-control-expose-headers']), /FF-Auth-Token-Valid-Until/);
          assert.equal(upstream.seen.length, before + 1, what);
          const seen = upstream.seen.at(-1);
          assert.ok(seen, what);
          assert.ok(
            !JSON.stringify(seen).includes(secret.slice(10)),
            `the secret reached the platform: ${what}`,
          );
          for (const name of ['ff_auth', 'ff-auth', 'authorization'])
            assert.equal(seen.headers[name], undefined);
          assert.equal(seen.headers['x-tokend-token-id'], token.id, what);
          assert.equal(seen.headers['x-tokend-institution'], t.institution.slug, what);
          assert.equal(seen.headers['x-tokend-permissions'], 'core.core.files_download', what);
          assert.match(seen.url, /^\/apis\/v2\/contacts/);
          if (path.includes('page=2')) assert.match(seen.url, /page=2/, what);
        }
        const forever = await (await t.adminAgent()).createToken({ name: 'No expiry' });
        const res = await gw.request('/apis/v2/contacts', { headers: { FF_AUTH: forever.secret } });
        assert.equal(res.status, 200, res.body);
        assert.equal(res.headers['ff-auth-token-valid-until'], undefined, 'no expiry, no valid-until');
      });

      test('a CORS preflight is answered without a token, as tokend answers its own', async () => {
        const before = upstream.seen.length;
        const res = await gw.request('/apis/v2/contacts', {
          method: 'OPTIONS',
          headers: {
            origin: 'https://app.example',
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'ff_auth',
          },
        });
        assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${res.body}`);
        assert.equal(res.headers['access-control-allow-origin'], '*');
        assert.match(String(res.headers['access-control-allow-headers']), /FF_AUTH/);
        assert.equal(upstream.seen.length, before, 'the preflight is not the platform’s to answer');
      });

      test('refusals reach the client with tokend’s status and code; a suspension at once', async () => {
        const admin = await t.adminAgent();
        const { secret, token } = await admin.createToken();
        // A client's own X-Original-URI never stands in for the URL's token.
        const smuggled = await gw.request(`/apis/v2/x?token=${typoOf(secret)}`, {
          headers: { 'x-original-uri': `/x?token=${secret}`, 'x-forwarded-uri': `/x?token=${secret}` },
        });
        assert.ok([400, 401].includes(smuggled.status), `${smuggled.status} ${smuggled.body}`);
        const missing = await gw.request('/apis/v2/contacts');
        assert.equal(missing.status, 401, missing.body);
        assert.equal(missing.headers['x-tokend-error'], 'missing_token');
        assert.match(String(missing.headers['www-authenticate']), /^Bearer realm="tokend"/);
        assert.equal(errorOf(missing), 'missing_token');
        assert.equal((await gw.request('/apis/v2/x', { headers: { FF_AUTH: secret } })).status, 200);
        await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend` });
        const suspended = await gw.request('/apis/v2/x', { headers: { FF_AUTH: secret } });
        assert.equal(suspended.status, 401, suspended.body);
        assert.equal(suspended.headers['x-tokend-error'], 'token_suspended');
        assert.equal(errorOf(suspended), 'token_suspended');
        const down = await gwDown.request('/apis/v2/x', { headers: { FF_AUTH: typoOf(secret) } });
        assert.equal(down.status, 503, down.body);
        assert.equal(down.headers['x-tokend-error'], 'unavailable');
        assert.equal(errorOf(down), 'unavailable');
      });

      test('each route needs its permission; a network rule sees the client, not the gateway', async () => {
        for (const key of ['contacts.read', 'applications.read'])
          await env.services.permissions.add(key, `Read ${key.split('.')[0]}`);
        const admin = await t.adminAgent();
        const contacts = await admin.createToken({ permissions: ['contacts.read'] });
        const headers = { FF_AUTH: contacts.secret };
        const ok = await gw.request('/apis/v1/contacts/7', { headers });
        assert.equal(ok.status, 200, ok.body);
        assert.equal(upstream.seen.at(-1)?.headers['x-tokend-permissions'], 'contacts.read');
        // The route's permission stands, whatever the client says it needs.
        for (const own of [{}, { 'x-tokend-permission': 'contacts.read' }] as Record<string, string>[]) {
          const refused = await gw.request('/apis/v1/applications', { headers: { ...headers, ...own } });
          assert.equal(refused.status, 403, refused.body);
          assert.equal(refused.headers['x-tokend-error'], 'insufficient_permission');
        }
        const unlisted = await gw.request('/apis/v2/contacts', { headers });
        assert.equal(unlisted.status, 200, 'a route the gateway lists no permission for needs a valid token');

        const pinned = await admin.createToken({ allowedIps: ['127.0.0.2'] });
        const from2 = await gw.request('/apis/v2/x', {
          headers: { FF_AUTH: pinned.secret },
          from: '127.0.0.2',
        });
        assert.equal(from2.status, 200, from2.body);
        const from3 = await gw.request('/apis/v2/x', {
          headers: { FF_AUTH: pinned.secret },
          from: '127.0.0.3',
        });
        assert.equal(from3.status, 403, from3.body);
        assert.equal(from3.headers['x-tokend-error'], 'ip_not_allowed');
      });

      test('a limited client gets 429 with Retry-After through the gateway', async () => {
        const { secret } = await (await t.adminAgent()).createToken();
        let res = await gw.request('/apis/v2/x', { headers: { FF_AUTH: typoOf(secret) } });
        for (let i = 0; i < 8 && res.status !== 429; i++)
          res = await gw.request('/apis/v2/x', { headers: { FF_AUTH: typoOf(secret) } });
        assert.equal(res.status, 429, res.body);
        assert.equal(res.headers['x-tokend-error'], 'rate_limited');
        assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
        assert.equal(errorOf(res), 'rate_limited');
        const valid = await gw.request('/apis/v2/x', { headers: { FF_AUTH: secret } });
        assert.equal(valid.status, 200, 'a valid token still passes from a limited address');
      });
    });
  }
}

// Fails loudly if the README lost a block the test runs: that is the README's bug, not a skip.
test('the README holds the gateway configurations this test runs', () => {
  for (const language of ['nginx', 'caddyfile', 'lua', 'haproxy'])
    assert.match(readmeBlock(language), /127\.0\.0\.1:3000/);
});
