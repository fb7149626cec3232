// A token's recent addresses (SPEC 12) as staff see them: real TCP connections from six loopback
// addresses (Linux routes all of 127/8 to lo) to a listening tokend, written by the usage flush only,
// the last 5 distinct ones newest first; and two instances' flushes of the same token merge.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { body, TokenSchema } from '../test-support/answers.js';
import {
  type Agent,
  createEnv,
  databaseKinds,
  type Env,
  said,
  type Tenant,
} from '../test-support/harness.js';
import { UsageRecorder } from './usage.js';

for (const kind of databaseKinds()) {
  describe(`recent addresses (${kind})`, () => {
    let env: Env;
    let port: number;
    let t: Tenant;
    let admin: Agent;
    before(async () => {
      env = await createEnv(kind);
      await env.app.listen({ host: '127.0.0.1', port: 0 });
      port = (env.app.server.address() as AddressInfo).port;
      t = await env.tenant();
      admin = await t.adminAgent();
    });
    after(() => env.close());

    /** One token request on a connection of its own, from the loopback address `from`. */
    const call = (from: string, secret: string, userAgent: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/apis/v1/token',
            localAddress: from,
            agent: false,
            headers: { host: t.host, authorization: `Bearer ${secret}`, 'user-agent': userAgent },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const detail = async (id: string) => {
      const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}` });
      return body(res, TokenSchema);
    };

    test('requests from 6 addresses give the 5 most recent, newest first, once the flush has run', async () => {
      const { token, secret } = await admin.createToken({ name: 'Six addresses' });
      const times: string[] = [];
      for (let i = 2; i <= 7; i++) {
        env.clock.advance(1_000);
        times.push(env.clock().toISOString());
        const res = await call(`127.0.0.${i}`, secret, `job/${i}`);
        assert.equal(res.status, 200, `${res.status} ${res.body}`);
      }
      assert.deepEqual((await detail(token.id)).recentIps, [], 'nothing is written on the request path');
      await env.services.usage.flush();
      const seen = (await detail(token.id)).recentIps;
      assert.deepEqual(
        seen.map((r) => [r.ip, r.userAgent]),
        [7, 6, 5, 4, 3].map((i) => [`127.0.0.${i}`, `job/${i}`]),
      );
      // Each seen once, at its request (the clock moved a second before each, so they are in order).
      seen.forEach((r, n) => {
        assert.equal(r.firstSeenAt, r.lastSeenAt);
        assert.ok(r.lastSeenAt >= (times[4 - n] as string), `${r.ip} at ${r.lastSeenAt}`);
        if (n > 0) assert.ok(r.lastSeenAt < (seen[n - 1]?.lastSeenAt as string));
      });
      const fourth = seen[3];

      // 127.0.0.4 again, later and with another client: first seen stays, it moves to the front.
      env.clock.advance(1_000);
      const again = env.clock().toISOString();
      assert.equal((await call('127.0.0.4', secret, 'job/4b')).status, 200);
      await env.services.usage.flush();
      const now = await detail(token.id);
      assert.deepEqual(
        now.recentIps.map((r) => r.ip),
        ['127.0.0.4', '127.0.0.7', '127.0.0.6', '127.0.0.5', '127.0.0.3'],
      );
      const [front] = now.recentIps;
      assert.equal(front?.firstSeenAt, fourth?.firstSeenAt, 'first seen stays');
      assert.ok((front?.lastSeenAt ?? '') >= again, 'last seen is the new request');
      assert.equal(front?.userAgent, 'job/4b');
      assert.equal(now.lastUsedIp, '127.0.0.4');

      // The list answers them too; the token's own view carries no staff data.
      const list = await admin.request({ method: 'GET', url: '/apis/v1/api-tokens?q=Six%20addresses' });
      assert.equal(list.statusCode, 200, said(list));
      const items = list.json<{ items: { recentIps: unknown }[] }>().items;
      assert.deepEqual(items[0]?.recentIps, now.recentIps);
      const own = JSON.parse((await call('127.0.0.2', secret, 'job/2')).body) as Record<string, unknown>;
      assert.equal('recentIps' in own, false);
    });

    test('two instances flushing the same token keep the 5 most recent of both', async () => {
      const { token } = await admin.createToken({ name: 'Two instances' });
      const one = new UsageRecorder(env.db);
      const two = new UsageRecorder(env.db);
      const base = env.clock().getTime();
      const at = (s: number) => base + s * 1_000;
      // Instance one saw .1 .. .4 at seconds 1..4; instance two saw .5 .. .7 at 5..7, and .2 again at 8.
      for (let i = 1; i <= 4; i++) one.recordUse(token.id, at(i), `10.0.0.${i}`, `one/${i}`, 'FF_AUTH');
      for (let i = 5; i <= 7; i++) two.recordUse(token.id, at(i), `10.0.0.${i}`, `two/${i}`, 'FF_AUTH');
      two.recordUse(token.id, at(8), '10.0.0.2', 'two/2', 'Authorization');
      // Both at once (on PostgreSQL, two connections), then a later flush of instance one alone.
      await Promise.all([one.flush(), two.flush()]);
      one.recordUse(token.id, at(3.5), '10.0.0.9', 'one/9', 'FF_AUTH');
      await one.flush();
      const iso = (s: number) => new Date(at(s)).toISOString();
      const seen = (await detail(token.id)).recentIps;
      assert.deepEqual(seen, [
        { ip: '10.0.0.2', firstSeenAt: iso(2), lastSeenAt: iso(8), userAgent: 'two/2' },
        { ip: '10.0.0.7', firstSeenAt: iso(7), lastSeenAt: iso(7), userAgent: 'two/7' },
        { ip: '10.0.0.6', firstSeenAt: iso(6), lastSeenAt: iso(6), userAgent: 'two/6' },
        { ip: '10.0.0.5', firstSeenAt: iso(5), lastSeenAt: iso(5), userAgent: 'two/5' },
        { ip: '10.0.0.4', firstSeenAt: iso(4), lastSeenAt: iso(4), userAgent: 'one/4' },
      ]);
      const latest = await detail(token.id);
      assert.equal(latest.lastUsedIp, '10.0.0.2', 'last use is still the latest request overall');
    });

    test('an instance holds at most 5 addresses of a token between flushes', async () => {
      const { token } = await admin.createToken({ name: 'Many addresses' });
      const usage = new UsageRecorder(env.db);
      const base = env.clock().getTime();
      for (let i = 1; i <= 50; i++) usage.recordUse(token.id, base + i, `10.1.0.${i}`, 'scan', 'query');
      await usage.flush();
      assert.deepEqual(
        (await detail(token.id)).recentIps.map((r) => r.ip),
        ['10.1.0.50', '10.1.0.49', '10.1.0.48', '10.1.0.47', '10.1.0.46'],
      );
    });
  });
}
