// People (SPEC 11) on both databases: administrators add a user (the generated password logs in, shown
// once with no-store), list them with active, lastLoginAt and signIn, change name, role and features,
// deactivate (the session ends at once, on a second app over the same database too) and reactivate; the
// last active administrator stays; staff are refused; bad input names its field; each change, login and
// logout leaves its audit event with no token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from './app.js';
import { memoryLimiter } from './rate-limit.js';
import { buildServices } from '../services.js';
import {
  createEnv,
  databaseKinds,
  type Env,
  PASSWORD,
  said,
  type Tenant,
  TOKENS_FEATURE,
} from '../test-support/harness.js';

interface Person {
  id: string;
  email: string;
  name: string;
  role: string;
  features: string[];
  active: boolean;
  lastLoginAt: string | null;
  signIn: string;
  createdAt: string;
}

interface EventRow {
  type: string;
  token_id: string | null;
  actor_id: string | null;
  details: Record<string, unknown>;
}

for (const kind of databaseKinds()) {
  describe(`people (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    const events = (t: Tenant, type: string) =>
      env.db.query<EventRow>(
        'SELECT type, token_id, actor_id, details FROM audit_events WHERE institution_id = $1 AND type = $2 ORDER BY seq',
        [t.institution.id, type],
      );
    const login = (t: Tenant, email: string, password: string) =>
      t.request({ method: 'POST', url: '/apis/v1/session', payload: { email, password } });
    test('an administrator adds a user whose generated password logs in, shown once', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const res = await admin.request({
        method: 'POST',
        url: '/apis/v1/users',
        payload: {
          email: 'new.person@example.org',
          name: 'New Person',
          role: 'staff',
          features: [TOKENS_FEATURE],
        },
      });
      assert.equal(res.statusCode, 201, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      const { user, password } = res.json<{ user: Person; password: string }>();
      assert.equal(user.email, 'new.person@example.org');
      assert.equal(user.role, 'staff');
      assert.deepEqual(user.features, [TOKENS_FEATURE]);
      assert.equal(user.active, true);
      assert.equal(user.lastLoginAt, null);
      assert.equal(user.signIn, 'password');
      assert.ok(password.length >= 20);

      const logged = await login(t, 'new.person@example.org', password);
      assert.equal(logged.statusCode, 200, said(logged));
      // The password is never answered again: not in the list.
      const list = await admin.request({ method: 'GET', url: '/apis/v1/users' });
      assert.equal(list.statusCode, 200, said(list));
      assert.ok(!list.body.includes(password));
      const listed = list.json<{ items: Person[] }>().items.find((p) => p.id === user.id);
      assert.ok(listed, list.body);
      assert.ok(listed.lastLoginAt !== null, 'the login set lastLoginAt');

      const [created] = await events(t, 'user.created');
      assert.equal(created?.token_id, null);
      assert.equal(created?.actor_id, admin.user.id);
      assert.equal(created?.details.userId, user.id);
      const logins = (await events(t, 'session.login')).filter((e) => e.actor_id === user.id);
      assert.equal(logins.length, 1);
      assert.deepEqual(logins[0]?.details, { method: 'password' });
      assert.equal(logins[0]?.token_id, null);
    });

    test('the list shows every user with active, lastLoginAt and signIn', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const staff = await t.user('staff');
      const res = await admin.request({ method: 'GET', url: '/apis/v1/users' });
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      const items = res.json<{ items: (Person & { passwordHash?: string })[] }>().items;
      assert.deepEqual(items.map((p) => p.id).sort(), [admin.user.id, staff.user.id].sort());
      for (const p of items) {
        assert.equal(p.active, true);
        assert.equal(p.signIn, 'password');
        assert.ok(p.lastLoginAt, 'both logged in');
        assert.equal(p.passwordHash, undefined);
        assert.ok(!res.body.includes('scrypt'));
      }
    });

    test('PATCH changes name, role and features, recording the changes', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const staff = await t.user('staff');
      const url = `/apis/v1/users/${staff.user.id}`;
      const res = await admin.request({
        method: 'PATCH',
        url,
        payload: { name: 'Renamed', features: [TOKENS_FEATURE] },
      });
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.json<Person>().name, 'Renamed');
      assert.deepEqual(res.json<Person>().features, [TOKENS_FEATURE]);
      // The staff member's own session sees the feature at once.
      const tokens = await staff.request({ method: 'GET', url: '/apis/v1/api-tokens' });
      assert.equal(tokens.statusCode, 200, said(tokens));
      const promoted = await admin.request({ method: 'PATCH', url, payload: { role: 'admin' } });
      assert.equal(promoted.json<Person>().role, 'admin', said(promoted));
      const [first, second] = await events(t, 'user.updated');
      assert.deepEqual(first?.details.changes, {
        name: { from: 'staff user', to: 'Renamed' },
        features: { from: [], to: [TOKENS_FEATURE] },
      });
      assert.deepEqual(second?.details.changes, { role: { from: 'staff', to: 'admin' } });
      assert.equal(first?.token_id, null);
      // Nothing changed: no event.
      await admin.request({ method: 'PATCH', url, payload: { role: 'admin' } });
      assert.equal((await events(t, 'user.updated')).length, 2);
    });

    test('deactivation ends the session at once, on a second instance too; reactivation allows login again', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const staff = await t.user('staff', [TOKENS_FEATURE]);
      // A second instance over the same database, with its own caches.
      const services = buildServices(env.config, env.db, env.clock);
      const other: FastifyInstance = await buildApp({
        config: env.config,
        services,
        logger: pino({ level: 'silent' }),
        limiter: memoryLimiter(env.config.failureWindowMs),
      });
      try {
        const onOther = () =>
          other.inject({
            method: 'GET',
            url: '/apis/v1/session',
            headers: { host: t.host, cookie: staff.cookie },
          });
        assert.equal((await onOther()).statusCode, 200);
        const res = await admin.request({
          method: 'POST',
          url: `/apis/v1/users/${staff.user.id}/deactivate`,
        });
        assert.equal(res.statusCode, 200, said(res));
        assert.equal(res.json<Person>().active, false);
        assert.equal((await onOther()).statusCode, 401);
        const here = await staff.request({ method: 'GET', url: '/apis/v1/api-tokens' });
        assert.equal(here.statusCode, 401, said(here));
        const refused = await login(t, staff.user.email, PASSWORD);
        assert.equal(refused.statusCode, 401, said(refused));
        assert.equal(refused.json<{ error: string }>().error, 'invalid_credentials');
        const again = await admin.request({
          method: 'POST',
          url: `/apis/v1/users/${staff.user.id}/deactivate`,
        });
        assert.equal(again.statusCode, 409, said(again));

        const back = await admin.request({
          method: 'POST',
          url: `/apis/v1/users/${staff.user.id}/reactivate`,
        });
        assert.equal(back.statusCode, 200, said(back));
        assert.equal(back.json<Person>().active, true);
        const relogin = await login(t, staff.user.email, PASSWORD);
        assert.equal(relogin.statusCode, 200, said(relogin));
        const twice = await admin.request({
          method: 'POST',
          url: `/apis/v1/users/${staff.user.id}/reactivate`,
        });
        assert.equal(twice.statusCode, 409, said(twice));
      } finally {
        await other.close();
      }
      for (const type of ['user.deactivated', 'user.reactivated']) {
        const [e] = await events(t, type);
        assert.equal(e?.details.userId, staff.user.id, type);
        assert.equal(e?.actor_id, admin.user.id, type);
        assert.equal(e?.token_id, null, type);
      }
      const failed = await events(t, 'session.login_failed');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.details.email, staff.user.email);
      assert.equal(failed[0]?.actor_id, null);
    });

    test('the last active administrator can be neither deactivated nor demoted', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const self = `/apis/v1/users/${admin.user.id}`;
      const demote = await admin.request({ method: 'PATCH', url: self, payload: { role: 'staff' } });
      assert.equal(demote.statusCode, 409, said(demote));
      assert.equal(demote.json<{ error: string }>().error, 'invalid_transition');
      const off = await admin.request({ method: 'POST', url: `${self}/deactivate` });
      assert.equal(off.statusCode, 409, said(off));
      // With a second administrator, one may go; then the other is the last.
      const second = await t.user('admin');
      const ok = await admin.request({ method: 'POST', url: `/apis/v1/users/${second.user.id}/deactivate` });
      assert.equal(ok.statusCode, 200, said(ok));
      assert.equal((await admin.request({ method: 'POST', url: `${self}/deactivate` })).statusCode, 409);
      await admin.request({ method: 'POST', url: `/apis/v1/users/${second.user.id}/reactivate` });
      const now = await admin.request({ method: 'PATCH', url: self, payload: { role: 'staff' } });
      assert.equal(now.statusCode, 200, said(now));
      // The demoted user's session is staff at once.
      assert.equal((await admin.request({ method: 'GET', url: '/apis/v1/users' })).statusCode, 403);
    });

    test('staff and tokens get 403 on every People route; no session is 401', async () => {
      const t = await env.tenant();
      const staff = await t.user('staff', [TOKENS_FEATURE]);
      const { secret } = await (await t.adminAgent()).createToken();
      const id = t.admin.id;
      const routes = [
        { method: 'GET' as const, url: '/apis/v1/users' },
        {
          method: 'POST' as const,
          url: '/apis/v1/users',
          payload: { email: 'x@example.org', name: 'X', role: 'staff' },
        },
        { method: 'PATCH' as const, url: `/apis/v1/users/${id}`, payload: { name: 'X' } },
        { method: 'POST' as const, url: `/apis/v1/users/${id}/deactivate` },
        { method: 'POST' as const, url: `/apis/v1/users/${id}/reactivate` },
      ];
      for (const r of routes) {
        const res = await staff.request(r);
        assert.equal(res.statusCode, 403, `${r.method} ${r.url}: ${said(res)}`);
        assert.equal(res.json<{ error: string }>().error, 'insufficient_permission');
        assert.equal((await t.request(r)).statusCode, 401, `${r.method} ${r.url} anonymous`);
        // A token never reaches a staff route, whatever it holds.
        const byToken = await t.request({ ...r, headers: { FF_AUTH: secret } });
        assert.equal(byToken.statusCode, 403, `${r.method} ${r.url} token: ${said(byToken)}`);
      }
    });

    test('bad input answers 400 with the field at fault', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const base = { email: 'ok@example.org', name: 'Ok', role: 'staff' };
      const cases: [Record<string, unknown>, string][] = [
        [{ ...base, email: 'not-an-email' }, 'email'],
        [{ ...base, role: 'root' }, 'role'],
        [{ ...base, features: ['core.nothing'] }, 'features'],
        [{ ...base, extra: 1 }, 'extra'],
        [{ ...base, name: '' }, 'name'],
        [{ name: 'No email', role: 'staff' }, 'email'],
      ];
      for (const [payload, field] of cases) {
        const res = await admin.request({ method: 'POST', url: '/apis/v1/users', payload });
        assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${said(res)}`);
        assert.equal(res.json<{ field?: string }>().field, field, said(res));
      }
      const dup = await admin.request({
        method: 'POST',
        url: '/apis/v1/users',
        payload: { ...base, email: admin.user.email },
      });
      assert.equal(dup.statusCode, 400, said(dup));
      assert.equal(dup.json<{ field?: string }>().field, 'email');
      const url = `/apis/v1/users/${admin.user.id}`;
      for (const [payload, field] of [
        [{ role: 'root' }, 'role'],
        [{ features: ['nope'] }, 'features'],
        [{ email: 'x@example.org' }, 'email'],
      ] as const) {
        const res = await admin.request({ method: 'PATCH', url, payload });
        assert.equal(res.statusCode, 400, said(res));
        assert.equal(res.json<{ field?: string }>().field, field, said(res));
      }
      const missing = await admin.request({
        method: 'PATCH',
        url: '/apis/v1/users/00000000-0000-4000-8000-000000000000',
        payload: { name: 'X' },
      });
      assert.equal(missing.statusCode, 404, said(missing));
      const malformed = await admin.request({ method: 'POST', url: '/apis/v1/users/nope/deactivate' });
      assert.equal(malformed.statusCode, 400, said(malformed));
      assert.equal(malformed.json<{ field?: string }>().field, 'id');
      // Another institution's user is not found here.
      const other = await env.tenant();
      const foreign = await admin.request({
        method: 'POST',
        url: `/apis/v1/users/${other.admin.id}/deactivate`,
      });
      assert.equal(foreign.statusCode, 404, said(foreign));
    });

    test('logout records session.logout under the user', async () => {
      const t = await env.tenant();
      const staff = await t.user('staff');
      const res = await staff.request({ method: 'DELETE', url: '/apis/v1/session' });
      assert.equal(res.statusCode, 204, said(res));
      const [e] = await events(t, 'session.logout');
      assert.equal(e?.actor_id, staff.user.id);
      assert.equal(e?.token_id, null);
    });
  });
}
