// Rate-limit counters in Redis (TOKEND_REDIS_URL): two instances sharing Redis share the count, the
// window and Retry-After come from Redis's expiry, and when Redis is cut off each instance keeps
// limiting from memory — never throwing, never waiting — and shares again once Redis returns.
// Runs when TEST_REDIS_URL is set (CI sets it).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../../config.js';
import { createEnv, type Env, PASSWORD, said, type Tenant } from '../../test-support/harness.js';
import { freePort, waitUntil } from '../../test-support/live-server.js';
import { buildApp } from '../app.js';
import { type FailureLimiter, failureLimiter, redisLimiter } from '../rate-limit.js';
import { tcpProxy } from '../../test-support/tcp-proxy.js';

const REDIS = process.env.TEST_REDIS_URL;
const PROXY = '10.0.0.7';
const prefix = () => `tokend-test:${randomBytes(6).toString('hex')}:`;

describe('rate-limit counters in Redis', { skip: REDIS ? false : 'TEST_REDIS_URL is not set' }, () => {
  const url = REDIS ?? ''; // the suite is skipped without it
  const closing: (() => Promise<unknown>)[] = [];
  let env: Env;
  let t: Tenant;
  before(async () => {
    env = await createEnv('pglite', { authFailureLimit: 3, trustProxy: [PROXY] });
    t = await env.tenant();
  });
  after(async () => {
    for (const close of closing.reverse()) await close();
    await env.close();
  });

  const limiter = (
    redisUrl: string,
    windowMs: number,
    shared: string,
    logger = pino({ level: 'silent' }),
  ) => {
    const l = redisLimiter(redisUrl, windowMs, { prefix: shared, logger, timeoutMs: 300 });
    closing.push(() => l.close());
    return l;
  };
  const ready = (l: ReturnType<typeof redisLimiter>) =>
    new Promise<void>((resolve) =>
      l.client.status === 'ready' ? resolve() : l.client.once('ready', resolve),
    );

  test('two instances sharing Redis share the count; a valid token still works', async () => {
    const shared = prefix();
    const apps: FastifyInstance[] = [];
    for (let i = 0; i < 2; i++) {
      const l = limiter(url, 60_000, shared);
      await ready(l);
      const app = await buildApp({
        config: env.config,
        services: env.services,
        logger: pino({ level: 'silent' }),
        limiter: l,
      });
      closing.push(() => app.close());
      apps.push(app);
    }
    const { secret } = await (await t.adminAgent()).createToken({ name: 'Shared' });
    const call = (app: FastifyInstance, token: string, client = '198.51.100.9') =>
      app.inject({
        method: 'GET',
        url: '/apis/v1/token',
        remoteAddress: PROXY,
        headers: { host: t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': client, FF_AUTH: token },
      });
    const [one, two] = apps as [FastifyInstance, FastifyInstance];
    assert.equal((await call(one, 'sk-wrong-1')).statusCode, 401);
    assert.equal((await call(two, 'sk-wrong-2')).statusCode, 401);
    assert.equal((await call(one, 'sk-wrong-3')).statusCode, 401);
    const fourth = await call(two, 'sk-wrong-4');
    assert.equal(
      fourth.statusCode,
      429,
      `the second instance knows the first one's failures: ${said(fourth)}`,
    );
    assert.ok(Number(fourth.headers['retry-after']) >= 59, `Retry-After ${fourth.headers['retry-after']}`);
    assert.equal((await call(one, secret)).statusCode, 200, 'a valid token keeps working');
    assert.equal(
      (await call(two, 'sk-wrong-5', '198.51.100.10')).statusCode,
      401,
      'other clients are not limited',
    );
  });

  test('the window is the key expiry: Retry-After from PTTL, a fresh count afterwards', async () => {
    const p = prefix();
    const l = limiter(url, 1500, p);
    await ready(l);
    for (let i = 0; i < 2; i++) assert.equal(await l.fail('k', 2), 0);
    assert.equal(await l.retryAfter('k', 2), 2);
    assert.equal(await l.fail('k', 2), 2);
    await l.forgive('k');
    await l.forgive('never-failed');
    assert.equal(await l.client.exists(`${p}never-failed`), 0, 'forgiving creates no key');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    assert.equal(await l.retryAfter('k', 2), 0);
    assert.equal(await l.fail('k', 2), 0);
  });

  test('Redis cut off: limits fall back to memory at once, and are shared again when it returns', async () => {
    const target = new URL(url);
    const relay = await tcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    closing.push(() => relay.close());
    const warnings: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void warnings.push(line) });
    const shared = prefix();
    const [a, b] = [limiter(relay.via(url), 60_000, shared, logger), limiter(url, 60_000, shared)];
    await Promise.all([ready(a), ready(b)]);
    relay.cut();
    const started = Date.now();
    for (let i = 0; i < 3; i++) assert.equal(await a.fail('client', 3), 0);
    assert.ok((await a.fail('client', 3)) > 0, 'still limited, from memory');
    assert.ok(Date.now() - started < 2000, `no waiting for Redis: ${Date.now() - started} ms`);
    assert.equal(await b.retryAfter('client', 3), 0, 'the memory count is not shared');
    assert.equal(warnings.filter((w) => w.includes('unreachable')).length, 1, warnings.join(''));
    relay.restore();
    await ready(a);
    assert.equal(await a.fail('client2', 1), 0);
    assert.ok((await b.fail('client2', 1)) > 0, 'shared again');
    assert.ok(
      warnings.some((w) => w.includes('reachable again')),
      warnings.join(''),
    );
  });
});

// A frozen Redis (issue 14): the process stopped with SIGSTOP keeps its connections open and answers
// nothing, as in a network partition. After one timeout the breaker sends every call to memory at once.
const REDIS_SERVER = spawnSync('redis-server', ['--version']).status === 0;

describe('a frozen Redis', { skip: REDIS_SERVER ? false : 'redis-server is not installed' }, () => {
  let env: Env;
  let t: Tenant;
  let redis: ChildProcess;
  let app: FastifyInstance;
  let limiter: FailureLimiter;
  before(async () => {
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    // The settings' defaults (TOKEND_REDIS_TIMEOUT, TOKEND_REDIS_BREAK), as `serve` builds the limiter.
    const config = {
      ...loadConfig({}),
      redisUrl: `redis://127.0.0.1:${port}`,
      authFailureLimit: 3,
      trustProxy: [PROXY],
    };
    env = await createEnv('pglite', config);
    t = await env.tenant();
    limiter = failureLimiter(config, pino({ level: 'silent' }));
    const client = 'client' in limiter ? limiter.client : null;
    assert.ok(client instanceof Redis, 'TOKEND_REDIS_URL gives the Redis limiter');
    await waitUntil('Redis ready', () => Promise.resolve(client.status === 'ready'));
    app = await buildApp({ config, services: env.services, logger: pino({ level: 'silent' }), limiter });
  });
  after(async () => {
    redis.kill('SIGCONT');
    redis.kill('SIGKILL');
    await app.close();
    await limiter.close();
    await env.close();
  });

  const timed = async <T>(run: () => Promise<T>) => {
    const started = performance.now();
    const value = await run();
    return { value, ms: Math.round(performance.now() - started) };
  };
  const check = (client: string) =>
    app.inject({
      method: 'GET',
      url: '/apis/v1/token',
      remoteAddress: PROXY,
      headers: { host: t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': client, FF_AUTH: 'sk-wrong' },
    });

  test('failed checks and a correct login answer at once from memory after one timeout', async () => {
    assert.equal((await check('198.51.100.90')).statusCode, 401, 'counted in Redis while it answers');
    redis.kill('SIGSTOP');
    const first = await timed(() => check('198.51.100.91'));
    assert.equal(first.value.statusCode, 401, said(first.value));
    const next: { status: number; ms: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await timed(() => check('198.51.100.91'));
      next.push({ status: value.statusCode, ms });
    }
    const admin = await t.user('admin');
    const login = await timed(() =>
      app.inject({
        method: 'POST',
        url: '/apis/v1/session',
        remoteAddress: PROXY,
        headers: { host: t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.92' },
        payload: { email: admin.user.email, password: PASSWORD },
      }),
    );
    const report = `first failed check ${first.ms} ms; next ${next.map((n) => `${n.status}/${n.ms}ms`).join(', ')}; login ${login.ms} ms`;
    console.log(`frozen Redis: ${report}`);
    assert.ok(first.ms < 1000, `the first check waits one timeout at most: ${report}`);
    assert.deepEqual(
      next.map((n) => n.status),
      [401, 401, 429, 429, 429],
      `the limit still holds, from memory: ${report}`,
    );
    assert.ok(Math.max(...next.map((n) => n.ms)) < 150, `later checks do not wait for Redis: ${report}`);
    assert.equal(login.value.statusCode, 200, said(login.value));
    assert.ok(login.ms < 450, `a correct login does not wait for Redis: ${report}`);
  });
});
