// The client address behind trusted proxies (issue 14): a proxy that writes `ip:port` or `[IPv6]:port`
// in X-Forwarded-For (Azure Application Gateway does) gives one client one counter, whatever its source
// port; RFC 7239 `Forwarded` from a trusted proxy is honoured for address, protocol and host, and never
// from anyone else. What users see: 401 then 429, the token's "last used from", the log's address.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { createLogger } from '../../log.js';
import { body, errorOf, TokenSchema } from '../../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../../test-support/harness.js';
import { buildApp } from '../app.js';
import { memoryLimiter } from '../rate-limit.js';

const PROXY = '10.0.0.7';

for (const kind of databaseKinds()) {
  describe(`client addresses behind a trusted proxy (${kind})`, () => {
    let env: Env;
    let t: Tenant;
    let secret: string;
    let tokenId: string;
    const lines: string[] = [];
    before(async () => {
      const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
      env = await createEnv(
        kind,
        { authFailureLimit: 3, loginFailureLimit: 2, trustProxy: [PROXY] },
        { logger },
      );
      t = await env.tenant();
      const created = await (await t.adminAgent()).createToken({ name: 'Behind a gateway' });
      secret = created.secret;
      tokenId = created.token.id;
    });
    after(() => env.close());

    const call = (headers: Record<string, string>, remoteAddress = PROXY) =>
      env.app.inject({
        method: 'GET',
        url: '/apis/v1/token',
        remoteAddress,
        headers: { host: t.host, ...headers },
      });
    const viaGateway = (client: string, token: string) =>
      call({ 'x-forwarded-proto': 'https', 'x-forwarded-for': client, FF_AUTH: token });
    const statuses = (answers: LightMyRequestResponse[]) => answers.map((a) => a.statusCode).join(',');

    test('ip:port and [IPv6]:port in X-Forwarded-For: each port is the same client', async () => {
      const v4: LightMyRequestResponse[] = [];
      for (const port of [40001, 40002, 40003, 40004, 40005])
        v4.push(await viaGateway(`198.51.100.40:${port}`, 'sk-wrong-guess'));
      assert.equal(statuses(v4), '401,401,401,429,429', 'the fourth failure is over the limit');
      const v6: LightMyRequestResponse[] = [];
      for (const client of ['[2001:db8:40::1]:1', '[2001:db8:40::2]:2', '2001:db8:40::3', '[2001:db8:40::4]'])
        v6.push(await viaGateway(client, 'sk-wrong-guess'));
      assert.equal(statuses(v6), '401,401,401,429', 'one /64, brackets and ports stripped');
      const mapped: LightMyRequestResponse[] = [];
      for (const client of [
        '::ffff:198.51.100.41',
        '198.51.100.41:7',
        '[::ffff:198.51.100.41]:8',
        '198.51.100.41',
      ])
        mapped.push(await viaGateway(client, 'sk-wrong-guess'));
      assert.equal(statuses(mapped), '401,401,401,429', 'an IPv4-mapped address is the IPv4 client');
      const valid = await viaGateway('198.51.100.40:40006', secret);
      assert.equal(valid.statusCode, 200, `a valid token still works: ${said(valid)}`);
      await env.services.usage.flush();
      const agent = await t.adminAgent();
      const detail = body(
        await agent.request({ method: 'GET', url: `/apis/v1/api-tokens/${tokenId}` }),
        TokenSchema,
      );
      assert.equal(detail.lastUsedIp, '198.51.100.40', 'last used from the address, without its port');
    });

    test('logins from ip:port count per address too', async () => {
      const admin = await t.user('admin');
      const login = (port: number) =>
        env.app.inject({
          method: 'POST',
          url: '/apis/v1/session',
          remoteAddress: PROXY,
          headers: { host: t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': `198.51.100.42:${port}` },
          payload: { email: admin.user.email, password: 'wrong' },
        });
      const answers = [await login(1), await login(2), await login(3)];
      assert.equal(statuses(answers), '401,401,429');
    });

    test('Forwarded (RFC 7239) from a trusted proxy: for, proto and host', async () => {
      const other = await env.tenant();
      const { secret: otherSecret, token } = await (
        await other.adminAgent()
      ).createToken({ name: 'Forwarded' });
      const forwarded = `for=192.0.2.60;proto=http, for="[2001:db8:60::1]:4711";proto=https;host=${other.host}`;
      const ok = await call({ forwarded, FF_AUTH: otherSecret });
      assert.equal(ok.statusCode, 200, `proto=https and host= are honoured: ${said(ok)}`);
      assert.match(String(ok.headers['strict-transport-security']), /max-age=31536000/);
      await env.services.usage.flush();
      const agent = await other.adminAgent();
      const detail = body(
        await agent.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` }),
        TokenSchema,
      );
      assert.equal(detail.lastUsedIp, '2001:db8:60::1', 'for= of the nearest untrusted hop');
      const line = lines.find((l) => l.includes('"remoteAddress":"2001:db8:60::1"'));
      assert.ok(line, `the request log names the client: ${lines.slice(-3).join('')}`);
      // Its failures count per client like any others.
      const bad: LightMyRequestResponse[] = [];
      for (const port of [1, 2, 3, 4])
        bad.push(await call({ forwarded: `for="198.51.100.61:${port}";proto=https`, FF_AUTH: 'sk-wrong' }));
      assert.equal(statuses(bad), '401,401,401,429');
    });

    test('Forwarded from an untrusted address changes nothing', async () => {
      const stranger = '203.0.113.70';
      const spoofed = await call({ forwarded: 'for=192.0.2.1;proto=https', FF_AUTH: secret }, stranger);
      assert.equal(spoofed.statusCode, 403, said(spoofed));
      assert.equal(errorOf(spoofed), 'https_required');
      // Behind a proxy that writes X-Forwarded-For, a client's own Forwarded header is not believed.
      const fails: LightMyRequestResponse[] = [];
      for (const fake of ['192.0.2.71', '192.0.2.72', '192.0.2.73', '192.0.2.74'])
        fails.push(
          await call({
            forwarded: `for=${fake}`,
            'x-forwarded-for': '198.51.100.75',
            'x-forwarded-proto': 'https',
            FF_AUTH: 'sk-wrong',
          }),
        );
      assert.equal(statuses(fails), '401,401,401,429', 'counted against the X-Forwarded-For client');
    });

    test('a proxy that lists itself with a port is still a trusted hop', async () => {
      const app = await buildApp({
        config: { ...env.config, trustProxy: [PROXY, '10.0.0.8'] },
        services: env.services,
        logger: pino({ level: 'silent' }),
        limiter: memoryLimiter(60_000),
      });
      try {
        const answers: LightMyRequestResponse[] = [];
        for (const port of [1, 2, 3, 4])
          answers.push(
            await app.inject({
              method: 'GET',
              url: '/apis/v1/token',
              remoteAddress: PROXY,
              headers: {
                host: t.host,
                'x-forwarded-proto': 'https',
                'x-forwarded-for': `198.51.100.80:${port}, 10.0.0.8:${port + 100}`,
                FF_AUTH: 'sk-wrong',
              },
            }),
          );
        assert.equal(statuses(answers), '401,401,401,429');
      } finally {
        await app.close();
      }
    });
  });
}
