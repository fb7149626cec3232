// Forward auth as gateways use it (SPEC section 4): any query passes, the original URI is read from
// trusted proxies only and from every header that carries it, each refusal names its code in
// X-Tokend-Error (and 401s in WWW-Authenticate), a forwarded preflight needs no token, and the
// permissions a gateway requires in X-Tokend-Permission are all needed (SPEC section 8).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { body, ErrorSchema, errorOf } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant, typoOf } from '../test-support/harness.js';

const AUTH = '/apis/v1/auth';

for (const kind of databaseKinds()) {
  describe(`forward auth (${kind})`, () => {
    // tokend behind a gateway at 10.0.0.5 (trusted), and the same without a trusted proxy.
    let proxied: Env;
    let direct: Env;
    let t: Tenant;
    let u: Tenant;
    before(async () => {
      proxied = await createEnv(kind, { trustProxy: ['10.0.0.5'], authFailureLimit: 3 });
      direct = await createEnv(kind, { authFailureLimit: 1000 });
      t = await proxied.tenant();
      u = await direct.tenant();
    });
    after(async () => {
      await proxied.close();
      await direct.close();
    });

    // What the gateway sends: it terminated TLS.
    const viaGateway = (o: InjectOptions) =>
      t.request({
        ...o,
        remoteAddress: '10.0.0.5',
        headers: { 'x-forwarded-proto': 'https', ...(o.headers ?? {}) },
      });

    test('any query string passes: the gateway keeps the client request’s own', async () => {
      const { secret } = await (await u.adminAgent()).createToken();
      const res = await u.request({
        method: 'GET',
        url: `${AUTH}?page=2&sort=name&token=${secret}`,
      });
      assert.equal(res.statusCode, 200, said(res));
      const header = await u.request({ method: 'GET', url: `${AUTH}?page=2`, headers: { FF_AUTH: secret } });
      assert.equal(header.statusCode, 200, said(header));
    });

    test('a token parameter whose name is %-encoded is refused: gateways strip only token=', async () => {
      const { secret } = await (await u.adminAgent()).createToken();
      for (const url of [`${AUTH}?%74oken=${secret}`, `/apis/v1/token?%74ok%65n=${secret}`]) {
        const res = await u.request({ method: 'GET', url });
        assert.equal(res.statusCode, 400, said(res));
        const { error, field } = body(res, ErrorSchema);
        assert.deepEqual([error, field], ['invalid_request', 'token'], said(res));
      }
      // The same through a gateway's original URI.
      const proxiedSecret = (await (await t.adminAgent()).createToken()).secret;
      const res = await viaGateway({
        method: 'GET',
        url: AUTH,
        headers: { 'x-forwarded-uri': `/apis/v2/contacts?%74oken=${proxiedSecret}` },
      });
      assert.equal(res.statusCode, 400, said(res));
      assert.equal(res.headers['x-tokend-error'], 'invalid_request');
    });

    test('the original URI is read only from a trusted proxy, and from both headers', async () => {
      const admin = await t.adminAgent();
      const { secret, token } = await admin.createToken();
      const other = (await admin.createToken()).secret;
      const forwarded = await viaGateway({
        method: 'GET',
        url: AUTH,
        headers: { 'x-forwarded-uri': `/apis/v2/contacts?token=${secret}` },
      });
      assert.equal(forwarded.statusCode, 200, said(forwarded));
      assert.equal(forwarded.headers['x-tokend-token-id'], token.id);
      // Caddy sets X-Forwarded-Uri and passes on a client's own X-Original-URI.
      const smuggled = await viaGateway({
        method: 'GET',
        url: AUTH,
        headers: {
          'x-forwarded-uri': `/apis/v2/contacts?token=${typoOf(other)}`,
          'x-original-uri': `/x?token=${secret}`,
        },
      });
      assert.equal(smuggled.statusCode, 400, said(smuggled));
      assert.equal(errorOf(smuggled), 'ambiguous_credentials');
      assert.equal(smuggled.headers['x-tokend-error'], 'ambiguous_credentials');
      const same = await viaGateway({
        method: 'GET',
        url: `${AUTH}?token=${secret}`,
        headers: { 'x-forwarded-uri': `/p?token=${secret}`, 'x-original-uri': `/p?token=${secret}` },
      });
      assert.equal(same.statusCode, 200, said(same));
      // From anyone else the headers are the client's own words: not a carrier.
      const { secret: hers } = await (await u.adminAgent()).createToken();
      const client = await u.request({
        method: 'GET',
        url: AUTH,
        headers: { 'x-original-uri': `/x?token=${hers}`, 'x-forwarded-uri': `/x?token=${hers}` },
      });
      assert.equal(client.statusCode, 401, said(client));
      assert.equal(errorOf(client), 'missing_token');
    });

    test('every 401 carries WWW-Authenticate; forward-auth refusals name their code', async () => {
      const admin = await u.adminAgent();
      const { secret, token } = await admin.createToken();
      const missing = await u.request({ method: 'GET', url: '/apis/v1/token' });
      assert.equal(missing.statusCode, 401, said(missing));
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="tokend"');
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend` });
      const suspended = await u.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { FF_AUTH: secret },
      });
      assert.equal(suspended.statusCode, 401, said(suspended));
      assert.equal(
        suspended.headers['www-authenticate'],
        'Bearer realm="tokend", error="invalid_token", error_description="token_suspended"',
      );
      assert.equal(suspended.headers['x-tokend-error'], undefined, 'only forward auth adds X-Tokend-Error');
      const cases: [Record<string, string>, number, string][] = [
        [{}, 401, 'missing_token'],
        [{ FF_AUTH: secret }, 401, 'token_suspended'],
        [{ FF_AUTH: 'sk-nope' }, 401, 'invalid_token'],
        [{ FF_AUTH: secret, authorization: 'Bearer sk-other' }, 400, 'ambiguous_credentials'],
      ];
      for (const [headers, status, error] of cases) {
        const res = await u.request({ method: 'GET', url: AUTH, headers });
        assert.equal(res.statusCode, status, said(res));
        assert.equal(errorOf(res), error);
        assert.equal(res.headers['x-tokend-error'], error, said(res));
        if (status === 401) assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tokend"/);
      }
      const active = (await admin.createToken()).secret;
      const lacking = await u.request({
        method: 'GET',
        url: AUTH,
        headers: { FF_AUTH: active, 'x-tokend-permission': 'core.contacts.read' },
      });
      assert.equal(lacking.statusCode, 403, said(lacking));
      assert.equal(lacking.headers['x-tokend-error'], 'insufficient_permission');
      assert.equal(body(lacking, ErrorSchema).permission, 'core.contacts.read');
      const unknownHost = await direct.app.inject({
        method: 'GET',
        url: AUTH,
        headers: { host: 'nobody.test' },
      });
      assert.equal(unknownHost.headers['x-tokend-error'], errorOf(unknownHost), said(unknownHost));
    });

    test('X-Tokend-Permission names one or several permissions, all needed; a 403 names the first missing', async () => {
      for (const [key, description] of [
        ['contacts.read', 'Read contacts'],
        ['applications.read', 'Read applications'],
      ] as const)
        assert.ok((await direct.services.permissions.add(key, description)).ok);
      const admin = await u.adminAgent();
      const { secret, token } = await admin.createToken({ permissions: ['contacts.read'] });
      const ask = (required?: string) =>
        u.request({
          method: 'GET',
          url: AUTH,
          headers: {
            FF_AUTH: secret,
            ...(required === undefined ? {} : { 'x-tokend-permission': required }),
          },
        });
      const ok = await ask('contacts.read');
      assert.equal(ok.statusCode, 200, said(ok));
      assert.equal(ok.headers['x-tokend-token-id'], token.id);
      assert.equal(ok.headers['x-tokend-permissions'], 'contacts.read');
      assert.equal((await ask()).statusCode, 200, 'no header requires nothing beyond an active token');
      const cases: [string, string][] = [
        ['applications.read', 'applications.read'],
        ['contacts.read, applications.read', 'applications.read'],
        ['contacts.read applications.read', 'applications.read'],
        // The first missing in the header's order, not the catalogue's.
        ['core.core.files_download,applications.read', 'core.core.files_download'],
        ['  applications.read ,, core.core.files_download  ', 'applications.read'],
        // A key that is not in the catalogue is simply missing.
        ['contacts.read,no.such.key', 'no.such.key'],
      ];
      for (const [required, missing] of cases) {
        const res = await ask(required);
        assert.equal(res.statusCode, 403, `${required}: ${said(res)}`);
        const refusal = body(res, ErrorSchema);
        assert.deepEqual(
          [refusal.error, refusal.permission],
          ['insufficient_permission', missing],
          said(res),
        );
        assert.equal(res.headers['x-tokend-error'], 'insufficient_permission');
      }
      // The header is the gateway's text, echoed in `permission`: a secret pasted there is masked.
      const pasted = await ask(`contacts.read ${secret}`);
      assert.equal(pasted.statusCode, 403, said(pasted));
      assert.ok(!pasted.body.includes(secret.slice(3)), said(pasted));
      // Holding both: both pass; X-Tokend-Permissions lists them comma-separated, no spaces, in key order.
      const edited = await admin.request({
        method: 'PATCH',
        url: `/apis/v1/api-tokens/${token.id}`,
        payload: { permissions: ['contacts.read', 'applications.read', 'core.core.files_download'] },
      });
      assert.equal(edited.statusCode, 200, said(edited));
      const both = await ask('contacts.read, applications.read');
      assert.equal(both.statusCode, 200, said(both));
      assert.equal(
        both.headers['x-tokend-permissions'],
        'applications.read,contacts.read,core.core.files_download',
      );
    });

    test('a limited address gets 429 with Retry-After and X-Tokend-Error', async () => {
      const { secret } = await (await t.adminAgent()).createToken();
      const fromClient = { 'x-forwarded-for': '198.51.100.7' };
      let last;
      for (let i = 0; i < 4; i++)
        last = await viaGateway({
          method: 'GET',
          url: AUTH,
          headers: { ...fromClient, FF_AUTH: typoOf(secret) },
        });
      assert.ok(last);
      assert.equal(last.statusCode, 429, said(last));
      assert.equal(last.headers['x-tokend-error'], 'rate_limited');
      assert.match(String(last.headers['retry-after']), /^[1-9]\d*$/);
    });

    test('a forwarded preflight is answered like tokend’s own, without a token', async () => {
      const headers = { 'x-forwarded-method': 'OPTIONS', 'x-forwarded-uri': '/apis/v2/contacts' };
      const res = await viaGateway({ method: 'GET', url: AUTH, headers });
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.equal(res.headers['access-control-allow-methods'], 'GET, OPTIONS');
      assert.match(String(res.headers['access-control-allow-headers']), /FF_AUTH/);
      assert.equal(res.headers['x-tokend-token-id'], undefined);
      // Only a trusted proxy says what the method was.
      const client = await u.request({ method: 'GET', url: AUTH, headers });
      assert.equal(client.statusCode, 401, said(client));
    });
  });
}
