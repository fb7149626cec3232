// What a guarded change costs the database and what it answers, counted at the database seam: one
// transaction holding the guarded write (which returns the whole row) and its event, no re-read, and a
// refused change that writes nothing. Run on every database driver.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { buildApp } from '../http/app.js';
import { memoryLimiter } from '../http/rate-limit.js';
import { buildServices } from '../services.js';
import { counted } from '../test-support/counted-db.js';
import { createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';
import { TokenService } from './service.js';
import type { TokenView } from './view.js';

const actor = { userId: null, ip: '192.0.2.1' };

for (const kind of databaseKinds()) {
  describe(`guarded change (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    async function setup() {
      const t = await env.tenant();
      const c = counted(env.db);
      const notified: string[] = [];
      const tokens = new TokenService(c.db, env.clock, (id) => notified.push(id));
      const made = await tokens.create(t.institution, { userId: t.admin.id, ip: null }, { name: 'Counted' });
      assert.ok(made.ok);
      c.statements.length = 0;
      return { t, tokens, c, notified, id: made.value.token.id };
    }

    test('a suspend through the API sends at most 3 statements and answers the committed row', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token } = await admin.createToken({ name: 'Counted' });
      // A second app over the counting seam, sharing the database (and so the session) with env's.
      const c = counted(env.db);
      const services = buildServices(env.config, c.db, env.clock);
      const app = await buildApp({
        config: env.config,
        services,
        logger: pino({ level: 'silent' }),
        limiter: memoryLimiter(60_000),
      });
      try {
        const send = (method: 'GET' | 'POST', url: string) =>
          app.inject({
            method,
            url,
            headers: { host: t.host, cookie: admin.cookie, 'x-csrf-token': admin.csrf },
            ...(method === 'POST' ? { payload: { reason: 'paused' } } : {}),
          });
        // Warms the institution cache, so only the suspend's own cost is counted.
        assert.equal((await send('GET', `/apis/v1/api-tokens/${token.id}`)).statusCode, 200);
        c.statements.length = 0;
        const before = c.transactions();
        const res = await send('POST', `/apis/v1/api-tokens/${token.id}/suspend`);
        assert.equal(res.statusCode, 200, said(res));
        const count = c.statements.length;
        assert.ok(count <= 3, `a suspend sent ${count} statements: ${c.statements.join('\n---\n')}`);
        assert.equal(c.transactions() - before, 1);
        const read = await send('GET', `/apis/v1/api-tokens/${token.id}`);
        assert.deepEqual(res.json(), read.json());
        const suspended = res.json<TokenView>();
        assert.equal(suspended.state, 'suspended');
        assert.equal(suspended.stateReason, 'paused');
        assert.deepEqual(suspended.stateChangedBy, {
          id: admin.user.id,
          email: admin.user.email,
          name: admin.user.name,
        });
      } finally {
        await app.close();
        await services.usage.stop();
      }
    });

    test('rotate and renew answer the committed row without reading it again', async () => {
      const { t, tokens, c, id } = await setup();
      const rotated = await tokens.rotate(t.institution, id, actor, { graceSeconds: 60 });
      assert.ok(rotated.ok, JSON.stringify(rotated));
      const rotateCount = c.statements.length;
      c.statements.length = 0;
      const renewed = await tokens.renew(t.institution, id, actor, { expiresInDays: 30 });
      assert.ok(renewed.ok, JSON.stringify(renewed));
      assert.ok(c.statements.length <= 2, `a renew sent ${c.statements.length} statements`);
      assert.ok(rotateCount <= 3, `a rotation sent ${rotateCount} statements`);
      const read = await tokens.get(t.institution, id);
      assert.ok(read.ok);
      assert.deepEqual(renewed.value, read.value);
      assert.equal(rotated.value.token.previousSecretValidUntil, read.value.previousSecretValidUntil);
      assert.equal(rotated.value.token.display, read.value.display);
    });

    test('a refused change writes nothing and sends no change notice', async () => {
      const { t, tokens, c, notified, id } = await setup();
      const refused = await tokens.transition(t.institution, id, 'revoke', actor);
      assert.deepEqual(refused, {
        ok: false,
        code: 'invalid_transition',
        message: 'cannot revoke a token that is active',
      });
      assert.deepEqual(
        c.statements.filter((sql) => /INSERT INTO audit_events/.test(sql)),
        [],
        'no event for a change that did not happen',
      );
      const events = await tokens.events(t.institution, id, undefined);
      assert.ok(events.ok);
      assert.deepEqual(
        events.value.items.map((e) => e.type),
        ['token.created'],
      );
      assert.deepEqual(notified, []);
    });

    test('concurrent rotations apply one after another: only the newest secret and the one before work', async () => {
      const t = await env.tenant();
      const { token, secret } = await (await t.adminAgent()).createToken({ name: 'Raced' });
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          env.services.tokens.rotate(t.institution, token.id, actor, { graceSeconds: 600 }),
        ),
      );
      const secrets = [
        secret,
        ...results.map((r) => (r.ok ? r.value.secret : assert.fail(JSON.stringify(r)))),
      ];
      const answers = await Promise.all(
        secrets.map(async (s) => {
          const res = await t.request({
            method: 'GET',
            url: '/apis/v1/token',
            headers: { authorization: `Bearer ${s}` },
          });
          return res.statusCode === 200 ? 'works' : res.json<{ error: string }>().error;
        }),
      );
      assert.equal(answers.filter((a) => a === 'works').length, 2, answers.join(' '));
      assert.equal(answers.filter((a) => a === 'token_rotated').length, 2, answers.join(' '));
      // Each rotation retired the secret the one before it had made: one chain, newest first.
      const events = await env.services.tokens.events(t.institution, token.id, undefined);
      assert.ok(events.ok);
      const rotated = events.value.items.filter((e) => e.type === 'token.rotated').map((e) => e.details);
      assert.equal(rotated.length, 3);
      for (let i = 0; i < 2; i++) assert.equal(rotated[i]?.previousDisplay, rotated[i + 1]?.display);
      assert.equal(rotated[2]?.previousDisplay, token.display);
    });
  });
}
