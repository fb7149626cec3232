// Limits at the edge (SPEC section 5): oversized headers and broken HTTP on a real socket, bad URLs and
// over-long ids (400 with field id, as any malformed id), hostile JSON (deep nesting, __proto__, unknown
// fields, long strings).
// Each gets a catalogued 4xx that quotes nothing it was sent, and the server keeps serving.
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { body, ErrorSchema } from '../../test-support/answers.js';
import { createEnv, type Env, said, type Tenant } from '../../test-support/harness.js';

/** Sends raw bytes and returns everything the server answers before it closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(answer) : reject(e)));
    socket.on('close', () => resolve(answer));
  });
}

describe('input limits', () => {
  let env: Env;
  let t: Tenant;
  let secret: string;
  let port: number;
  before(async () => {
    env = await createEnv('pglite');
    t = await env.tenant();
    secret = (await (await t.adminAgent()).createToken({ name: 'Limits' })).secret;
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    port = (env.app.server.address() as AddressInfo).port;
  });
  after(() => env.close());

  const stillServing = async () => {
    const res = await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
    assert.equal(res.statusCode, 200, said(res));
  };

  test('headers over 16 kB and broken HTTP: a short catalogued answer that echoes nothing', async () => {
    const big = await raw(
      port,
      `GET /apis/v1/token HTTP/1.1\r\nHost: ${t.host}\r\nFF_AUTH: ${secret}${'x'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.match(big, /\{"error":"invalid_request","message":"request headers too large"\}$/);
    const broken = await raw(port, `GET /apis/v1/token?token=${secret} HTTP/1.1\r\nHost ${t.host}\r\n\r\n`);
    assert.match(broken, /^HTTP\/1\.1 400 /);
    assert.ok(!big.includes(secret.slice(10)) && !broken.includes(secret.slice(10)), broken);
    const ok = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(ok, /^HTTP\/1\.1 200 /);
    await stillServing();
  });

  test('bad %-escapes and over-long path parameters are refused without quoting the path', async () => {
    const admin = await t.adminAgent();
    const asToken = (o: { method: 'GET'; url: string }) => t.request({ ...o, headers: { FF_AUTH: secret } });
    const asAdmin = (o: { method: 'GET'; url: string }) => admin.request(o);
    // An id of any length reaches its route, so a malformed one is the schema's 400 with field id.
    const cases: [string, typeof asToken, number, string, string][] = [
      [`/apis/v1/files/${secret}%zz/download`, asToken, 400, 'invalid_request', 'url'],
      [`/apis/v1/api-tokens/${secret}${secret}`, asAdmin, 400, 'invalid_request', 'id'],
      [`/apis/v1/api-tokens/${secret.repeat(100)}`, asAdmin, 400, 'invalid_request', 'id'],
      [`/apis/v1/files/${secret.repeat(3)}/download`, asToken, 400, 'invalid_request', 'id'],
    ];
    for (const [url, send, status, error, field] of cases) {
      const res = await send({ method: 'GET', url });
      assert.equal(res.statusCode, status, `${url.slice(0, 80)} → ${said(res)}`);
      const answer = body(res, ErrorSchema);
      assert.equal(answer.error, error, said(res));
      assert.equal(answer.field, field, said(res));
      assert.ok(!res.body.includes(secret.slice(10)), `echoed: ${said(res)}`);
    }
    await stillServing();
  });

  test('hostile JSON: deep nesting, __proto__, unknown and over-long fields, a token as a field name', async () => {
    const admin = await t.adminAgent();
    const post = (payload: string, url = '/apis/v1/api-tokens') =>
      admin.request({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
    const cases: [string, string | undefined][] = [
      [`{"name":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, 'name'],
      ['{"name":"x","__proto__":{"admin":true}}', '__proto__'],
      ['{"name":"x","constructor":{"prototype":{"admin":true}}}', 'constructor'],
      [JSON.stringify({ name: 'x', [secret]: 1 }), undefined],
      [JSON.stringify({ name: 'n'.repeat(201) }), 'name'],
      [JSON.stringify({ name: 'x', description: 'd'.repeat(2001) }), 'description'],
    ];
    for (const [payload, field] of cases) {
      const res = await post(payload);
      assert.ok([400, 413].includes(res.statusCode), `${payload.slice(0, 60)} → ${said(res)}`);
      if (field) assert.equal(body(res, ErrorSchema).field, field, said(res));
      assert.ok(!res.body.includes(secret.slice(10)), `echoed: ${said(res)}`);
    }
    assert.equal(({} as { admin?: boolean }).admin, undefined, 'no prototype was polluted');
    const login = await t.request({
      method: 'POST',
      url: '/apis/v1/session',
      payload: { email: `${'e'.repeat(321)}@x.test`, password: 'p' },
    });
    assert.equal(body(login, ErrorSchema).field, 'email', said(login));
    const extra = await t.request({
      method: 'POST',
      url: '/apis/v1/session',
      payload: { email: 'a@b.c', password: 'p', role: 'admin' },
    });
    assert.equal(body(extra, ErrorSchema).field, 'role', said(extra));
    const count = await env.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_tokens WHERE institution_id = $1',
      [t.institution.id],
    );
    assert.equal(count[0]?.n, 1, 'nothing was created');
  });
});
