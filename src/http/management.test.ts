// The management API end to end on a real database: create (with slug), list, detail, lifecycle with
// audit events, tenant isolation, and that no secret is stored anywhere.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  body,
  CreatedSchema,
  ErrorSchema,
  errorOf,
  EventPage,
  TokenPage,
  TokenSchema,
} from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';

for (const kind of databaseKinds()) {
  describe(`management API (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    test('create shows the secret once with its slug; list and detail show only the display form', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const res = await admin.request({
        method: 'POST',
        url: '/apis/v1/api-tokens',
        payload: { name: 'HubSpot integration', expiresInDays: 30 },
      });
      assert.equal(res.statusCode, 201, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      const { token, secret } = body(res, CreatedSchema);
      assert.match(secret, /^sk-hubspot-integration-[0-9A-Za-z]{49}$/);
      assert.equal(token.display, `${secret.slice(0, 14)}... ${secret.slice(-3)}`);
      assert.equal(token.state, 'active');
      assert.deepEqual(token.permissions, ['core.core.files_download']);
      // Absent values are null (SPEC 5), not empty strings.
      assert.equal(token.description, null);
      assert.equal(token.issuedFor, null);
      assert.equal(token.createdBy?.email, admin.user.email);
      assert.ok(token.expiresAt, 'expiresInDays gives an expiry');
      assert.equal(
        new Date(token.expiresAt).getTime() - new Date(token.createdAt).getTime(),
        30 * 86_400_000,
      );
      const list = await admin.request({ method: 'GET', url: '/apis/v1/api-tokens' });
      assert.equal(list.statusCode, 200, said(list));
      assert.ok(!list.body.includes(secret.slice(20)), 'the list never shows the secret');
      assert.equal(body(list, TokenPage).items[0]?.id, token.id);
      const detail = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      assert.equal(detail.statusCode, 200, said(detail));
      assert.ok(!detail.body.includes(secret.slice(20)));
      const shown = body(detail, TokenSchema);
      assert.ok(!('hash' in shown) && !('tokenHash' in shown));
    });

    test('a name without ASCII letters gives a token without a slug', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { secret } = await admin.createToken({ name: '集成' });
      assert.match(secret, /^sk-[0-9A-Za-z]{49}$/);
    });

    test('the database holds no secret anywhere', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { secret } = await admin.createToken({ name: 'Needle', description: 'find me' });
      const tables = await env.db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      for (const { table_name } of tables) {
        const rows = await env.db.query<{ hit: number }>(
          `SELECT count(*)::int AS hit FROM ${table_name} x WHERE x::text LIKE $1`,
          [`%${secret.slice(3 + 7)}%`],
        );
        assert.equal(rows[0]?.hit, 0, `${table_name} contains the secret`);
      }
    });

    test('suspend, reactivate, revoke follow the lifecycle and each writes an event with actor and reason', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { token } = await admin.createToken();
      const post = (action: string, reason?: string) =>
        admin.request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${token.id}/${action}`,
          payload: reason ? { reason } : {},
        });
      const revokeActive = await post('revoke');
      assert.equal(revokeActive.statusCode, 409, said(revokeActive));
      assert.equal(errorOf(revokeActive), 'invalid_transition');
      const suspended = await post('suspend', 'investigating');
      assert.equal(suspended.statusCode, 200, said(suspended));
      const suspendedToken = body(suspended, TokenSchema);
      assert.equal(suspendedToken.state, 'suspended');
      assert.equal(suspendedToken.stateReason, 'investigating');
      assert.equal(suspendedToken.stateChangedBy?.id, admin.user.id);
      assert.equal(body(await post('reactivate'), TokenSchema).state, 'active');
      await post('suspend');
      const revoked = await post('revoke', 'leaked');
      assert.equal(body(revoked, TokenSchema).state, 'revoked', said(revoked));
      assert.equal((await post('reactivate')).statusCode, 409);
      const events = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/events` });
      const { items } = body(events, EventPage);
      assert.deepEqual(
        items.map((e) => e.type),
        ['token.revoked', 'token.suspended', 'token.reactivated', 'token.suspended', 'token.created'],
      );
      assert.equal(items[0]?.details.reason, 'leaked');
      assert.ok(items.every((e) => e.actor?.id === admin.user.id));
    });

    test('the audit history pages newest first with a cursor', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { token } = await admin.createToken();
      for (let i = 0; i < 26; i++) {
        await admin.request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${token.id}/suspend`,
          payload: { reason: `r${i}` },
        });
        await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/reactivate` });
      }
      const first = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/events` });
      const page1 = body(first, EventPage);
      assert.equal(page1.items.length, 50, said(first));
      assert.equal(page1.items[0]?.type, 'token.reactivated');
      const second = await admin.request({
        method: 'GET',
        url: `/apis/v1/api-tokens/${token.id}/events?cursor=${page1.nextCursor}`,
      });
      const page2 = body(second, EventPage);
      assert.deepEqual(
        page2.items.map((e) => e.type),
        ['token.reactivated', 'token.suspended', 'token.created'],
      );
      assert.equal(page2.nextCursor, null);
    });

    test('a bodyless POST works for actions (curl -X POST)', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { token } = await admin.createToken();
      const res = await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend` });
      assert.equal(res.statusCode, 200, said(res));
    });

    test('a token past its expiry shows expired, with the time it happened, and cannot be changed', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const expiresAt = new Date(env.clock().getTime() + 61_000).toISOString();
      const { token } = await admin.createToken({ expiresAt });
      env.clock.advance(62_000);
      const detail = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      const expired = body(detail, TokenSchema);
      assert.equal(expired.state, 'expired', said(detail));
      assert.equal(expired.stateChangedAt, expiresAt);
      const suspend = await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend` });
      assert.equal(suspend.statusCode, 409, said(suspend));
      const filtered = await admin.request({ method: 'GET', url: '/apis/v1/api-tokens?state=expired' });
      assert.deepEqual(
        body(filtered, TokenPage).items.map((t) => t.id),
        [token.id],
      );
    });

    test('list filters, searches, sorts and pages with a cursor bound to its query', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const made = [];
      for (let i = 0; i < 5; i++) {
        env.clock.advance(1);
        made.push(
          await admin.createToken({
            name: `Job ${i}`,
            issuedFor: i % 2 ? 'CRM' : 'Reports',
            ...(i === 4 ? {} : { expiresInDays: [30, 90, 365, 30][i] }),
          }),
        );
      }
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${made[1]?.token.id}/suspend` });
      const get = async (query: string) => {
        const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?${query}` });
        assert.equal(res.statusCode, 200, said(res));
        return body(res, TokenPage);
      };
      assert.deepEqual(
        (await get('')).items.map((t) => t.name),
        ['Job 4', 'Job 3', 'Job 2', 'Job 1', 'Job 0'],
      );
      assert.deepEqual(
        (await get('order=asc&limit=2')).items.map((t) => t.name),
        ['Job 0', 'Job 1'],
      );
      assert.deepEqual(
        (await get('state=suspended')).items.map((t) => t.name),
        ['Job 1'],
      );
      assert.deepEqual(
        (await get('state=suspended&state=active&issuedFor=crm')).items.map((t) => t.name),
        ['Job 3', 'Job 1'],
      );
      assert.deepEqual(
        (await get('q=JOB%202')).items.map((t) => t.name),
        ['Job 2'],
      );
      assert.deepEqual(
        (await get('sort=expiresAt&order=asc')).items.map((t) => t.name),
        ['Job 0', 'Job 3', 'Job 1', 'Job 2', 'Job 4'],
      );
      assert.deepEqual(
        (await get('sort=expiresAt')).items.map((t) => t.name),
        ['Job 2', 'Job 1', 'Job 3', 'Job 0', 'Job 4'],
      );
      const pages: string[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const page = await get(`sort=expiresAt&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        pages.push(...page.items.map((t) => t.name));
        cursor = page.nextCursor;
      }
      assert.deepEqual(pages, ['Job 2', 'Job 1', 'Job 3', 'Job 0', 'Job 4']);
      const first = await get('limit=2');
      const misuse = await admin.request({
        method: 'GET',
        url: `/apis/v1/api-tokens?limit=2&sort=expiresAt&cursor=${first.nextCursor}`,
      });
      assert.equal(misuse.statusCode, 400, said(misuse));
      assert.equal(body(misuse, ErrorSchema).field, 'cursor');
    });

    test('tenants are isolated: another institution gets 404 for ids and its tokens are invalid here', async () => {
      const a = await env.tenant();
      const b = await env.tenant();
      const adminA = await a.adminAgent();
      const adminB = await b.adminAgent();
      const { token, secret } = await adminA.createToken();
      const peek = await adminB.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      assert.equal(peek.statusCode, 404, said(peek));
      const suspend = await adminB.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${token.id}/suspend`,
      });
      assert.equal(suspend.statusCode, 404, said(suspend));
      const use = await b.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.equal(use.statusCode, 401, said(use));
      assert.equal(errorOf(use), 'invalid_token');
      const cookieOnOtherHost = await b.request({
        method: 'GET',
        url: '/apis/v1/api-tokens',
        headers: { cookie: adminA.cookie },
      });
      assert.equal(cookieOnOtherHost.statusCode, 401, said(cookieOnOtherHost));
      const unknownHost = await env.app.inject({
        method: 'GET',
        url: '/apis/v1/session',
        headers: { host: 'nobody.example.test' },
      });
      assert.equal(unknownHost.statusCode, 404);
      assert.equal(errorOf(unknownHost), 'unknown_institution');
    });

    test('staff need the feature; CSRF guards changes; tokens never reach staff routes', async () => {
      const t = await env.tenant();
      const staff = await t.user('staff');
      const denied = await staff.request({ method: 'GET', url: '/apis/v1/api-tokens' });
      assert.equal(denied.statusCode, 403, said(denied));
      assert.equal(errorOf(denied), 'insufficient_permission');
      const granted = await t.user('staff', ['core.institutions.settings_api_tokens_change']);
      assert.equal((await granted.request({ method: 'GET', url: '/apis/v1/api-tokens' })).statusCode, 200);
      const noCsrf = await t.request({
        method: 'POST',
        url: '/apis/v1/api-tokens',
        headers: { cookie: granted.cookie },
        payload: { name: 'x' },
      });
      assert.equal(noCsrf.statusCode, 403, said(noCsrf));
      assert.equal(errorOf(noCsrf), 'csrf');
      const { secret } = await granted.createToken();
      const withToken = await t.request({
        method: 'GET',
        url: '/apis/v1/api-tokens',
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.equal(withToken.statusCode, 403, said(withToken));
      const anonymous = await t.request({ method: 'GET', url: '/apis/v1/api-tokens' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(errorOf(anonymous), 'unauthenticated');
    });

    test('20 concurrent transitions end in a serially reachable state with one event per applied change', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const { token } = await admin.createToken();
      const actions = Array.from(
        { length: 20 },
        (_, i) => ['suspend', 'revoke', 'reactivate'][i % 3] as string,
      );
      const results = await Promise.all(
        actions.map((a) => admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/${a}` })),
      );
      assert.ok(
        results.every((r) => r.statusCode === 200 || r.statusCode === 409),
        results.map(said).join('\n'),
      );
      const applied = results.map((r, i) => (r.statusCode === 200 ? actions[i] : null)).filter(Boolean);
      const events = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/events?` });
      const types = body(events, EventPage)
        .items.map((e) => e.type)
        .filter((t) => t !== 'token.created');
      assert.equal(types.length, applied.length);
      // Replaying the events oldest first must be a valid serial history ending in the final state.
      let state = 'active';
      const next: Record<string, [string, string]> = {
        'token.suspended': ['active', 'suspended'],
        'token.reactivated': ['suspended', 'active'],
        'token.revoked': ['suspended', 'revoked'],
      };
      for (const type of types.reverse()) {
        const step = next[type];
        assert.ok(step, `${type} is not a transition`);
        const [from, to] = step;
        assert.equal(state, from, `${type} applied from ${state}`);
        state = to;
      }
      const final = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      assert.equal(body(final, TokenSchema).state, state);
    });
  });
}
