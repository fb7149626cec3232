// Failure rate limits (SPEC section 4, README): per client address, only failures count, `429
// rate_limited` with Retry-After once over the limit; a valid token keeps working from a limited
// address and other clients are unaffected. Clients get their own addresses through a trusted proxy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorOf } from '../../test-support/answers.js';
import { createEnv, type Env, PASSWORD, said, type Tenant, typoOf } from '../../test-support/harness.js';
import { clientKey, memoryLimiter } from '../rate-limit.js';

const PROXY = '10.0.0.7';

describe('failure rate limits (in memory)', () => {
  let env: Env;
  let t: Tenant;
  let secret: string;
  before(async () => {
    env = await createEnv('pglite', { authFailureLimit: 3, loginFailureLimit: 2, trustProxy: [PROXY] });
    t = await env.tenant();
    secret = (await (await t.adminAgent()).createToken({ name: 'Limited' })).secret;
  });
  after(() => env.close());

  const from = (client: string, headers: Record<string, string> = {}) =>
    env.app.inject({
      method: 'GET',
      url: '/apis/v1/token',
      remoteAddress: PROXY,
      headers: { host: t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': client, ...headers },
    });
  const limited = (res: Awaited<ReturnType<typeof from>>) => {
    assert.equal(res.statusCode, 429, said(res));
    assert.equal(errorOf(res), 'rate_limited');
    const wait = Number(res.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${res.headers['retry-after']}`);
  };

  test('token failures: the limit answers 401, then 429; valid tokens and other clients pass', async () => {
    const bad = { FF_AUTH: typoOf(secret) };
    for (let i = 0; i < 3; i++) assert.equal((await from('198.51.100.1', bad)).statusCode, 401);
    limited(await from('198.51.100.1', bad));
    limited(await from('198.51.100.1', { FF_AUTH: 'sk-garbage' }));
    const valid = await from('198.51.100.1', { FF_AUTH: secret });
    assert.equal(valid.statusCode, 200, `a valid token still works: ${said(valid)}`);
    assert.equal((await from('198.51.100.2', bad)).statusCode, 401, 'another client is unaffected');
    // Missing tokens and lacking permissions are not guesses: they do not count.
    for (let i = 0; i < 5; i++) assert.equal((await from('198.51.100.3')).statusCode, 401);
    assert.equal((await from('198.51.100.3', bad)).statusCode, 401);
  });

  test('an IPv6 client is limited per /64, not per address', async () => {
    const bad = { FF_AUTH: 'sk-not-a-real-token' };
    for (let i = 1; i <= 3; i++) assert.equal((await from(`2001:db8:7:1::${i}`, bad)).statusCode, 401);
    limited(await from('2001:db8:7:1:ffff:1:2:3', bad));
    assert.equal((await from('2001:db8:7:2::1', bad)).statusCode, 401, 'the next /64 is another client');
  });

  test('logins: two failures, then 429 even for the right password; parallel guesses do not slip through', async () => {
    const admin = await t.user('admin');
    const login = (client: string, password: string) =>
      env.app.inject({
        method: 'POST',
        url: '/apis/v1/session',
        remoteAddress: PROXY,
        headers: { host: t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': client },
        payload: { email: admin.user.email, password },
      });
    assert.equal((await login('198.51.100.20', PASSWORD)).statusCode, 200, 'successes do not count');
    for (let i = 0; i < 2; i++) assert.equal((await login('198.51.100.20', 'wrong')).statusCode, 401);
    limited(await login('198.51.100.20', PASSWORD));
    assert.equal((await login('198.51.100.21', PASSWORD)).statusCode, 200, 'another client logs in');
    const burst = await Promise.all(Array.from({ length: 12 }, () => login('198.51.100.22', 'wrong')));
    const statuses = burst.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 401).length, 2, statuses.join());
    assert.equal(statuses.filter((s) => s === 429).length, 10, statuses.join());
  });
});

describe('login limits per account (defaults: 10 per address, 50 per account)', () => {
  let env: Env;
  before(async () => {
    env = await createEnv('pglite', { trustProxy: [PROXY] });
  });
  after(() => env.close());

  test('50 wrong passwords from 5 addresses, then the right one from a 6th: 429', async () => {
    const t = await env.tenant();
    const admin = await t.user('admin');
    const login = (client: string, password: string, email = admin.user.email) =>
      env.app.inject({
        method: 'POST',
        url: '/apis/v1/session',
        remoteAddress: PROXY,
        headers: { host: t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': client },
        payload: { email, password },
      });
    for (let a = 1; a <= 5; a++)
      for (let i = 0; i < 10; i++) {
        const res = await login(`198.51.100.${100 + a}`, `wrong-${a}-${i}`);
        assert.equal(res.statusCode, 401, `attempt ${i + 1} from address ${a}: ${said(res)}`);
      }
    limited(await login('198.51.100.106', PASSWORD));
    // The same email in capitals is the same account; another account is not limited.
    limited(await login('198.51.100.107', PASSWORD, admin.user.email.toUpperCase()));
    const other = await t.user('staff');
    const res = await login('198.51.100.106', PASSWORD, other.user.email);
    assert.equal(res.statusCode, 200, `another account logs in: ${said(res)}`);
  });

  const limited = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
    assert.equal(res.statusCode, 429, `${res.statusCode} ${res.body}`);
    assert.equal(errorOf(res), 'rate_limited');
    assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After ${String(res.headers['retry-after'])}`);
  };
});

describe('memoryLimiter and clientKey', () => {
  test('fixed windows: the limit, Retry-After counting down, a fresh window after it ends', async () => {
    let now = 1_000_000;
    const limiter = memoryLimiter(60_000, () => now);
    for (let i = 0; i < 3; i++) assert.equal(await limiter.fail('k', 3), 0);
    assert.equal(await limiter.retryAfter('k', 3), 60);
    assert.equal(await limiter.fail('k', 3), 60);
    now += 45_500;
    assert.equal(await limiter.retryAfter('k', 3), 15);
    assert.equal(await limiter.retryAfter('other', 3), 0);
    now += 15_000;
    assert.equal(await limiter.retryAfter('k', 3), 0);
    assert.equal(await limiter.fail('k', 3), 0);
    await limiter.forgive('k');
    assert.equal(await limiter.retryAfter('k', 1), 0);
  });

  test('a spray of addresses cannot grow memory past its bound', async () => {
    const limiter = memoryLimiter(60_000, Date.now, 1000);
    for (let i = 0; i < 5000; i++) await limiter.fail(`token:10.0.${i >> 8}.${i & 255}`, 3);
    for (let i = 0; i < 3; i++) await limiter.fail('token:victim', 3);
    assert.equal(await limiter.retryAfter('token:victim', 3), 60, 'the newest keys are kept');
  });

  test('a spray of token failures does not evict the login counter that blocks an address', async () => {
    const limiter = memoryLimiter(60_000, Date.now, 1000);
    for (let i = 0; i < 3; i++) await limiter.fail('login:198.51.100.9', 2);
    assert.equal(await limiter.retryAfter('login:198.51.100.9', 2), 60);
    for (let i = 0; i < 5000; i++) await limiter.fail(`token:10.1.${i >> 8}.${i & 255}`, 3);
    assert.equal(await limiter.retryAfter('login:198.51.100.9', 2), 60, 'the login block holds');
    assert.equal(await limiter.fail('login:198.51.100.9', 2), 60, 'and the next attempt is still refused');
  });

  test('clientKey: IPv4 as is, IPv4-mapped unwrapped, IPv6 by /64', () => {
    assert.equal(clientKey('198.51.100.7'), '198.51.100.7');
    assert.equal(clientKey('::ffff:198.51.100.7'), '198.51.100.7');
    assert.equal(clientKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
    assert.equal(clientKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1'), 'fe80:0:0:0::/64');
  });
});
