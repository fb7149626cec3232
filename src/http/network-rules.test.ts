// A token's network rule as an integration meets it (SPEC section 8): real TCP connections from loopback
// addresses to a listening tokend (Linux routes all of 127/8 to lo), and through a trusted proxy by
// X-Forwarded-For in the forms proxies write; the refusal is 403 ip_not_allowed, an audited
// token.auth_failed per address after the flush, and a failure the rate limit counts.
import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { body, errorOf, EventPage } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, type Tenant } from '../test-support/harness.js';

// The proxy tokend trusts; every other loopback address is a client of its own.
const PROXY = '127.0.0.9';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

for (const kind of databaseKinds()) {
  describe(`network rules (${kind})`, () => {
    let env: Env;
    let port: number;
    let t: Tenant;
    before(async () => {
      env = await createEnv(kind, { trustProxy: [PROXY], authFailureLimit: 3 });
      await env.app.listen({ host: '127.0.0.1', port: 0 });
      port = (env.app.server.address() as AddressInfo).port;
      t = await env.tenant();
    });
    after(() => env.close());

    /** One request on a connection of its own, from the loopback address `from`. */
    const call = (
      from: string,
      secret: string,
      path = '/apis/v1/token',
      headers: Record<string, string> = {},
    ) =>
      new Promise<Answer>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path,
            localAddress: from,
            agent: false,
            headers: { host: t.host, authorization: `Bearer ${secret}`, ...headers },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const said = (a: Answer) => `${a.status} ${a.body}`;
    const restricted = async (allowedIps: string[]) => {
      const made = await (await t.adminAgent()).createToken({ allowedIps });
      assert.deepEqual(made.token.allowedIps, allowedIps);
      return made;
    };
    const failures = async (tokenId: string) => {
      await env.services.usage.flush();
      const res = await (
        await t.adminAgent()
      ).request({ method: 'GET', url: `/apis/v1/api-tokens/${tokenId}/events` });
      return body(res, EventPage)
        .items.filter((e) => e.type === 'token.auth_failed')
        .map((e) => ({ ip: e.ip, details: e.details }))
        .sort((a, b) => String(a.ip).localeCompare(String(b.ip)));
    };

    test('a token restricted to 127.0.0.2/32 works from 127.0.0.2 and answers 403 ip_not_allowed from 127.0.0.3', async () => {
      const { secret, token } = await restricted(['127.0.0.2/32']);
      const inside = await call('127.0.0.2', secret);
      assert.equal(inside.status, 200, said(inside));
      const outside = await call('127.0.0.3', secret);
      assert.equal(outside.status, 403, said(outside));
      assert.equal(errorOf(outside), 'ip_not_allowed');
      assert.equal(outside.headers['www-authenticate'], undefined, 'a 403 carries no challenge');
      assert.equal(outside.headers['access-control-allow-origin'], '*');
      // Forward auth and the download refuse it alike, forward auth naming the code for the gateway.
      const forward = await call('127.0.0.3', secret, '/apis/v1/auth');
      assert.equal(forward.status, 403, said(forward));
      assert.equal(forward.headers['x-tokend-error'], 'ip_not_allowed');
      const download = await call(
        '127.0.0.3',
        secret,
        '/apis/v1/files/00000000-0000-4000-8000-000000000000/download',
      );
      assert.equal(download.status, 403, said(download));
      // One event per token, failure and address, the address in `ip`; the allowed use is none.
      assert.deepEqual(await failures(token.id), [
        { ip: '127.0.0.3', details: { failure: 'ip_not_allowed', count: 3 } },
      ]);
      // Last use is the allowed request's, from its own address.
      const view = await (
        await t.adminAgent()
      ).request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      assert.equal(view.json<{ lastUsedIp: string }>().lastUsedIp, '127.0.0.2');
    });

    test('through a trusted proxy the client is X-Forwarded-For’s, in the forms proxies write it', async () => {
      const { secret, token } = await restricted(['127.0.0.2/32', '2001:db8::/48']);
      const via = (forwardedFor: string) =>
        call(PROXY, secret, '/apis/v1/auth', {
          'x-forwarded-for': forwardedFor,
          'x-forwarded-proto': 'https',
        });
      const cases: [string, number][] = [
        ['127.0.0.2', 200],
        ['127.0.0.2:5555', 200],
        ['::ffff:127.0.0.2', 200],
        ['[::ffff:127.0.0.2]:8443', 200],
        ['[2001:db8::1]:443', 200],
        ['2001:db8:0:1::7', 200],
        // The right-most address that is not a trusted proxy: a client's own claim to the left is ignored.
        [`127.0.0.2, 198.51.100.7`, 403],
        [`198.51.100.7, 127.0.0.2, ${PROXY}`, 200],
        ['127.0.0.6:5555', 403],
        ['[2001:db9::1]:443', 403],
      ];
      for (const [forwardedFor, status] of cases) {
        const res = await via(forwardedFor);
        assert.equal(res.status, status, `${forwardedFor}: ${said(res)}`);
        if (status === 403) assert.equal(res.headers['x-tokend-error'], 'ip_not_allowed', forwardedFor);
      }
      // The proxy's own address is not the client: with no X-Forwarded-For it is what the rule sees.
      const bare = await call(PROXY, secret, '/apis/v1/auth', { 'x-forwarded-proto': 'https' });
      assert.equal(bare.status, 403, said(bare));
      assert.equal(errorOf(bare), 'ip_not_allowed');
      // Addresses normalised as the rate limits see them: ports and brackets gone.
      assert.deepEqual(await failures(token.id), [
        { ip: '127.0.0.6', details: { failure: 'ip_not_allowed', count: 1 } },
        { ip: '127.0.0.9', details: { failure: 'ip_not_allowed', count: 1 } },
        { ip: '198.51.100.7', details: { failure: 'ip_not_allowed', count: 1 } },
        { ip: '2001:db9::1', details: { failure: 'ip_not_allowed', count: 1 } },
      ]);
    });

    test('refusals from outside the rule are rate limited; valid uses keep working', async () => {
      const { secret, token } = await restricted(['127.0.0.2/32']);
      const other = (await (await t.adminAgent()).createToken()).secret;
      // The limit is 3 failures: the fourth answers 429 with Retry-After.
      for (let i = 0; i < 3; i++) {
        const res = await call('127.0.0.4', secret);
        assert.equal(res.status, 403, said(res));
      }
      const limited = await call('127.0.0.4', secret);
      assert.equal(limited.status, 429, said(limited));
      assert.equal(errorOf(limited), 'rate_limited');
      assert.match(String(limited.headers['retry-after']), /^[1-9]\d*$/);
      // Only failures pay: a token valid from the limited address still works there, and the
      // restricted token from its own address.
      const stillOpen = await call('127.0.0.4', other);
      assert.equal(stillOpen.status, 200, said(stillOpen));
      const allowed = await call('127.0.0.2', secret);
      assert.equal(allowed.status, 200, said(allowed));
      assert.deepEqual(await failures(token.id), [
        { ip: '127.0.0.4', details: { failure: 'ip_not_allowed', count: 4 } },
      ]);
    });

    test('expiry and state come before the rule: a suspended token says so from anywhere', async () => {
      const admin = await t.adminAgent();
      const { secret, token } = await restricted(['127.0.0.2/32']);
      const res = await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend` });
      assert.equal(res.statusCode, 200, res.body);
      const outside = await call('127.0.0.5', secret);
      assert.equal(outside.status, 401, said(outside));
      assert.equal(errorOf(outside), 'token_suspended');
    });
  });
}
