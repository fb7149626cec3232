// Rotation with a grace period, and renewal (SPEC section 7), through the API as an administrator and
// an integration see them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Agent,
  createEnv,
  databaseKinds,
  type Env,
  said,
  type Tenant,
} from '../test-support/harness.js';
import {
  body,
  CreatedSchema,
  ErrorSchema,
  errorOf,
  EventPage,
  TokenSchema,
} from '../test-support/answers.js';

for (const kind of databaseKinds()) {
  describe(`rotation and renewal (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 1000 });
    });
    after(() => env.close());

    const use = async (t: Tenant, secret: string) => {
      const res = await t.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { authorization: `Bearer ${secret}` },
      });
      return res.statusCode === 200 ? 'ok' : errorOf(res);
    };
    const rotate = (admin: Agent, id: string, payload: object = {}) =>
      admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${id}/rotate`, payload });

    test('without grace the old secret answers token_rotated at once; the new one works, same token', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token, secret } = await admin.createToken({
        name: 'CRM sync',
        description: 'nightly',
        expiresInDays: 90,
      });
      assert.equal(await use(t, secret), 'ok');
      const res = await rotate(admin, token.id);
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      const rotated = body(res, CreatedSchema);
      assert.match(rotated.secret, /^sk-crm-sync-/);
      assert.notEqual(rotated.secret, secret);
      assert.equal(rotated.token.id, token.id);
      assert.equal(rotated.token.description, 'nightly');
      assert.equal(rotated.token.expiresAt, token.expiresAt, 'the expiry stays');
      assert.equal(rotated.token.display, `${rotated.secret.slice(0, 14)}... ${rotated.secret.slice(-3)}`);
      assert.equal(await use(t, secret), 'token_rotated');
      assert.equal(await use(t, rotated.secret), 'ok');
      const events = body(
        await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/events` }),
        EventPage,
      );
      assert.equal(events.items[0]?.type, 'token.rotated');
      assert.equal(events.items[0]?.details.display, rotated.token.display);
      assert.equal(events.items[0]?.details.graceUntil, null);
      assert.equal(events.items[0]?.details.by, 'user', 'an administrator rotated it');
    });

    test('with a 3-second grace both work, then only the new one, and the old one stays rotated a day later', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token, secret } = await admin.createToken();
      const rotated = body(await rotate(admin, token.id, { graceSeconds: 3 }), CreatedSchema);
      assert.ok(rotated.token.previousSecretValidUntil);
      assert.equal(await use(t, secret), 'ok');
      assert.equal(await use(t, rotated.secret), 'ok');
      env.clock.advance(3_000);
      assert.equal(await use(t, secret), 'token_rotated');
      assert.equal(await use(t, rotated.secret), 'ok');
      env.clock.advance(86_400_000);
      assert.equal(await use(t, secret), 'token_rotated');
    });

    test('rotating twice within a grace period leaves the newest secret and the one before it', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const first = await admin.createToken();
      const second = body(await rotate(admin, first.token.id, { graceSeconds: 3600 }), CreatedSchema);
      const third = body(await rotate(admin, first.token.id, { graceSeconds: 3600 }), CreatedSchema);
      assert.equal(await use(t, first.secret), 'token_rotated');
      assert.equal(await use(t, second.secret), 'ok');
      assert.equal(await use(t, third.secret), 'ok');
    });

    test('rotate a suspended token, reactivate it: only the new secret works', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token, secret } = await admin.createToken();
      await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/suspend`,
        payload: { reason: 'leaked' },
      });
      const rotated = body(await rotate(admin, token.id, { graceSeconds: 3600 }), CreatedSchema);
      assert.equal(rotated.token.state, 'suspended', 'the state is kept');
      assert.equal(rotated.token.previousSecretValidUntil, null, 'no grace for a suspended token');
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/reactivate` });
      assert.equal(await use(t, secret), 'token_rotated');
      assert.equal(await use(t, rotated.secret), 'ok');
    });

    test('rotate or renew a revoked or expired token: 409 and nothing changes', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const revoked = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${revoked.token.id}/suspend` });
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${revoked.token.id}/revoke` });
      const expiring = await admin.createToken({
        expiresAt: new Date(env.clock().getTime() + 61_000).toISOString(),
      });
      env.clock.advance(61_000);
      for (const { token } of [revoked, expiring]) {
        const before = body(
          await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` }),
          TokenSchema,
        );
        for (const [action, payload] of [
          ['rotate', {}],
          ['renew', { expiresInDays: 30 }],
        ] as const) {
          const res = await admin.request({
            method: 'POST',
            url: `/apis/v1/api-tokens/${token.id}/${action}`,
            payload,
          });
          assert.equal(res.statusCode, 409, said(res));
          assert.equal(errorOf(res), 'invalid_transition');
        }
        const afterwards = body(
          await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` }),
          TokenSchema,
        );
        assert.equal(afterwards.display, before.display);
        assert.equal(afterwards.expiresAt, before.expiresAt);
      }
    });

    test('two concurrent rotations with the same expectedDisplay: one 200, one 409', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { token } = await admin.createToken();
      const results = await Promise.all([
        rotate(admin, token.id, { expectedDisplay: token.display }),
        rotate(admin, token.id, { expectedDisplay: token.display }),
      ]);
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409], results.map(said).join('\n'));
    });

    test('renew sets a new expiry, moves expirySetAt, keeps the secret, and records old and new', async () => {
      const t = await env.tenant();
      const { token, secret } = await (await t.adminAgent()).createToken({ expiresInDays: 30 });
      env.clock.advance(20 * 86_400_000);
      const admin = await t.user('admin'); // the first session ended meanwhile
      const res = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/renew`,
        payload: { expiresInDays: 30 },
      });
      assert.equal(res.statusCode, 200, said(res));
      const renewed = body(res, TokenSchema);
      assert.ok(renewed.expiresAt, 'a renewed token has an expiry');
      assert.equal(
        new Date(renewed.expiresAt).getTime() - new Date(renewed.expirySetAt).getTime(),
        30 * 86_400_000,
      );
      assert.ok(renewed.expirySetAt > token.expirySetAt);
      assert.equal(renewed.display, token.display);
      assert.equal(await use(t, secret), 'ok');
      const events = body(
        await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/events` }),
        EventPage,
      );
      assert.deepEqual(events.items[0]?.details, {
        oldExpiresAt: token.expiresAt,
        newExpiresAt: renewed.expiresAt,
      });
      const none = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/renew`,
        payload: {},
      });
      assert.equal(none.statusCode, 400, said(none));
      const tooLong = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/renew`,
        payload: { expiresInDays: 31 },
      });
      assert.equal(body(tooLong, ErrorSchema).field, 'expiresInDays');
    });

    test('grace outside 0 to 7 days is refused', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { token } = await admin.createToken();
      const res = await rotate(admin, token.id, { graceSeconds: 604_801 });
      assert.equal(res.statusCode, 400, said(res));
      assert.equal(body(res, ErrorSchema).field, 'graceSeconds');
    });
  });
}
