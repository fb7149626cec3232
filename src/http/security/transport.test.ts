// Plain HTTP is refused for tokens and sessions (SPEC section 6) unless the connection is TLS, a
// trusted proxy says X-Forwarded-Proto: https, or it is a direct loopback connection without
// forwarding headers while TOKEND_ALLOW_LOOPBACK_HTTP is on. The client address is set per request
// (app.inject's remoteAddress) to play a trusted proxy, an untrusted host and a local developer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import type { Config } from '../../config.js';
import { buildApp } from '../app.js';
import { body, errorOf, SessionSchema } from '../../test-support/answers.js';
import { createEnv, type Env, said, type Tenant } from '../../test-support/harness.js';

const PROXY = '10.0.0.7';
const STRANGER = '203.0.113.9';

describe('HTTPS required for tokens and sessions', () => {
  let env: Env;
  const apps: FastifyInstance[] = [];
  /** Another instance on the same database with other transport settings (the harness logs in
   * over loopback, so settings that refuse loopback get their own app). */
  const open = async (overrides: Partial<Config>) => {
    const config = { ...env.config, authFailureLimit: 10_000, ...overrides };
    const app = await buildApp({
      config,
      services: env.services,
      logger: pino({ level: 'silent' }),
      limiter: env.limiter,
    });
    apps.push(app);
    const t = await env.tenant();
    const { secret } = await (await t.adminAgent()).createToken({ name: 'Transport' });
    const from = (remoteAddress: string, headers: Record<string, string> = {}, url = '/apis/v1/token') =>
      app.inject({
        method: 'GET',
        url,
        remoteAddress,
        headers: { host: t.host, FF_AUTH: secret, ...headers },
      });
    return { app, t, secret, from };
  };
  let proxied: Awaited<ReturnType<typeof open>>;
  before(async () => {
    env = await createEnv('pglite');
    proxied = await open({ trustProxy: [PROXY, '192.168.50.0/24'] });
  });
  after(async () => {
    for (const app of apps) await app.close();
    await env.close();
  });

  const refused = (res: LightMyRequestResponse, what: string) => {
    assert.equal(res.statusCode, 403, `${what}: ${said(res)}`);
    assert.equal(errorOf(res), 'https_required', what);
  };

  test('a trusted proxy: X-Forwarded-Proto https is served (with HSTS), http is refused', async () => {
    const ok = await proxied.from(PROXY, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.1' });
    assert.equal(ok.statusCode, 200, said(ok));
    assert.match(String(ok.headers['strict-transport-security']), /max-age=31536000/);
    const subnet = await proxied.from('192.168.50.20', { 'x-forwarded-proto': 'https' });
    assert.equal(subnet.statusCode, 200, said(subnet));
    refused(await proxied.from(PROXY, { 'x-forwarded-proto': 'http' }), 'trusted proxy, http');
    refused(await proxied.from(PROXY), 'trusted proxy without X-Forwarded-Proto');
  });

  test('an untrusted address cannot claim HTTPS, with tokens or with a session', async () => {
    refused(await proxied.from(STRANGER), 'untrusted, plain');
    refused(await proxied.from(STRANGER, { 'x-forwarded-proto': 'https' }), 'untrusted, spoofed proto');
    refused(await proxied.from('192.168.51.1', { 'x-forwarded-proto': 'https' }), 'outside the CIDR');
    const login = await proxied.app.inject({
      method: 'POST',
      url: '/apis/v1/session',
      remoteAddress: STRANGER,
      headers: { host: proxied.t.host },
      payload: { email: 'a@b.c', password: 'whatever' },
    });
    refused(login, 'login over plain HTTP');
    assert.equal(login.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    assert.equal(login.headers['cache-control'], 'no-store', 'API answers are never cached');
    // The router decodes %-escapes; the HTTPS rule must see through them too.
    refused(await proxied.from(STRANGER, {}, '/%61pis/v1/token'), 'encoded path');
    refused(await proxied.from(STRANGER, {}, '/apis/v1/%74oken'), 'encoded path');
    const health = await proxied.app.inject({ method: 'GET', url: '/healthz', remoteAddress: STRANGER });
    assert.equal(health.statusCode, 200, 'probes need no HTTPS');
  });

  test('the session cookie is Secure when the request came over HTTPS', async () => {
    const admin = await proxied.t.user('admin');
    const login = (headers: Record<string, string>, remoteAddress: string) =>
      proxied.app.inject({
        method: 'POST',
        url: '/apis/v1/session',
        remoteAddress,
        headers: { host: proxied.t.host, ...headers },
        payload: { email: admin.user.email, password: 'correct horse battery staple' },
      });
    const secure = await login({ 'x-forwarded-proto': 'https' }, PROXY);
    assert.equal(secure.statusCode, 200, said(secure));
    assert.match(String(secure.headers['set-cookie']), /; Secure/);
    const local = await login({}, '127.0.0.1');
    assert.equal(local.statusCode, 200, said(local));
    assert.doesNotMatch(String(local.headers['set-cookie']), /Secure/);
  });

  test('logout clears the cookie with the attributes of the login cookie (HttpOnly, SameSite=Strict, Secure)', async () => {
    const admin = await proxied.t.user('admin');
    const headers = { host: proxied.t.host, 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.5' };
    const login = await proxied.app.inject({
      method: 'POST',
      url: '/apis/v1/session',
      remoteAddress: PROXY,
      headers,
      payload: { email: admin.user.email, password: 'correct horse battery staple' },
    });
    assert.equal(login.statusCode, 200, said(login));
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const logout = await proxied.app.inject({
      method: 'DELETE',
      url: '/apis/v1/session',
      remoteAddress: PROXY,
      headers: { ...headers, cookie, 'x-csrf-token': body(login, SessionSchema).csrfToken },
    });
    assert.equal(logout.statusCode, 204, said(logout));
    const cleared = String(logout.headers['set-cookie']);
    assert.match(cleared, /^tokend_session=;/);
    for (const attribute of [/; Path=\/(;|$)/, /; HttpOnly/, /; SameSite=Strict/, /; Secure/])
      assert.match(cleared, attribute);
    assert.match(cleared, /Expires=Thu, 01 Jan 1970|Max-Age=0/);
  });

  test('direct loopback: allowed without forwarding headers, unless switched off or a trusted proxy', async () => {
    const dev = await proxied.from('127.0.0.1');
    assert.equal(dev.statusCode, 200, said(dev));
    assert.equal(dev.headers['strict-transport-security'], undefined);
    assert.equal((await proxied.from('::1')).statusCode, 200);
    assert.equal((await proxied.from('::ffff:127.0.0.1')).statusCode, 200);
    for (const h of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip'])
      refused(await proxied.from('127.0.0.1', { [h]: 'x' }), `loopback with ${h}`);
    const strict = await open({ allowLoopbackHttp: false });
    refused(await strict.from('127.0.0.1'), 'TOKEND_ALLOW_LOOPBACK_HTTP=false');
    // A proxy on this host is trusted by address: what it relays is never "direct" development.
    const local = await open({ trustProxy: ['127.0.0.1'] });
    refused(await local.from('127.0.0.1'), 'from a trusted loopback proxy without headers');
    assert.equal((await local.from('127.0.0.1', { 'x-forwarded-proto': 'https' })).statusCode, 200);
  });

  test('X-Forwarded-Host picks the institution only from a trusted proxy', async () => {
    const other: Tenant = await env.tenant();
    const { secret } = await (await other.adminAgent()).createToken();
    const ask = (remoteAddress: string): InjectOptions => ({
      method: 'GET',
      url: '/apis/v1/token',
      remoteAddress,
      headers: {
        host: proxied.t.host,
        'x-forwarded-host': other.host,
        'x-forwarded-proto': 'https',
        FF_AUTH: secret,
      },
    });
    const viaProxy = await proxied.app.inject(ask(PROXY));
    assert.equal(viaProxy.statusCode, 200, said(viaProxy));
    refused(await proxied.app.inject(ask(STRANGER)), 'untrusted X-Forwarded-Host');
  });
});
