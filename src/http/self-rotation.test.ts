// Self-rotation (SPEC 7), as an integration and its secret manager see it: only with tokens.self_rotate,
// only from the current secret, one winner of concurrent calls, the old secret honoured for its grace.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { LightMyRequestResponse } from 'fastify';
import { FILES_DOWNLOAD, SELF_ROTATE } from '../permissions/rules.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../test-support/harness.js';
import { body, ErrorSchema, errorOf, EventPage, OwnViewSchema } from '../test-support/answers.js';

const SelfRotated = Type.Object({
  secret: Type.String(),
  token: OwnViewSchema,
  previousSecretValidUntil: Type.String({ format: 'date-time' }),
});
const HOUR = 3_600_000;

for (const kind of databaseKinds()) {
  describe(`self-rotation (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 1000 });
    });
    after(() => env.close());

    const rotatable = async (t: Tenant, fields: Record<string, unknown> = {}) => {
      const admin = await t.adminAgent();
      const made = await admin.createToken({
        name: 'CRM sync',
        permissions: [FILES_DOWNLOAD, SELF_ROTATE],
        ...fields,
      });
      return { ...made, admin };
    };
    const selfRotate = (t: Tenant, secret: string, payload?: object) =>
      t.request({
        method: 'POST',
        url: '/apis/v1/token/rotate',
        headers: { authorization: `Bearer ${secret}` },
        ...(payload === undefined ? {} : { payload }),
      });
    const use = async (t: Tenant, secret: string) => {
      const res = await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
      return res.statusCode === 200 ? 'ok' : errorOf(res);
    };
    const rotatedEvents = async (t: Tenant, id: string) => {
      const admin = await t.adminAgent();
      const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}/events` });
      return body(res, EventPage).items.filter((e) => e.type === 'token.rotated');
    };
    const refusal = (res: LightMyRequestResponse) => {
      const error = body(res, ErrorSchema);
      return { status: res.statusCode, error: error.error, message: error.message, field: error.field };
    };

    test('without tokens.self_rotate: 403 insufficient_permission, and the secret is unchanged', async () => {
      const t = await env.tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const res = await selfRotate(t, secret);
      assert.equal(res.statusCode, 403, said(res));
      assert.equal(errorOf(res), 'insufficient_permission');
      assert.equal(await use(t, secret), 'ok');
    });

    test('with it: a new secret for the same token, the old one works for its grace, then token_rotated', async () => {
      const t = await env.tenant();
      const { token, secret } = await rotatable(t, { expiresInDays: 90 });
      const res = await selfRotate(t, secret, { graceSeconds: 600 });
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['access-control-allow-origin'], '*');
      const rotated = body(res, SelfRotated);
      assert.match(rotated.secret, /^sk-crm-sync-/, 'the slug comes from the name');
      assert.notEqual(rotated.secret, secret);
      assert.deepEqual(Object.keys(rotated.token).sort(), [
        'display',
        'expiresAt',
        'id',
        'name',
        'permissions',
        'state',
      ]);
      assert.equal(rotated.token.id, token.id);
      assert.equal(rotated.token.state, 'active');
      assert.equal(rotated.token.expiresAt, token.expiresAt, 'the expiry stays');
      assert.ok(rotated.token.permissions.includes(SELF_ROTATE));
      assert.equal(rotated.token.display, `${rotated.secret.slice(0, 14)}... ${rotated.secret.slice(-3)}`);
      const graceEnd = new Date(rotated.previousSecretValidUntil).getTime();
      assert.ok(
        Math.abs(graceEnd - env.clock().getTime() - 600_000) < 5_000,
        rotated.previousSecretValidUntil,
      );
      // The answer's header speaks of the secret that asked: it now stops at the grace end.
      assert.equal(res.headers['ff-auth-token-valid-until'], rotated.previousSecretValidUntil);

      assert.equal(await use(t, rotated.secret), 'ok');
      assert.equal(await use(t, secret), 'ok');
      const [event, ...more] = await rotatedEvents(t, token.id);
      assert.equal(more.length, 0);
      assert.equal(event?.actor, null);
      assert.equal(event?.details.by, 'token');
      assert.equal(event?.details.graceUntil, rotated.previousSecretValidUntil);
      assert.equal(event?.details.display, rotated.token.display);

      env.clock.advance(600_000);
      assert.equal(await use(t, secret), 'token_rotated');
      assert.equal(await use(t, rotated.secret), 'ok');
    });

    test('the old secret in its grace cannot rotate again: 409, rotated already', async () => {
      const t = await env.tenant();
      const { token, secret } = await rotatable(t);
      const first = body(await selfRotate(t, secret), SelfRotated);
      const again = await selfRotate(t, secret);
      assert.deepEqual(refusal(again), {
        status: 409,
        error: 'invalid_transition',
        message: 'rotated already: use the current secret',
        field: undefined,
      });
      assert.equal(await use(t, secret), 'ok', 'still in its grace');
      assert.equal(await use(t, first.secret), 'ok');
      assert.equal((await rotatedEvents(t, token.id)).length, 1);
      // The current secret may rotate once more: the first one's grace ends at once.
      const second = await selfRotate(t, first.secret);
      assert.equal(second.statusCode, 200, said(second));
      assert.equal(await use(t, secret), 'token_rotated');
      assert.equal(await use(t, first.secret), 'ok');
    });

    test('10 concurrent self-rotations by one secret: one 200, nine 409, one event', async () => {
      const t = await env.tenant();
      const { token, secret } = await rotatable(t);
      const answers = await Promise.all(Array.from({ length: 10 }, () => selfRotate(t, secret)));
      const statuses = answers.map((r) => r.statusCode).sort();
      assert.deepEqual(statuses, [200, ...Array<number>(9).fill(409)], answers.map(said).join('\n'));
      for (const r of answers.filter((a) => a.statusCode === 409))
        assert.equal(refusal(r).message, 'rotated already: use the current secret');
      const winner = answers.find((r) => r.statusCode === 200);
      assert.ok(winner);
      assert.equal(await use(t, body(winner, SelfRotated).secret), 'ok');
      const events = await rotatedEvents(t, token.id);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.actor, null);
      assert.equal(events[0]?.details.by, 'token');
    });

    test('an empty body is {}: none at all, or empty JSON; the grace is an hour', async () => {
      const t = await env.tenant();
      const { secret } = await rotatable(t);
      const bare = await selfRotate(t, secret);
      assert.equal(bare.statusCode, 200, said(bare));
      const first = body(bare, SelfRotated);
      const graceEnd = new Date(first.previousSecretValidUntil).getTime();
      assert.ok(Math.abs(graceEnd - env.clock().getTime() - HOUR) < 5_000, first.previousSecretValidUntil);
      const emptyJson = await t.request({
        method: 'POST',
        url: '/apis/v1/token/rotate',
        headers: { FF_AUTH: first.secret, 'content-type': 'application/json' },
        payload: '',
      });
      assert.equal(emptyJson.statusCode, 200, said(emptyJson));
    });

    test('graceSeconds 0 retires the old secret at once; out of range or unknown fields: 400', async () => {
      const t = await env.tenant();
      const { secret } = await rotatable(t);
      for (const [payload, field] of [
        [{ graceSeconds: 604_801 }, 'graceSeconds'],
        [{ graceSeconds: -1 }, 'graceSeconds'],
        [{ graceSeconds: 1.5 }, 'graceSeconds'],
        [{ expiresInDays: 30 }, 'expiresInDays'],
      ] as const) {
        const res = await selfRotate(t, secret, payload);
        assert.equal(res.statusCode, 400, said(res));
        assert.equal(body(res, ErrorSchema).field, field, said(res));
      }
      const now = await selfRotate(t, secret, { graceSeconds: 0 });
      assert.equal(now.statusCode, 200, said(now));
      assert.equal(await use(t, secret), 'token_rotated');
      assert.equal(await use(t, body(now, SelfRotated).secret), 'ok');
    });

    test('a suspended token: 401 token_suspended; no token: 401 missing_token, before the body is read', async () => {
      const t = await env.tenant();
      const { token, secret, admin } = await rotatable(t);
      const suspended = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/suspend`,
      });
      assert.equal(suspended.statusCode, 200, said(suspended));
      const res = await selfRotate(t, secret);
      assert.equal(res.statusCode, 401, said(res));
      assert.equal(errorOf(res), 'token_suspended');
      assert.match(String(res.headers['www-authenticate']), /error_description="token_suspended"/);
      const none = await t.request({
        method: 'POST',
        url: '/apis/v1/token/rotate',
        payload: { graceSeconds: 'soon' },
      });
      assert.equal(none.statusCode, 401, said(none));
      assert.equal(errorOf(none), 'missing_token');
      assert.equal((await rotatedEvents(t, token.id)).length, 0);
    });

    test('the preflight is answered without a token and allows POST and Content-Type', async () => {
      const t = await env.tenant();
      const res = await t.request({
        method: 'OPTIONS',
        url: '/apis/v1/token/rotate',
        headers: {
          origin: 'https://integration.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      assert.equal(res.statusCode, 204, said(res));
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
      assert.equal(res.headers['access-control-expose-headers'], 'FF-Auth-Token-Valid-Until');
      assert.match(String(res.headers['access-control-allow-methods']), /\bPOST\b/);
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
      for (const h of ['ff_auth', 'ff-auth', 'authorization', 'content-type'])
        assert.ok(allowed.includes(h), h);
    });
  });
}
