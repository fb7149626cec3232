// The token check on the hot path, counted at the database seam: a state change is honoured on the very
// next request, expiry is decided at `now` from the cached entry, garbage never reaches the database,
// unknown tokens are remembered in a bounded cache, and steady-state requests write nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../http/app.js';
import { memoryLimiter } from '../http/rate-limit.js';
import { buildServices, type Services } from '../services.js';
import { counted } from '../test-support/counted-db.js';
import { createEnv, databaseKinds, type Env, said, type Tenant, typoOf } from '../test-support/harness.js';
import { formatToken } from './token.js';
import { TokenVerifier } from './verifier.js';

const lookups = (statements: string[]) => statements.filter((s) => s.includes('token_hash = ANY($1')).length;
const writes = (statements: string[]) => statements.filter((s) => /^\s*(INSERT|UPDATE|DELETE)\b/i.test(s));

for (const kind of databaseKinds()) {
  describe(`token check hot path (${kind})`, () => {
    let env: Env;
    let app: FastifyInstance;
    let services: Services;
    let statements: string[];
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 100_000 });
      const c = counted(env.db);
      statements = c.statements;
      // A second app over the counting seam; tokens are made through env's own app.
      services = buildServices(env.config, c.db, env.clock);
      app = await buildApp({
        config: env.config,
        services,
        logger: pino({ level: 'silent' }),
        limiter: memoryLimiter(60_000),
      });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await services.usage.stop();
      await env.close();
    });

    // The second app resolves institutions through its own cache: tell it about each new tenant.
    const tenant = async () => {
      const t = await env.tenant();
      services.institutions.invalidate();
      return t;
    };
    const use = (t: Tenant, secret: string, url = '/apis/v1/token') =>
      app.inject({ method: 'GET', url, headers: { host: t.host, authorization: `Bearer ${secret}` } });

    test('a suspended or revoked token is refused on the very next request of the same instance', async () => {
      const t = await tenant();
      const admin = await t.adminAgent();
      const { secret, token } = await admin.createToken();
      const act = async (action: string) => {
        const res = await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/${action}` });
        assert.equal(res.statusCode, 200, said(res));
      };
      const check = (res: Awaited<ReturnType<typeof use>>, status: number, error?: string) => {
        assert.equal(res.statusCode, status, said(res));
        if (error) assert.equal(res.json<{ error: string }>().error, error);
      };
      // env's own app shares the verifier that the service tells after each commit.
      const same = (url = '/apis/v1/token') =>
        t.request({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
      check(await same(), 200);
      await act('suspend');
      check(await same(), 401, 'token_suspended');
      await act('reactivate');
      check(await same(), 200);
      await act('suspend');
      await act('revoke');
      check(await same('/apis/v1/auth'), 401, 'token_revoked');
    });

    test('expiry is decided at now from the cached entry, without another lookup', async () => {
      const t = await tenant();
      const expiresAt = new Date(env.clock().getTime() + 120_000).toISOString();
      const { secret } = await (await t.adminAgent()).createToken({ expiresAt });
      const before = lookups(statements);
      const ok = await use(t, secret);
      assert.equal(ok.statusCode, 200, said(ok));
      assert.equal(ok.headers['ff-auth-token-valid-until'], expiresAt);
      env.clock.advance(180_000);
      const expired = await use(t, secret, '/apis/v1/auth');
      assert.equal(expired.statusCode, 401, said(expired));
      assert.equal(expired.json<{ error: string }>().error, 'token_expired');
      assert.equal(lookups(statements) - before, 1, 'one lookup, then the cached entry decided');
    });

    test('malformed tokens cost no query; a well-formed unknown one costs one per cache lifetime', async () => {
      const t = await tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const typo = typoOf(secret);
      const unknown = formatToken(new Uint8Array(32).fill(7), 'nobody');
      const before = lookups(statements);
      for (const bad of ['sk-short', typo, 'x'.repeat(5000)]) {
        const res = await use(t, bad);
        assert.equal(res.json<{ error: string }>().error, 'invalid_token', said(res));
      }
      assert.equal(lookups(statements), before, 'no lookup for garbage or a bad checksum');
      for (let i = 0; i < 20; i++)
        assert.equal((await use(t, unknown)).json<{ error: string }>().error, 'invalid_token');
      assert.equal(lookups(statements) - before, 1, 'the unknown hash is remembered');
    });

    test('concurrent misses for one token share a single lookup', async () => {
      const t = await tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const before = lookups(statements);
      const answers = await Promise.all(Array.from({ length: 20 }, () => use(t, secret, '/apis/v1/auth')));
      assert.deepEqual(new Set(answers.map((r) => r.statusCode)), new Set([200]));
      assert.equal(lookups(statements) - before, 1);
    });

    test('unknown hashes are bounded apart from known tokens, which stay cached', async () => {
      const t = await tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const c = counted(env.db);
      const verifier = new TokenVerifier(c.db, env.clock, { ttlMs: 60_000, maxMissing: 50 });
      assert.equal((await verifier.verify(secret, t.institution.id, null)).ok, true);
      for (let i = 0; i < 200; i++)
        await verifier.verify(formatToken(randomBytes(32), ''), t.institution.id, null);
      assert.deepEqual(verifier.size, { known: 1, missing: 50 });
      const before = lookups(c.statements);
      assert.equal((await verifier.verify(secret, t.institution.id, null)).ok, true);
      assert.equal(lookups(c.statements), before, 'the known token survived the flood');
    });

    test('a token in steady use is refreshed ahead: never looked up on the request path, changes still seen', async () => {
      const t = await tenant();
      const { secret, token } = await (await t.adminAgent()).createToken();
      // No invalidation reaches this verifier: only its refresh can tell it about the change below.
      const verifier = new TokenVerifier(env.db, env.clock, { ttlMs: 400 });
      try {
        assert.equal((await verifier.verify(secret, t.institution.id, null)).ok, true);
        const answered = new Set<object>();
        const answers = async (ms: number) => {
          // 'looked up', `ok <name>` or the refusal.
          const seen: string[] = [];
          answered.clear();
          for (const end = Date.now() + ms; Date.now() < end;) {
            const v = verifier.verify(secret, t.institution.id, null);
            seen.push(v instanceof Promise ? 'looked up' : v.ok ? `ok ${v.token.name}` : v.reason);
            if (!(v instanceof Promise) && v.ok) answered.add(v.token);
            await new Promise((r) => setTimeout(r, 10));
          }
          return seen;
        };
        // Three lifetimes: an entry that simply expired would be looked up again at least twice.
        assert.deepEqual(new Set(await answers(1200)), new Set([`ok ${token.name}`]));
        assert.equal(answered.size, 1, 'an unchanged token keeps its prepared answer through refreshes');
        await env.db.query(`UPDATE api_tokens SET name = 'Renamed' WHERE id = $1`, [token.id]);
        const renamed = await answers(1000);
        assert.equal(renamed.at(-1), 'ok Renamed', renamed.join(' '));
        await env.db.query(`UPDATE api_tokens SET state = 'suspended' WHERE id = $1`, [token.id]);
        const after = await answers(1000);
        assert.ok(!after.includes('looked up'), after.join(' '));
        assert.equal(after.at(-1), 'token_suspended', after.join(' '));
      } finally {
        verifier.stop();
      }
    });

    test('without the backstop (the embedded database) an entry lives until its token changes', async () => {
      const t = await tenant();
      const { secret, token } = await (await t.adminAgent()).createToken();
      const c = counted(env.db);
      const verifier = new TokenVerifier(c.db, env.clock, { ttlMs: 200, backstop: false });
      try {
        const seen = new Set<string>();
        // Five lifetimes of steady use: one lookup, no refresh. The lifetimes pass on the clock, not slept.
        for (let moved = 0; moved < 1000; moved += 10) {
          const v = await verifier.verify(secret, t.institution.id, null);
          seen.add(v.ok ? 'ok' : v.reason);
          env.clock.elapse(10);
        }
        assert.deepEqual(seen, new Set(['ok']));
        assert.equal(lookups(c.statements), 1, c.statements.join('\n'));
        // Every change passes through the one process, which drops the entry after commit.
        await env.db.query(`UPDATE api_tokens SET state = 'suspended' WHERE id = $1`, [token.id]);
        verifier.invalidate(token.id);
        const after = await verifier.verify(secret, t.institution.id, null);
        assert.equal(after.ok ? 'ok' : after.reason, 'token_suspended');
      } finally {
        verifier.stop();
      }
    });

    test('the server keeps the backstop on PostgreSQL only: refreshes there, none on the embedded one', async () => {
      const t = await tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const before = lookups(statements);
      // Two lifetimes (TOKEND_CACHE_TTL is 1 s here) of steady use through the server's own services.
      for (const end = Date.now() + 2200; Date.now() < end;) {
        assert.equal((await use(t, secret)).statusCode, 200);
        await new Promise((r) => setTimeout(r, 50));
      }
      const statementsMade = lookups(statements) - before;
      if (kind === 'pglite') assert.equal(statementsMade, 1, 'one lookup, no refresh');
      else assert.ok(statementsMade >= 3, `one lookup and refreshes, got ${statementsMade}`);
    });

    test('steady-state requests write nothing; one flush writes their usage', async () => {
      const t = await tenant();
      const { secret, token } = await (await t.adminAgent()).createToken();
      await services.usage.flush();
      const before = statements.length;
      const n = 150;
      for (let i = 0; i < n; i++) {
        const res = await use(t, secret, i % 2 ? '/apis/v1/auth' : '/apis/v1/token');
        assert.equal(res.statusCode, 200, said(res));
      }
      assert.deepEqual(writes(statements.slice(before)), [], 'no write on the request path');
      await services.usage.flush();
      const flushed = writes(statements.slice(before));
      assert.ok(flushed.length >= 1 && flushed.length <= 2, flushed.join('\n'));
      const [row] = await env.db.query<{ n: number; last: Date | null }>(
        `SELECT (SELECT sum(count)::int FROM token_usage_daily WHERE token_id = $1) AS n,
           (SELECT last_used_at FROM api_tokens WHERE id = $1) AS last`,
        [token.id],
      );
      assert.equal(row?.n, n);
      assert.ok(row?.last, 'last used is recorded by the flush');
    });
  });
}
