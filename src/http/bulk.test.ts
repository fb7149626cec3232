// The bulk action end to end (SPEC 12): a suspend by filter of 2,000 tokens with its counts, one event
// per token under one bulk id, a second instance (its own verifier and, on PostgreSQL, its own pool and
// change listener) refusing every one; a single reactivate racing it has a serial outcome; a dry run
// changes nothing; more than 100,000 matches are refused (100,001 tokens seeded by the database);
// ids of another institution are refused not_found; bad input names its field.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Db } from '../db/db.js';
import { openPostgres } from '../db/db.js';
import type { ChangeListener } from '../db/listener.js';
import { changeListener, type Parts } from '../main.js';
import { buildServices, type Services } from '../services.js';
import { body, errorOf } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../test-support/harness.js';
import { waitUntil } from '../test-support/live-server.js';
import { seedTokens, seedTokensInBulk } from '../test-support/token-seed.js';
import { buildApp } from './app.js';
import { BulkAnswerSchema } from './bulk-schemas.js';
import { memoryLimiter } from './rate-limit.js';

const BULK = '/apis/v1/api-tokens/bulk';

interface Instance {
  app: FastifyInstance;
  services: Services;
  stop(): Promise<void>;
}

for (const kind of databaseKinds()) {
  describe(`bulk actions (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 100_000, cacheTtlMs: 60_000 });
    });
    after(() => env.close());

    /**
     * Another instance over the same database: its own services and cache (a minute long, so only a
     * notification can explain a refusal); on PostgreSQL its own pool and change listener, as a second
     * server has. PGlite is one process: there the second app shares the database handle.
     */
    async function secondInstance(): Promise<Instance> {
      const url = (env.db as Db & { url?: string }).url;
      const db = kind === 'postgres' && url ? openPostgres(url) : env.db;
      const config = { ...env.config, ...(url ? { databaseUrl: url } : {}) };
      const services = buildServices(config, db, env.clock);
      const logger = pino({ level: 'silent' });
      const app = await buildApp({ config, services, logger, limiter: memoryLimiter(60_000) });
      await app.ready();
      const listener: ChangeListener | null = changeListener({ config, services, logger } as Parts);
      await listener?.start();
      if (listener) await waitUntil('the listener', () => listener.connected);
      return {
        app,
        services,
        stop: async () => {
          await listener?.stop();
          await app.close();
          await services.usage.stop().catch(() => {});
          if (db !== env.db) await db.close();
        },
      };
    }

    const use = async (app: FastifyInstance, t: Tenant, secret: string) => {
      const res = await app.inject({
        url: '/apis/v1/token',
        headers: { host: t.host, authorization: `Bearer ${secret}` },
      });
      return res.statusCode === 200 ? 'ok' : errorOf(res);
    };

    const eventsOf = async (t: Tenant) =>
      env.db.query<{ token_id: string; type: string; details: Record<string, unknown> }>(
        `SELECT token_id, type, details FROM audit_events WHERE institution_id = $1 ORDER BY seq`,
        [t.institution.id],
      );

    test('suspend by filter of 2,000 tokens: the counts, one event each under one bulk id, a second instance refuses them all, a racing reactivate is serial', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const laptop = await seedTokens(env.db, t.institution.id, 2000, { issuedFor: 'Laptop 42' });
      const others = await seedTokens(env.db, t.institution.id, 3, { issuedFor: 'payroll' });
      const b = await secondInstance();
      try {
        // Both instances hold every token as valid in their caches.
        for (const s of [...laptop, ...others]) {
          assert.equal(await use(env.app, t, s.secret), 'ok');
          if (kind === 'postgres') assert.equal(await use(b.app, t, s.secret), 'ok');
        }
        const racer = laptop[1234]!;
        const bulk = admin.request({
          method: 'POST',
          url: BULK,
          payload: {
            action: 'suspend',
            filter: { issuedFor: ' laptop 42 ', state: ['active'] },
            reason: 'stolen',
          },
        });
        // A single reactivate of one of them, again and again while the bulk runs.
        const raced: number[] = [];
        let settled = false;
        void bulk.then(() => (settled = true));
        while (!settled) {
          const res = await admin.request({
            method: 'POST',
            url: `/apis/v1/api-tokens/${racer.id}/reactivate`,
            payload: {},
          });
          raced.push(res.statusCode);
        }
        const res = await bulk;
        assert.equal(res.statusCode, 200, said(res));
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.deepEqual(body(res, BulkAnswerSchema), { matched: 2000, changed: 2000, refused: [] });

        const events = await eventsOf(t);
        const suspended = events.filter((e) => e.type === 'token.suspended');
        assert.equal(suspended.length, 2000);
        const ids = new Set(suspended.map((e) => e.details.bulk));
        assert.equal(ids.size, 1);
        assert.match(String([...ids][0]), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.ok(suspended.every((e) => e.details.reason === 'stolen'));
        assert.deepEqual(new Set(suspended.map((e) => e.token_id)), new Set(laptop.map((s) => s.id)));

        // The race: the bulk suspended it first (a reactivate cannot apply to an active token), then at
        // most one reactivate won; the row, the answers and the history tell the same story.
        const history = events.filter((e) => e.token_id === racer.id).map((e) => e.type);
        const won = raced.filter((s) => s === 200).length;
        assert.ok(
          raced.every((s) => s === 200 || s === 409),
          `statuses ${raced.join(',')}`,
        );
        assert.ok(won <= 1);
        assert.deepEqual(history, [
          'token.created',
          'token.suspended',
          ...(won ? ['token.reactivated'] : []),
        ]);
        const racerNow = await admin.request({ url: `/apis/v1/api-tokens/${racer.id}` });
        assert.equal(racerNow.json<{ state: string }>().state, won ? 'active' : 'suspended');

        // Every instance refuses every one of them (the racer only if it was not reactivated).
        const expected = (id: string) => (id === racer.id && won ? 'ok' : 'token_suspended');
        for (const app of [env.app, b.app]) {
          await waitUntil(
            'the other instance to refuse them',
            async () => (await use(app, t, laptop[0]!.secret)) === 'token_suspended',
            2000,
          );
          for (const s of laptop) assert.equal(await use(app, t, s.secret), expected(s.id), s.id);
          for (const s of others) assert.equal(await use(app, t, s.secret), 'ok');
        }
      } finally {
        await b.stop();
      }
    });

    test('a dry run changes nothing and answers the counts, the predicted refusals truncated past 1,000', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const seeded = await seedTokens(env.db, t.institution.id, 1200);
      const before = await eventsOf(t);
      const rows = () =>
        env.db.query(
          `SELECT id, state, state_changed_at FROM api_tokens WHERE institution_id = $1 ORDER BY id`,
          [t.institution.id],
        );
      const rowsBefore = await rows();
      const suspend = await admin.request({
        method: 'POST',
        url: BULK,
        payload: { action: 'suspend', filter: { state: ['active'] }, dryRun: true },
      });
      assert.equal(suspend.statusCode, 200, said(suspend));
      assert.deepEqual(body(suspend, BulkAnswerSchema), { matched: 1200, changed: 0, refused: [] });
      // Reactivating active tokens would refuse every one: 1,000 listed, and truncated.
      const reactivate = await admin.request({
        method: 'POST',
        url: BULK,
        payload: { action: 'reactivate', ids: seeded.slice(0, 5).map((s) => s.id), dryRun: true },
      });
      assert.deepEqual(body(reactivate, BulkAnswerSchema), {
        matched: 5,
        changed: 0,
        refused: seeded.slice(0, 5).map((s) => ({ id: s.id, error: 'invalid_transition' })),
      });
      const many = await admin.request({
        method: 'POST',
        url: BULK,
        payload: { action: 'revoke', filter: {}, dryRun: true },
      });
      const answer = body(many, BulkAnswerSchema);
      assert.equal(answer.matched, 1200);
      assert.equal(answer.changed, 0);
      assert.equal(answer.refused.length, 1000);
      assert.equal(answer.truncated, true);
      assert.deepEqual(await rows(), rowsBefore);
      assert.deepEqual(await eventsOf(t), before);
    });

    test('the list’s newer filters select what they say (neverUsed, noExpiry, ipRestricted); a bad value names the filter', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const used = await admin.createToken({ name: 'Used' });
      await admin.createToken({ name: 'Idle' });
      await admin.createToken({ name: 'Fenced', allowedIps: ['10.0.0.0/8'] });
      const call = await t.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { FF_AUTH: used.secret },
      });
      assert.equal(call.statusCode, 200, said(call));
      await env.services.usage.flush();
      const dry = (filter: Record<string, unknown>) =>
        admin.request({ method: 'POST', url: BULK, payload: { action: 'suspend', filter, dryRun: true } });
      const matched = async (filter: Record<string, unknown>) =>
        body(await dry(filter), BulkAnswerSchema).matched;
      assert.equal(await matched({ neverUsed: true }), 2);
      assert.equal(await matched({ neverUsed: false }), 1);
      assert.equal(await matched({ noExpiry: true, ipRestricted: true }), 1);
      const bad = await dry({ neverUsed: 'sometimes' });
      assert.equal(bad.statusCode, 400, said(bad));
      assert.equal(errorOf(bad), 'invalid_request');
    });

    test('ids: another institution’s count in matched and are refused not_found, unchanged; revoking an active token is refused invalid_transition', async () => {
      const t = await env.tenant();
      const other = await env.tenant();
      const admin = await t.adminAgent();
      const theirs = await (await other.adminAgent()).createToken({ name: 'Theirs' });
      const active = await admin.createToken({ name: 'Active' });
      const suspended = await admin.createToken({ name: 'Suspended' });
      await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${suspended.token.id}/suspend`,
        payload: {},
      });
      const missing = '00000000-0000-4000-8000-000000000000';
      const res = await admin.request({
        method: 'POST',
        url: BULK,
        payload: { action: 'revoke', ids: [theirs.token.id, active.token.id, suspended.token.id, missing] },
      });
      assert.equal(res.statusCode, 200, said(res));
      assert.deepEqual(body(res, BulkAnswerSchema), {
        matched: 4,
        changed: 1,
        refused: [
          { id: theirs.token.id, error: 'not_found' },
          { id: active.token.id, error: 'invalid_transition' },
          { id: missing, error: 'not_found' },
        ],
      });
      const theirsNow = await (
        await other.adminAgent()
      ).request({ url: `/apis/v1/api-tokens/${theirs.token.id}` });
      assert.equal(theirsNow.json<{ state: string }>().state, 'active');
      const mine = await admin.request({ url: `/apis/v1/api-tokens/${suspended.token.id}` });
      assert.equal(mine.json<{ state: string }>().state, 'revoked');
      const events = await admin.request({ url: `/apis/v1/api-tokens/${suspended.token.id}/events` });
      const [revoked] = events.json<{ items: { type: string; details: { bulk?: string } }[] }>().items;
      assert.equal(revoked?.type, 'token.revoked');
      assert.match(revoked?.details.bulk ?? '', /^[0-9a-f-]{36}$/);
    });

    test('a filter matching more than 100,000 tokens is refused with field filter, and nothing changes', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      await seedTokensInBulk(env.db, t.institution.id, 100_001);
      const res = await admin.request({
        method: 'POST',
        url: BULK,
        payload: { action: 'suspend', filter: { state: ['active'] } },
      });
      assert.equal(res.statusCode, 400, said(res));
      assert.deepEqual([errorOf(res), res.json<{ field?: string }>().field], ['invalid_request', 'filter']);
      const [row] = await env.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM api_tokens WHERE institution_id = $1 AND state <> 'active'`,
        [t.institution.id],
      );
      assert.equal(row?.n, '0');
      const events = await env.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM audit_events
         WHERE institution_id = $1 AND token_id IS NOT NULL AND type <> 'token.created'`,
        [t.institution.id],
      );
      assert.equal(events[0]?.n, '0');
    });

    test('bad input answers 400 with the field; no CSRF token, 403', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const id = (await admin.createToken()).token.id;
      const ids1001 = Array.from({ length: 1001 }, () => id);
      const cases: [Record<string, unknown>, string][] = [
        [{ action: 'delete', ids: [id] }, 'action'],
        [{ ids: [id] }, 'action'],
        [{ action: 'suspend' }, 'ids'],
        [{ action: 'suspend', ids: [id], filter: {} }, 'filter'],
        [{ action: 'suspend', ids: [] }, 'ids'],
        [{ action: 'suspend', ids: ids1001 }, 'ids'],
        [{ action: 'suspend', ids: ['not-an-id'] }, 'ids'],
        [{ action: 'suspend', filter: { colour: 'red' } }, 'filter.colour'],
        [{ action: 'suspend', filter: { sort: 'createdAt' } }, 'filter.sort'],
        [{ action: 'suspend', filter: { later: { a: 1 } } }, 'filter.later'],
        [{ action: 'suspend', filter: { states: ['active'] } }, 'filter.states'],
        [{ action: 'suspend', filter: { state: ['gone'] } }, 'filter'],
        [{ action: 'suspend', filter: { compromised: 'yes' } }, 'filter'],
        [{ action: 'suspend', filter: [] }, 'filter'],
        [{ action: 'suspend', ids: [id], reason: 'x'.repeat(501) }, 'reason'],
        [{ action: 'suspend', ids: [id], extra: 1 }, 'extra'],
      ];
      for (const [payload, field] of cases) {
        const res = await admin.request({ method: 'POST', url: BULK, payload });
        assert.equal(res.statusCode, 400, `${JSON.stringify(payload).slice(0, 80)}: ${said(res)}`);
        assert.deepEqual([errorOf(res), res.json<{ field?: string }>().field], ['invalid_request', field]);
      }
      const token = await admin.request({ url: `/apis/v1/api-tokens/${id}` });
      assert.equal(token.json<{ state: string }>().state, 'active');
      const noCsrf = await t.request({
        method: 'POST',
        url: BULK,
        headers: { cookie: admin.cookie },
        payload: { action: 'suspend', ids: [id] },
      });
      assert.deepEqual([noCsrf.statusCode, errorOf(noCsrf)], [403, 'csrf']);
    });
  });
}
