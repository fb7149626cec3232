// Token authentication as an integration sees it: every carrier, FF-Auth-Token-Valid-Until, file
// downloads (and the permission they need), forward auth, the reduced self view, CORS, and each refusal
// of SPEC section 4.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  body,
  errorOf,
  ErrorSchema,
  EventPage,
  FilePage,
  FileSchema,
  OwnViewSchema,
  TokenSchema,
  UsageSchema,
} from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant, typoOf } from '../test-support/harness.js';

for (const kind of databaseKinds()) {
  describe(`token authentication (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 1000 });
    });
    after(() => env.close());

    async function upload(t: Tenant, content: string) {
      const admin = await t.adminAgent();
      const boundary = '----tokendtest';
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`;
      const res = await admin.request({
        method: 'POST',
        url: '/apis/v1/files',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload,
      });
      assert.equal(res.statusCode, 201, said(res));
      return body(res, FileSchema);
    }

    test('a token downloads a file through each carrier and gets FF-Auth-Token-Valid-Until', async () => {
      const t = await env.tenant();
      const file = await upload(t, 'a,b\n1,2\n');
      assert.equal(file.size, 8);
      const { secret, token } = await (await t.adminAgent()).createToken({ name: 'CRM', expiresInDays: 30 });
      const carriers = [
        { headers: { FF_AUTH: secret } },
        { headers: { 'FF-Auth': secret } },
        { headers: { authorization: `Bearer ${secret}` } },
        // The scheme is case-insensitive and may be followed by several spaces or tabs.
        { headers: { authorization: `bearer \t ${secret}` } },
        { query: `?token=${secret}` },
      ];
      for (const c of carriers) {
        const res = await t.request({
          method: 'GET',
          url: `/apis/v1/files/${file.id}/download${c.query ?? ''}`,
          headers: c.headers ?? {},
        });
        assert.equal(res.statusCode, 200, said(res));
        assert.equal(res.body, 'a,b\n1,2\n');
        assert.equal(res.headers['ff-auth-token-valid-until'], token.expiresAt);
        assert.equal(res.headers['access-control-allow-origin'], '*');
      }
      const list = await (await t.adminAgent()).request({ method: 'GET', url: '/apis/v1/files' });
      assert.deepEqual(
        body(list, FilePage).items.map((f) => f.id),
        [file.id],
      );
    });

    test('the download needs core.core.files_download: the default token has it, a narrower one is told what it lacks', async () => {
      const t = await env.tenant();
      const file = await upload(t, 'x,y\n');
      const admin = await t.adminAgent();
      const byDefault = await admin.createToken();
      assert.deepEqual(byDefault.token.permissions, ['core.core.files_download']);
      const url = `/apis/v1/files/${file.id}/download`;
      const ok = await t.request({ method: 'GET', url, headers: { FF_AUTH: byDefault.secret } });
      assert.equal(ok.statusCode, 200, said(ok));
      assert.equal(ok.body, 'x,y\n');
      assert.ok((await env.services.permissions.add('contacts.read', 'Read contacts')).ok);
      const narrow = await admin.createToken({ permissions: ['contacts.read'] });
      const refused = await t.request({ method: 'GET', url, headers: { FF_AUTH: narrow.secret } });
      assert.equal(refused.statusCode, 403, said(refused));
      const { error, permission } = body(refused, ErrorSchema);
      assert.deepEqual([error, permission], ['insufficient_permission', 'core.core.files_download']);
      // The own view needs no permission, and a lacking permission is the route's refusal: no event.
      const own = await t.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { FF_AUTH: narrow.secret },
      });
      assert.deepEqual(body(own, OwnViewSchema).permissions, ['contacts.read']);
      await env.services.usage.flush();
      const events = await admin.request({
        method: 'GET',
        url: `/apis/v1/api-tokens/${narrow.token.id}/events`,
      });
      assert.ok(!body(events, EventPage).items.some((e) => e.type === 'token.auth_failed'));
    });

    test('forward auth answers 200 with the token headers, 403 for a permission it lacks', async () => {
      const t = await env.tenant();
      const { secret, token } = await (await t.adminAgent()).createToken();
      const ok = await t.request({
        method: 'GET',
        url: '/apis/v1/auth',
        headers: { FF_AUTH: secret, 'x-tokend-permission': 'core.core.files_download' },
      });
      assert.equal(ok.statusCode, 200, said(ok));
      assert.equal(ok.headers['x-tokend-token-id'], token.id);
      assert.equal(ok.headers['x-tokend-institution'], t.institution.slug);
      assert.equal(ok.headers['x-tokend-permissions'], 'core.core.files_download');
      const lacking = await t.request({
        method: 'GET',
        url: '/apis/v1/auth',
        headers: { FF_AUTH: secret, 'x-tokend-permission': 'core.contacts.read' },
      });
      assert.equal(lacking.statusCode, 403, said(lacking));
      assert.equal(body(lacking, ErrorSchema).permission, 'core.contacts.read');
      // The original URI is a carrier only from a trusted proxy (forward-auth.test.ts); here it is not.
      const untrusted = await t.request({
        method: 'GET',
        url: '/apis/v1/auth',
        headers: { 'x-original-uri': `/apis/v1/contacts?token=${secret}` },
      });
      assert.equal(untrusted.statusCode, 401, said(untrusted));
      assert.equal(untrusted.headers['x-tokend-error'], 'missing_token');
    });

    test('GET /apis/v1/token shows the reduced view, no staff data', async () => {
      const t = await env.tenant();
      const { secret, token } = await (await t.adminAgent()).createToken({ name: 'Reporting job' });
      const res = await t.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.equal(res.statusCode, 200, said(res));
      assert.deepEqual(body(res, OwnViewSchema), {
        id: token.id,
        name: 'Reporting job',
        display: token.display,
        state: 'active',
        permissions: ['core.core.files_download'],
        expiresAt: null,
      });
      assert.equal(res.headers['ff-auth-token-valid-until'], undefined);
    });

    test('refusals: missing, ambiguous, malformed, bad checksum, unknown, suspended, revoked, expired', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { secret, token } = await admin.createToken({
        expiresAt: new Date(env.clock().getTime() + 120_000).toISOString(),
      });
      const other = (await admin.createToken()).secret;
      const call = (headers: Record<string, string>, url = '/apis/v1/token') =>
        t.request({ method: 'GET', url, headers });
      const expect = async (headers: Record<string, string>, status: number, error: string) => {
        const res = await call(headers);
        assert.equal(res.statusCode, status, said(res));
        assert.equal(errorOf(res), error);
        assert.ok(!res.body.includes(secret.slice(10)), 'the error never echoes the token');
      };
      await expect({}, 401, 'missing_token');
      await expect({ FF_AUTH: secret, authorization: `Bearer ${other}` }, 400, 'ambiguous_credentials');
      const same = await call({ FF_AUTH: secret, authorization: `Bearer ${secret}` });
      assert.equal(same.statusCode, 200, `the same token in two carriers is not ambiguous: ${said(same)}`);
      await expect({ FF_AUTH: 'sk-nope' }, 401, 'invalid_token');
      const flipped = typoOf(secret);
      await expect({ FF_AUTH: flipped }, 401, 'invalid_token');
      const ghost = await (await (await env.tenant()).adminAgent()).createToken();
      await expect({ FF_AUTH: ghost.secret }, 401, 'invalid_token');
      const act = (a: string) =>
        admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/${a}` });
      await act('suspend');
      await expect({ FF_AUTH: secret }, 401, 'token_suspended');
      await act('reactivate');
      assert.equal((await call({ FF_AUTH: secret })).statusCode, 200);
      env.clock.advance(121_000);
      await expect({ FF_AUTH: secret }, 401, 'token_expired');
      const detail = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      assert.equal(body(detail, TokenSchema).state, 'expired');
      await env.services.tokenCheck.idle(); // the write follows the answer, which does not wait for it
      const rows = await env.db.query<{ state: string }>('SELECT state FROM api_tokens WHERE id = $1', [
        token.id,
      ]);
      assert.equal(rows[0]?.state, 'expired', 'expiry is recorded by the request that found it');
      const revokable = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${revokable.token.id}/suspend` });
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${revokable.token.id}/revoke` });
      const revoked = await call({ FF_AUTH: revokable.secret });
      assert.equal(errorOf(revoked), 'token_revoked', said(revoked));
    });

    test('usage is recorded without a write per request and shows on the token', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { secret, token } = await admin.createToken();
      for (let i = 0; i < 3; i++) {
        await t.request({
          method: 'GET',
          url: '/apis/v1/token',
          headers: { FF_AUTH: secret, 'user-agent': 'crm-connector/1.0' },
        });
      }
      const before = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      assert.equal(body(before, TokenSchema).lastUsedAt, null, 'not written on the request path');
      await env.services.usage.flush();
      const detail = body(
        await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` }),
        TokenSchema,
      );
      assert.ok(detail.lastUsedAt);
      assert.equal(detail.lastUsedIp, '127.0.0.1');
      assert.equal(detail.lastUsedUserAgent, 'crm-connector/1.0');
      assert.equal(detail.lastUsedCarrier, 'FF_AUTH');
      const usage = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/usage` });
      assert.deepEqual(body(usage, UsageSchema).items, [
        { date: env.clock().toISOString().slice(0, 10), count: 3 },
      ]);
    });

    test('checks that look their tokens up at once each record their own client and carrier', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const a = await admin.createToken({ name: 'Looked up A' });
      const b = await admin.createToken({ name: 'Looked up B' });
      // Not cached yet: both wait for a lookup while the other request's check begins.
      const [ra, rb] = await Promise.all([
        t.request({
          method: 'GET',
          url: '/apis/v1/token',
          headers: { FF_AUTH: a.secret, 'user-agent': 'a/1' },
        }),
        t.request({
          method: 'GET',
          url: '/apis/v1/token',
          headers: { authorization: `Bearer ${b.secret}`, 'user-agent': 'b/1' },
        }),
      ]);
      assert.equal(ra.statusCode, 200, said(ra));
      assert.equal(rb.statusCode, 200, said(rb));
      await env.services.usage.flush();
      const seen = async (id: string) => {
        const d = body(await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}` }), TokenSchema);
        return [d.lastUsedUserAgent, d.lastUsedCarrier];
      };
      assert.deepEqual(await seen(a.token.id), ['a/1', 'FF_AUTH']);
      assert.deepEqual(await seen(b.token.id), ['b/1', 'Authorization']);
    });

    test('another institution’s token is invalid_token here and reported to its owner as wrong_institution', async () => {
      const home = await env.tenant();
      const admin = await home.adminAgent();
      const { secret, token } = await admin.createToken();
      const elsewhere = await env.tenant();
      for (let i = 0; i < 2; i++) {
        const res = await elsewhere.request({
          method: 'GET',
          url: '/apis/v1/token',
          headers: { FF_AUTH: secret },
        });
        assert.equal(res.statusCode, 401, said(res));
        assert.equal(errorOf(res), 'invalid_token', 'nothing tells the other institution the token exists');
      }
      await env.services.usage.flush();
      const events = body(
        await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/events` }),
        EventPage,
      );
      const failed = events.items.find((e) => e.type === 'token.auth_failed');
      assert.deepEqual(failed?.details, { failure: 'wrong_institution', count: 2 });
    });

    test('a staff route refuses any token it is sent — one, two different or a %-escaped name — with 403', async () => {
      const t = await env.tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const other = (await (await t.adminAgent()).createToken()).secret;
      const staff = (url: string, headers: Record<string, string> = {}) =>
        t.request({ method: 'GET', url, headers });
      for (const res of [
        await staff('/apis/v1/api-tokens', { FF_AUTH: secret }),
        await staff('/apis/v1/api-tokens', { FF_AUTH: secret, authorization: `Bearer ${other}` }),
        await staff(`/apis/v1/api-tokens?%74oken=${secret}`),
      ]) {
        assert.equal(res.statusCode, 403, said(res));
        assert.deepEqual(body(res, ErrorSchema), {
          error: 'insufficient_permission',
          message: 'tokens cannot use staff routes',
        });
      }
      const none = await staff('/apis/v1/api-tokens');
      assert.equal(none.statusCode, 401, said(none));
      assert.equal(errorOf(none), 'unauthenticated');
    });

    test('failures of known tokens become aggregated token.auth_failed events', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { secret, token } = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend` });
      for (let i = 0; i < 4; i++)
        await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
      await env.services.usage.flush();
      const events = body(
        await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}/events` }),
        EventPage,
      );
      const failed = events.items.find((e) => e.type === 'token.auth_failed');
      assert.deepEqual(failed?.details, { failure: 'token_suspended', count: 4 });
    });

    test('CORS preflight is answered without authentication on token routes only', async () => {
      const t = await env.tenant();
      const res = await t.request({
        method: 'OPTIONS',
        url: '/apis/v1/token',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'ff_auth',
        },
      });
      assert.equal(res.statusCode, 204, said(res));
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.match(String(res.headers['access-control-allow-headers']), /FF_AUTH/);
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
      const staff = await t.request({
        method: 'GET',
        url: '/apis/v1/api-tokens',
        headers: { origin: 'https://app.example' },
      });
      assert.equal(staff.headers['access-control-allow-origin'], undefined);
    });

    test('JSON answers carry the API security set, token answers CORS too; the page carries helmet', async () => {
      const t = await env.tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const ok = await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
      const refused = await t.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { FF_AUTH: 'sk-nope' },
      });
      const staff = await t.request({ method: 'GET', url: '/apis/v1/session' });
      const unknown = await t.request({ method: 'GET', url: '/apis/v1/nothing-here' });
      const health = await t.request({ method: 'GET', url: '/healthz' });
      assert.equal(ok.statusCode, 200, said(ok));
      assert.equal(refused.statusCode, 401, said(refused));
      assert.equal(staff.statusCode, 401, said(staff));
      assert.equal(unknown.statusCode, 404, said(unknown));
      assert.equal(health.statusCode, 200, said(health));
      for (const res of [ok, refused, staff, unknown, health]) {
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
        assert.equal(res.headers['x-frame-options'], 'DENY');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.equal(res.headers['referrer-policy'], 'no-referrer');
        // The document-only headers stay with the page.
        assert.equal(res.headers['cross-origin-opener-policy'], undefined);
      }
      for (const res of [ok, refused]) {
        assert.equal(res.headers['access-control-allow-origin'], '*');
        assert.equal(res.headers['access-control-expose-headers'], 'FF-Auth-Token-Valid-Until');
      }
      for (const res of [staff, unknown, health])
        assert.equal(res.headers['access-control-allow-origin'], undefined);
      const page = await t.request({ method: 'GET', url: '/' });
      assert.equal(page.statusCode, 200, said(page));
      assert.match(String(page.headers['content-security-policy']), /^default-src 'self';/);
      assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    });

    test('a token without the files permission route is refused from staff data; unknown file is 404', async () => {
      const t = await env.tenant();
      const { secret } = await (await t.adminAgent()).createToken();
      const res = await t.request({
        method: 'GET',
        url: '/apis/v1/files/00000000-0000-4000-8000-000000000000/download',
        headers: { FF_AUTH: secret },
      });
      assert.equal(res.statusCode, 404, said(res));
      const files = await t.request({ method: 'GET', url: '/apis/v1/files', headers: { FF_AUTH: secret } });
      assert.equal(files.statusCode, 403, said(files));
    });
  });
}
