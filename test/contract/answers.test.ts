// Every answer of a full flow, successes and refusals, checked against the document the server serves
// (answer-check.ts: status documented, body valid against its schema, required headers present): an
// answer outside the document fails the test. It counts the answers and the statuses it validated.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HTTPMethods, InjectOptions, LightMyRequestResponse } from 'fastify';
import { apiDocument } from '../../scripts/api-contract.js';
import { createEnv, databaseKinds, type Env, PASSWORD, type Tenant } from '../../src/test-support/harness.js';
import { AnswerCheck } from './answer-check.js';

/** Who sends: a tenant's anonymous client or a logged-in agent (the harness's). */
type Sender = { request(options: InjectOptions): Promise<LightMyRequestResponse> };
type Request = InjectOptions & { method: HTTPMethods; url: string };
type Call = (status: number, who: Sender, options: Request) => Promise<Record<string, unknown>>;

const STATUSES = [200, 201, 204, 400, 401, 403, 404, 409, 413, 415, 429];
const json = (payload: unknown, headers: Record<string, string> = {}) => ({
  payload: JSON.stringify(payload),
  headers: { 'content-type': 'application/json', ...headers },
});
const upload = (content: string) => {
  const boundary = '----tokendcontract';
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload:
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  };
};
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

for (const kind of databaseKinds()) {
  describe(`answers against the served document (${kind})`, () => {
    let env: Env;
    let check: AnswerCheck;
    before(async () => {
      env = await createEnv(kind, { maxFileBytes: 64, authFailureLimit: 3, loginFailureLimit: 3 });
      const served = await env.app.inject({ method: 'GET', url: '/apis/v1/openapi.json' });
      const document: unknown = served.json();
      // The document the build and `npm run generate` make without a server is this one.
      assert.deepEqual(await apiDocument(), document);
      assert.ok(typeof document === 'object' && document !== null && !Array.isArray(document));
      check = new AnswerCheck(Object.fromEntries(Object.entries(document)));
    });
    after(() => env.close());

    test('a full flow: every answer is as documented', async (t) => {
      const call: Call = async (status, who, options) => {
        const res = await who.request(options);
        assert.equal(res.statusCode, status, `${options.method} ${options.url}: ${res.body}`);
        check.check({
          method: options.method,
          url: options.url,
          status: res.statusCode,
          headers: res.headers,
          body: res.body,
        });
        const body: unknown =
          res.body === '' || !/json/.test(String(res.headers['content-type'])) ? {} : res.json();
        return typeof body === 'object' && body !== null ? Object.fromEntries(Object.entries(body)) : {};
      };
      const tenant = await env.tenant();
      await other(env);
      await sessionFlow(call, tenant);
      const secret = await managementFlow(call, tenant);
      await tokenFlow(call, tenant, secret);
      const statuses = check.statuses();
      const counts = `${check.validated.length} answers validated, ${check.misses.length} outside the document; statuses validated ${statuses.join(', ')}`;
      t.diagnostic(`${kind}: ${counts}`);
      assert.deepEqual(check.misses, [], 'answers outside the document');
      for (const status of STATUSES)
        assert.ok(statuses.includes(status), `no ${status} answer was validated`);
    });
  });
}

/** A second institution: a host that names neither is then unknown, not the only one's. */
const other = (env: Env) => env.tenant();

async function sessionFlow(call: Call, t: Tenant) {
  const admin = await t.adminAgent();
  const email = admin.user.email;
  const login = { method: 'POST', url: '/apis/v1/session' } as const;
  await call(400, t, { ...login, ...json({ email }) });
  await call(401, t, { ...login, ...json({ email, password: 'not the password' }) });
  // Login failures from one address: the limit is 3 (createEnv above), then 429 with Retry-After.
  const from = { remoteAddress: '127.0.0.2' };
  for (let i = 0; i < 3; i++) await call(401, t, { ...login, ...from, ...json({ email, password: 'no' }) });
  await call(429, t, { ...login, ...from, ...json({ email, password: 'no' }) });
  await call(403, t, { ...login, remoteAddress: '10.0.0.7', ...json({ email, password: PASSWORD }) });
  await call(404, t, {
    ...login,
    headers: { host: 'nobody.example.test', 'content-type': 'application/json' },
    payload: '{}',
  });
  const session = await call(200, t, { ...login, ...json({ email, password: PASSWORD }) });
  assert.equal(typeof session.csrfToken, 'string');
  await call(401, t, { method: 'GET', url: '/apis/v1/session' });
  await call(200, admin, { method: 'GET', url: '/apis/v1/session' });
  const own = await t.user('admin');
  await call(403, own, {
    method: 'DELETE',
    url: '/apis/v1/session',
    headers: { 'X-CSRF-Token': 'wrong' },
  });
  await call(204, own, { method: 'DELETE', url: '/apis/v1/session' });
  await call(401, own, { method: 'DELETE', url: '/apis/v1/session' });
}

/** Creates, lists, changes tokens and files; returns the secret of an active token with an expiry. */
async function managementFlow(call: Call, t: Tenant): Promise<string> {
  const admin = await t.adminAgent();
  const staff = await t.user('staff');
  const list = { method: 'GET', url: '/apis/v1/api-tokens' } as const;
  await call(401, t, list);
  await call(403, staff, list);
  const create = { method: 'POST', url: '/apis/v1/api-tokens' } as const;
  const ahead = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const made = [];
  for (const expiry of [
    {},
    { expiresInDays: 30 },
    { expiresInDays: 90 },
    { expiresInDays: 365 },
    { expiresAt: ahead },
  ])
    made.push(
      await call(201, admin, {
        ...create,
        ...json({ name: 'Contract token', issuedFor: 'CRM', ...expiry }),
      }),
    );
  await call(400, admin, { ...create, ...json({ name: 'Odd expiry', expiresInDays: 7 }) });
  await call(400, admin, { ...create, ...json({ name: 'x', colour: 'red' }) });
  await call(415, admin, { ...create, headers: { 'content-type': 'text/plain' }, payload: 'name' });
  await call(413, admin, { ...create, ...json({ name: 'x', description: 'x'.repeat(70_000) }) });
  const page = await call(200, admin, {
    ...list,
    url: '/apis/v1/api-tokens?state=active&q=contract&issuedFor=CRM&sort=expiresAt&order=asc&limit=2',
  });
  assert.equal(typeof page.nextCursor, 'string');
  await call(200, admin, {
    ...list,
    url: `/apis/v1/api-tokens?state=active&q=contract&issuedFor=CRM&sort=expiresAt&order=asc&limit=2&cursor=${encodeURIComponent(String(page.nextCursor))}`,
  });
  await call(400, admin, { ...list, url: '/apis/v1/api-tokens?cursor=nonsense' });

  const one = `/apis/v1/api-tokens/${String((made[0]?.token as { id: string }).id)}`;
  await call(200, admin, { method: 'GET', url: one });
  await call(404, admin, { method: 'GET', url: `/apis/v1/api-tokens/${UNKNOWN_ID}` });
  await call(400, admin, { method: 'GET', url: '/apis/v1/api-tokens/not-an-id' });
  await call(200, admin, { method: 'GET', url: `${one}/events` });
  await call(404, admin, { method: 'GET', url: `/apis/v1/api-tokens/${UNKNOWN_ID}/events` });
  await call(200, admin, { method: 'GET', url: `${one}/usage` });
  const post = (path: string, body: unknown = {}) =>
    ({ method: 'POST', url: `${one}/${path}`, ...json(body) }) as const;
  await call(200, admin, post('suspend', { reason: 'contract check' }));
  await call(409, admin, post('suspend'));
  await call(200, admin, post('reactivate'));
  await call(409, admin, post('revoke'));
  const rotated = await call(200, admin, post('rotate', { graceSeconds: 60 }));
  await call(409, admin, post('rotate', { expectedDisplay: 'sk-not-the-display... abc' }));
  assert.equal(typeof rotated.secret, 'string');
  await call(200, admin, post('renew', { expiresInDays: 90 }));
  await call(400, admin, post('renew', { expiresInDays: 12 }));
  const patch = (body: unknown) => ({ method: 'PATCH', url: one, ...json(body) }) as const;
  await call(200, admin, patch({ name: 'Contract token, renamed', allowedIps: ['198.51.100.7/24'] }));
  await call(200, admin, patch({ description: null, permissions: ['core.core.files_download'] }));
  await call(400, admin, patch({}));
  await call(400, admin, patch({ permissions: ['no.such_key'] }));
  await call(400, admin, patch({ allowedIps: ['0.0.0.0/0'] }));
  await call(404, admin, { ...patch({ name: 'x' }), url: `/apis/v1/api-tokens/${UNKNOWN_ID}` });
  await call(200, admin, { method: 'GET', url: '/apis/v1/permissions' });
  await call(403, staff, { method: 'GET', url: '/apis/v1/permissions' });
  await call(200, admin, { ...list, url: '/apis/v1/api-tokens?permission=core.core.files_download' });
  await call(200, admin, post('suspend'));
  await call(200, admin, post('revoke'));
  await call(409, admin, post('renew', { expiresInDays: 30 }));
  await call(409, admin, patch({ name: 'Too late' }));

  await call(201, admin, { method: 'POST', url: '/apis/v1/files', ...upload('a,b\n1,2\n') });
  await call(413, admin, { method: 'POST', url: '/apis/v1/files', ...upload('x'.repeat(100)) });
  await call(415, admin, { method: 'POST', url: '/apis/v1/files', ...json({ file: 'a' }) });
  await call(200, admin, { method: 'GET', url: '/apis/v1/files' });
  return String(made[1]?.secret);
}

async function tokenFlow(call: Call, t: Tenant, secret: string) {
  const admin = await t.adminAgent();
  const files = await call(200, admin, { method: 'GET', url: '/apis/v1/files' });
  const file = String((files.items as { id: string }[])[0]?.id);
  const bearer = { authorization: `Bearer ${secret}` };
  await call(200, t, { method: 'GET', url: '/apis/v1/token', headers: bearer });
  await call(200, t, { method: 'GET', url: '/apis/v1/token', headers: { ff_auth: secret } });
  await call(200, t, { method: 'GET', url: `/apis/v1/token?token=${secret}` });
  await call(401, t, { method: 'GET', url: '/apis/v1/token' });
  await call(400, t, { method: 'GET', url: '/apis/v1/token?colour=red', headers: bearer });
  await call(400, t, {
    method: 'GET',
    url: '/apis/v1/token',
    headers: { ...bearer, 'ff-auth': `${secret.slice(0, -1)}x` },
  });
  await call(403, t, {
    method: 'GET',
    url: '/apis/v1/token',
    headers: bearer,
    remoteAddress: '10.0.0.8',
  });
  await call(200, t, { method: 'GET', url: '/apis/v1/auth', headers: bearer });
  await call(403, t, {
    method: 'GET',
    url: '/apis/v1/auth',
    headers: { ...bearer, 'x-tokend-permission': 'core.core.nothing' },
  });
  await call(401, t, { method: 'GET', url: '/apis/v1/auth' });
  await call(200, t, { method: 'GET', url: `/apis/v1/files/${file}/download`, headers: bearer });
  await call(404, t, {
    method: 'GET',
    url: `/apis/v1/files/${UNKNOWN_ID}/download`,
    headers: bearer,
  });
  const rotate = { method: 'POST', url: '/apis/v1/token/rotate' } as const;
  await call(403, t, { ...rotate, ...json({}, bearer) });
  const create = { method: 'POST', url: '/apis/v1/api-tokens' } as const;
  const own = await call(201, admin, {
    ...create,
    ...json({ name: 'Self-rotating', permissions: ['tokens.self_rotate'], allowedIps: ['127.0.0.9'] }),
  });
  const ownBearer = { authorization: `Bearer ${String(own.secret)}` };
  const inside = { remoteAddress: '127.0.0.9' };
  await call(403, t, { method: 'GET', url: '/apis/v1/token', headers: ownBearer });
  await call(200, t, { ...rotate, ...inside, ...json({ graceSeconds: 60 }, ownBearer) });
  await call(409, t, { ...rotate, ...inside, ...json({}, ownBearer) });
  await call(400, t, { ...rotate, ...inside, ...json({ graceSeconds: -1 }, ownBearer) });
  // Failed token checks from one address: 3 allowed (createEnv above), then 429 with Retry-After.
  const from = { remoteAddress: '127.0.0.3' };
  const wrong = { authorization: `Bearer ${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}` };
  for (let i = 0; i < 3; i++)
    await call(401, t, { method: 'GET', url: '/apis/v1/token', headers: wrong, ...from });
  await call(429, t, { method: 'GET', url: '/apis/v1/auth', headers: wrong, ...from });
}
