// Bad input at the edge: each case answers the SPEC's 4xx with the field at fault and changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { body, ErrorSchema, errorOf } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';

for (const kind of databaseKinds()) {
  describe(`input validation (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    const count = async (institutionId: string) =>
      (
        await env.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM api_tokens WHERE institution_id = $1',
          [institutionId],
        )
      )[0]?.n;

    test('create refuses bad bodies with invalid_request and the field, writing nothing', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const inFiveYears = new Date(env.clock().getTime());
      inFiveYears.setUTCFullYear(inFiveYears.getUTCFullYear() + 5);
      const cases: [object, string][] = [
        [{}, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(201) }, 'name'],
        [{ name: 42 }, 'name'],
        [{ name: 'ok', description: 'd'.repeat(2001) }, 'description'],
        [{ name: 'ok', issuedFor: 'i'.repeat(201) }, 'issuedFor'],
        [{ name: 'ok', expiresInDays: 31 }, 'expiresInDays'],
        [{ name: 'ok', expiresInDays: '30' }, 'expiresInDays'],
        [{ name: 'ok', expiresAt: new Date(env.clock().getTime() - 1000).toISOString() }, 'expiresAt'],
        [{ name: 'ok', expiresAt: new Date(env.clock().getTime() + 30_000).toISOString() }, 'expiresAt'],
        [{ name: 'ok', expiresAt: new Date(inFiveYears.getTime() + 86_400_000).toISOString() }, 'expiresAt'],
        [{ name: 'ok', expiresAt: 'next tuesday' }, 'expiresAt'],
        [
          {
            name: 'ok',
            expiresInDays: 30,
            expiresAt: new Date(env.clock().getTime() + 86_400_000).toISOString(),
          },
          'expiresAt',
        ],
        [{ name: 'ok', admin: true }, 'admin'],
        [{ name: "'; DROP TABLE api_tokens; --", permissions: ['all'] }, 'permissions'],
      ];
      for (const [payload, field] of cases) {
        const res = await admin.request({
          method: 'POST',
          url: '/apis/v1/api-tokens',
          payload,
        });
        assert.equal(res.statusCode, 400, `${JSON.stringify(payload)} → ${said(res)}`);
        const answer = body(res, ErrorSchema);
        assert.equal(answer.error, 'invalid_request');
        assert.equal(answer.field, field, `${JSON.stringify(payload)} → ${said(res)}`);
      }
      assert.equal(await count(t.institution.id), 0);
    });

    test('malformed JSON, wrong content type and oversized bodies', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const post = (payload: string, contentType: string) =>
        admin.request({
          method: 'POST',
          url: '/apis/v1/api-tokens',
          payload,
          headers: { 'content-type': contentType },
        });
      const bad = await post('{"name": ', 'application/json');
      assert.equal(bad.statusCode, 400, said(bad));
      assert.equal(errorOf(bad), 'invalid_request');
      const text = await post('name=x', 'text/plain');
      assert.equal(text.statusCode, 415, said(text));
      assert.equal(errorOf(text), 'unsupported_media_type');
      const big = await post(
        JSON.stringify({ name: 'x', description: 'y'.repeat(100_000) }),
        'application/json',
      );
      assert.equal(big.statusCode, 413, said(big));
      assert.equal(errorOf(big), 'payload_too_large');
    });

    test('bad ids, queries and cursors are refused before any query', async () => {
      const admin = await (await env.tenant()).adminAgent();
      const get = (url: string) => admin.request({ method: 'GET', url });
      const cases: [string, string][] = [
        ['/apis/v1/api-tokens/not-a-uuid', 'id'],
        ["/apis/v1/api-tokens/1'%20OR%201=1", 'id'],
        ['/apis/v1/api-tokens?limit=0', 'limit'],
        ['/apis/v1/api-tokens?limit=101', 'limit'],
        ['/apis/v1/api-tokens?limit=ten', 'limit'],
        ['/apis/v1/api-tokens?state=gone', 'state'],
        ['/apis/v1/api-tokens?sort=name', 'sort'],
        ['/apis/v1/api-tokens?order=up', 'order'],
        ['/apis/v1/api-tokens?cursor=garbage', 'cursor'],
        ['/apis/v1/api-tokens?debug=1', 'debug'],
        [`/apis/v1/api-tokens/${'a'.repeat(101)}`, 'id'],
        ['/apis/v1/api-tokens?q=a%00b', 'q'],
        ['/apis/v1/api-tokens?q=%FF', 'q'],
      ];
      for (const [url, field] of cases) {
        const res = await get(url);
        assert.equal(res.statusCode, 400, `${url} → ${said(res)}`);
        assert.equal(body(res, ErrorSchema).field, field, `${url} → ${said(res)}`);
      }
      const missing = await get('/apis/v1/api-tokens/00000000-0000-4000-8000-000000000000');
      assert.equal(missing.statusCode, 404, said(missing));
      const unknown = await get('/apis/v1/nothing-here');
      assert.equal(unknown.statusCode, 404);
      assert.equal(errorOf(unknown), 'not_found');
    });

    test('a 10 kB header, non-ASCII and SQL-looking tokens are plain invalid_token', async () => {
      const t = await env.tenant();
      for (const value of [
        'x'.repeat(10_240),
        'sk-ünïcødé-token',
        "sk-' OR '1'='1",
        `sk-${'A'.repeat(49)}`,
      ]) {
        const res = await t.request({
          method: 'GET',
          url: '/apis/v1/token',
          headers: { FF_AUTH: encodeURIComponent(value) },
        });
        assert.equal(res.statusCode, 401, said(res));
        assert.equal(errorOf(res), 'invalid_token');
      }
      const query = await t.request({
        method: 'GET',
        url: `/apis/v1/token?token=${encodeURIComponent("sk-' OR 1=1 --")}`,
      });
      assert.equal(errorOf(query), 'invalid_token', said(query));
    });

    test('login: wrong password is invalid_credentials; missing fields are invalid_request', async () => {
      const t = await env.tenant();
      const wrong = await t.request({
        method: 'POST',
        url: '/apis/v1/session',
        payload: { email: 'nobody@example.test', password: 'nope' },
      });
      assert.equal(wrong.statusCode, 401, said(wrong));
      assert.equal(errorOf(wrong), 'invalid_credentials');
      const missing = await t.request({
        method: 'POST',
        url: '/apis/v1/session',
        payload: { email: 'a@b.c' },
      });
      assert.equal(missing.statusCode, 400, said(missing));
      assert.equal(body(missing, ErrorSchema).field, 'password');
    });
  });
}
