// The applications view (SPEC 12): GET /apis/v1/applications groups the institution's tokens by what
// they are issued for (trimmed, case-insensitive; none as null, last), by name, counting every state,
// with the latest use and the next expiry of its active tokens; `q` narrows the names; the list's
// issuedFor filter finds the same tokens as a group counts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { ApplicationSchema } from './inventory-schemas.js';
import { body, ErrorSchema, TokenPage } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';

const Applications = Type.Object({ items: Type.Array(ApplicationSchema) });
const DAY = 86_400_000;

for (const kind of databaseKinds()) {
  describe(`the applications view (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    test('groups by trimmed, case-insensitive issued-for, counts every state, none last', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const make = async (issuedFor: string | undefined, extra: Record<string, unknown> = {}) =>
        (await admin.createToken({ name: 'x', ...(issuedFor === undefined ? {} : { issuedFor }), ...extra }))
          .token.id;
      const act = async (id: string, action: string) => {
        const res = await admin.request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${id}/${action}`,
          payload: {},
        });
        assert.equal(res.statusCode, 200, said(res));
      };
      await make('HubSpot', { expiresInDays: 90 });
      const soon = await make('hubspot ', { expiresInDays: 30 });
      const suspended = await make(' HUBSPOT', { expiresInDays: 30 });
      await act(suspended, 'suspend');
      const revoked = await make('hubspot');
      await act(revoked, 'suspend');
      await act(revoked, 'revoke');
      const expired = await make('Metabase', { expiresInDays: 30 });
      const used = new Date(Date.now() - DAY).toISOString();
      const usedBefore = new Date(Date.parse(used) - DAY).toISOString();
      await env.db.query(
        `UPDATE api_tokens SET expires_at = now() - interval '1 hour', last_used_at = $2 WHERE id = $1`,
        [expired, usedBefore],
      );
      await env.db.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [soon, used]);
      await make(undefined);
      await make('airflow');
      const other = await env.tenant();
      await (await other.adminAgent()).createToken({ name: 'theirs', issuedFor: 'HubSpot' });

      const res = await admin.request({ method: 'GET', url: '/apis/v1/applications' });
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      const { items } = body(res, Applications);
      const soonExpiry = body(
        await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${soon}` }),
        Type.Object({ expiresAt: Type.String() }, { additionalProperties: true }),
      ).expiresAt;
      assert.deepEqual(items, [
        { issuedFor: 'airflow', tokens: 1, active: 1, suspended: 0, lastUsedAt: null, nextExpiresAt: null },
        {
          issuedFor: 'HubSpot',
          tokens: 4,
          active: 2,
          suspended: 1,
          lastUsedAt: used,
          nextExpiresAt: soonExpiry,
        },
        {
          issuedFor: 'Metabase',
          tokens: 1,
          active: 0,
          suspended: 0,
          lastUsedAt: usedBefore,
          nextExpiresAt: null,
        },
        { issuedFor: null, tokens: 1, active: 1, suspended: 0, lastUsedAt: null, nextExpiresAt: null },
      ]);
      // The link of a group: the list filtered by its name finds every token it counts.
      const list = await admin.request({ method: 'GET', url: '/apis/v1/api-tokens?issuedFor=hubSpot' });
      assert.equal(body(list, TokenPage).items.length, 4);

      const searched = await admin.request({ method: 'GET', url: '/apis/v1/applications?q=SPO' });
      assert.deepEqual(
        body(searched, Applications).items.map((g) => g.issuedFor),
        ['HubSpot'],
      );
      const none = await admin.request({ method: 'GET', url: '/apis/v1/applications?q=nothing' });
      assert.deepEqual(body(none, Applications).items, []);
    });

    test('bad input and no session are refused', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      for (const [query, field] of [
        [`q=${'x'.repeat(201)}`, 'q'],
        ['q=%01', 'q'],
        ['issuedFor=x', 'issuedFor'],
      ] as const) {
        const res = await admin.request({ method: 'GET', url: `/apis/v1/applications?${query}` });
        assert.equal(res.statusCode, 400, said(res));
        assert.equal(body(res, ErrorSchema).field, field, said(res));
      }
      const anonymous = await t.request({ method: 'GET', url: '/apis/v1/applications' });
      assert.equal(anonymous.statusCode, 401, said(anonymous));
    });
  });
}
