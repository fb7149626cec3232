// The institution's settings (SPEC 11) on both databases: every signed-in user reads them (the policy,
// the operator's SSO without its secret); administrators PATCH the name, notification addresses and the
// policy (merged), with institution.updated naming the changes; staff are refused; bad input names its
// field. allowQueryToken false refuses `?token=` with field token, before any lookup and without
// counting against the rate limit, while the headers keep working; a second instance follows within
// its cache's second.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { buildApp } from './app.js';
import { memoryLimiter } from './rate-limit.js';
import { buildServices } from '../services.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../test-support/harness.js';

interface Settings {
  slug: string;
  name: string;
  hosts: string[];
  notificationAddresses: string[];
  policy: Record<string, unknown>;
  sso: Record<string, unknown> | null;
}

const DEFAULT_POLICY = {
  requireExpiry: false,
  maxLifetimeDays: null,
  requireAllowedIps: false,
  allowQueryToken: true,
  leakResponse: 'suspend',
  suspendUnusedAfterDays: null,
};

for (const kind of databaseKinds()) {
  describe(`institution settings (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 3 });
    });
    after(() => env.close());

    const events = (t: Tenant) =>
      env.db.query<{ token_id: string | null; actor_id: string | null; details: { changes: unknown } }>(
        `SELECT token_id, actor_id, details FROM audit_events WHERE institution_id = $1
         AND type = 'institution.updated' ORDER BY seq`,
        [t.institution.id],
      );
    const patch = (agent: { request: Tenant['request'] }, payload: unknown) =>
      agent.request({ method: 'PATCH', url: '/apis/v1/institution', payload: payload as object });

    test('staff and administrators read the settings; SSO shows without its secret', async () => {
      const t = await env.tenant();
      const staff = await t.user('staff');
      const res = await staff.request({ method: 'GET', url: '/apis/v1/institution' });
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.deepEqual(res.json<Settings>(), {
        slug: t.institution.slug,
        name: t.institution.name,
        hosts: [t.host],
        notificationAddresses: [],
        policy: DEFAULT_POLICY,
        sso: null,
      });
      await env.db.query(
        `UPDATE institutions SET oidc_issuer = 'https://idp.example.org', oidc_client_id = 'tokend',
           oidc_client_secret = 'very-secret-value', oidc_admin_group = 'admins', password_login = false
         WHERE id = $1`,
        [t.institution.id],
      );
      const sso = await staff.request({ method: 'GET', url: '/apis/v1/institution' });
      assert.deepEqual(sso.json<Settings>().sso, {
        issuer: 'https://idp.example.org',
        clientId: 'tokend',
        adminGroup: 'admins',
        staffGroup: null,
        passwordLogin: false,
      });
      assert.ok(!sso.body.includes('very-secret-value'));
      assert.equal((await t.request({ method: 'GET', url: '/apis/v1/institution' })).statusCode, 401);
    });

    test('an administrator merges a policy change, recorded as institution.updated', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const res = await patch(admin, {
        name: 'Renamed institution',
        notificationAddresses: ['security@example.org'],
        policy: { requireExpiry: true, maxLifetimeDays: 90 },
      });
      assert.equal(res.statusCode, 200, said(res));
      const settings = res.json<Settings>();
      assert.equal(settings.name, 'Renamed institution');
      assert.deepEqual(settings.notificationAddresses, ['security@example.org']);
      assert.deepEqual(settings.policy, { ...DEFAULT_POLICY, requireExpiry: true, maxLifetimeDays: 90 });
      // Merged: a later change keeps what it leaves out.
      const next = await patch(admin, { policy: { suspendUnusedAfterDays: 60, leakResponse: 'revoke' } });
      assert.deepEqual(next.json<Settings>().policy, {
        ...DEFAULT_POLICY,
        requireExpiry: true,
        maxLifetimeDays: 90,
        suspendUnusedAfterDays: 60,
        leakResponse: 'revoke',
      });
      // The new policy holds at once: a token without expiry is refused now.
      const token = await admin.request({
        method: 'POST',
        url: '/apis/v1/api-tokens',
        payload: { name: 'No expiry' },
      });
      assert.equal(token.statusCode, 400, said(token));
      const [first, second] = await events(t);
      assert.deepEqual(first?.details.changes, {
        name: { from: t.institution.name, to: 'Renamed institution' },
        notificationAddresses: { from: [], to: ['security@example.org'] },
        requireExpiry: { from: false, to: true },
        maxLifetimeDays: { from: null, to: 90 },
      });
      assert.equal(first?.token_id, null);
      assert.equal(first?.actor_id, admin.user.id);
      assert.deepEqual(second?.details.changes, {
        leakResponse: { from: 'suspend', to: 'revoke' },
        suspendUnusedAfterDays: { from: null, to: 60 },
      });
      // A change to nothing new records nothing.
      await patch(admin, { policy: { requireExpiry: true } });
      assert.equal((await events(t)).length, 2);
    });

    test('staff get 403 on PATCH; bad input answers 400 with the field', async () => {
      const t = await env.tenant();
      const staff = await t.user('staff');
      const { secret } = await (await t.adminAgent()).createToken();
      for (const method of ['GET', 'PATCH'] as const) {
        const byToken = await t.request({
          method,
          url: '/apis/v1/institution',
          headers: { FF_AUTH: secret },
        });
        assert.equal(byToken.statusCode, 403, said(byToken));
      }
      const refused = await patch(staff, { name: 'Mine now' });
      assert.equal(refused.statusCode, 403, said(refused));
      assert.equal(refused.json<{ error: string }>().error, 'insufficient_permission');
      const admin = await t.adminAgent();
      const cases: [unknown, string][] = [
        [{ policy: { allowQueryToken: 'no' } }, 'allowQueryToken'],
        [{ policy: { maxLifetimeDays: 0 } }, 'maxLifetimeDays'],
        [{ policy: { maxLifetimeDays: 5000 } }, 'maxLifetimeDays'],
        [{ policy: { suspendUnusedAfterDays: 10 } }, 'suspendUnusedAfterDays'],
        [{ policy: { suspendUnusedAfterDays: 731 } }, 'suspendUnusedAfterDays'],
        [{ policy: { suspendUnusedAfterDays: '60' } }, 'suspendUnusedAfterDays'],
        [{ policy: { leakResponse: 'ignore' } }, 'leakResponse'],
        [{ policy: { unknown: true } }, 'unknown'],
        [{ hosts: ['evil.example.org'] }, 'hosts'],
        [{ sso: null }, 'sso'],
        [{ notificationAddresses: ['not-an-email'] }, 'notificationAddresses'],
        [{ name: '' }, 'name'],
      ];
      for (const [payload, field] of cases) {
        const res = await patch(admin, payload);
        assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${said(res)}`);
        assert.equal(res.json<{ field?: string }>().field, field, said(res));
      }
      assert.equal((await events(t)).length, 0);
    });

    test('allowQueryToken false refuses ?token= with field token, uncounted; headers keep working', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { secret } = await admin.createToken();
      const query = () => t.request({ method: 'GET', url: `/apis/v1/token?token=${secret}` });
      assert.equal((await query()).statusCode, 200);
      // A second instance over the same database follows within its institution cache's second.
      const other = await buildApp({
        config: env.config,
        services: buildServices(env.config, env.db, env.clock),
        logger: pino({ level: 'silent' }),
        limiter: memoryLimiter(env.config.failureWindowMs),
      });
      try {
        const onOther = () =>
          other.inject({ method: 'GET', url: `/apis/v1/token?token=${secret}`, headers: { host: t.host } });
        assert.equal((await onOther()).statusCode, 200);
        const res = await patch(admin, { policy: { allowQueryToken: false } });
        assert.equal(res.statusCode, 200, said(res));
        assert.equal(res.json<Settings>().policy.allowQueryToken, false);

        // More refusals than the failure limit (3): none is counted.
        for (let i = 0; i < 5; i++) {
          const refused = await query();
          assert.equal(refused.statusCode, 400, said(refused));
          const body = refused.json<{ error: string; field: string; message: string }>();
          assert.equal(body.error, 'invalid_request');
          assert.equal(body.field, 'token');
          assert.match(body.message, /FF_AUTH/);
          assert.match(body.message, /Authorization: Bearer/);
          assert.ok(!refused.body.includes(secret));
        }
        // Before any lookup: a token that does not exist is refused the same way.
        const unknown = await t.request({ method: 'GET', url: '/apis/v1/token?token=tkd_nothing' });
        assert.equal(unknown.statusCode, 400, said(unknown));
        for (const headers of [{ FF_AUTH: secret }, { authorization: `Bearer ${secret}` }]) {
          const ok = await t.request({ method: 'GET', url: '/apis/v1/token', headers });
          assert.equal(ok.statusCode, 200, said(ok));
        }
        // The address's failure count is untouched: the first real failures answer 401, not 429.
        for (let i = 0; i < 2; i++) {
          const wrong = await t.request({
            method: 'GET',
            url: '/apis/v1/token',
            headers: { FF_AUTH: 'tkd_wrong' },
          });
          assert.equal(wrong.statusCode, 401, said(wrong));
        }
        const deadline = Date.now() + 3000;
        let seen = (await onOther()).statusCode;
        while (seen !== 400 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          seen = (await onOther()).statusCode;
        }
        assert.equal(seen, 400, 'the second instance follows the change');
        // Forward auth's query carrier too.
        const forward = await t.request({ method: 'GET', url: `/apis/v1/auth?token=${secret}` });
        assert.equal(forward.statusCode, 400, said(forward));
        assert.equal(forward.json<{ field: string }>().field, 'token');
        const back = await patch(admin, { policy: { allowQueryToken: true } });
        assert.equal(back.statusCode, 200, said(back));
        assert.equal((await query()).statusCode, 200);
      } finally {
        await other.close();
      }
    });
  });
}
