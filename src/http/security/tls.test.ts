// tokend serving HTTPS itself (SPEC section 6): a self-signed certificate made for the test, the real
// server from startServer with TOKEND_TLS_CERT/KEY, and a client that trusts only that certificate.
// Over TLS: HSTS, a Secure session cookie, no-store on secrets, and tokens accepted even with
// TOKEND_ALLOW_LOOPBACK_HTTP=false; the same server refuses nothing it should serve.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../config.js';
import { type Running, startServer } from '../../main.js';
import { body, CreatedSchema, SessionSchema } from '../../test-support/answers.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('HTTPS served by tokend (TOKEND_TLS_CERT, TOKEND_TLS_KEY)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokend-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let server: Running;
  let ca: string;

  before(async () => {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
        ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(cert, 'utf8');
    const config = loadConfig({
      PORT: '0',
      TOKEND_DATA_DIR: join(dir, 'data'),
      TOKEND_ADMIN_EMAIL: 'admin@example.test',
      TOKEND_ADMIN_PASSWORD: 'admin-password-123',
      TOKEND_TLS_CERT: cert,
      TOKEND_TLS_KEY: key,
      TOKEND_ALLOW_LOOPBACK_HTTP: 'false',
      TOKEND_REMINDER_INTERVAL: '0',
    });
    server = await startServer(config, { logger: pino({ level: 'silent' }) });
  });
  after(() => server.stop());

  function call(method: string, path: string, headers: Record<string, string> = {}, json?: object) {
    const url = new URL(path, server.url);
    const payload = json ? JSON.stringify(json) : undefined;
    return new Promise<Answer>((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          ca, // only the test's own certificate is trusted: the handshake really is verified
          headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (data += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  test('login, create and use a token over TLS: HSTS, Secure cookie, no-store', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await call('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal(health.headers['referrer-policy'], 'no-referrer');

    const login = await call(
      'POST',
      '/apis/v1/session',
      {},
      {
        email: 'admin@example.test',
        password: 'admin-password-123',
      },
    );
    assert.equal(login.status, 200, login.body);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /tokend_session=[^;]+;.*Secure/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.equal(login.headers['cache-control'], 'no-store');
    const cookie = setCookie.split(';')[0] as string;
    const csrf = body(login, SessionSchema).csrfToken;

    const created = await call(
      'POST',
      '/apis/v1/api-tokens',
      { cookie, 'x-csrf-token': csrf },
      { name: 'TLS' },
    );
    assert.equal(created.status, 201, created.body);
    assert.equal(created.headers['cache-control'], 'no-store');
    const { secret } = body(created, CreatedSchema);

    const own = await call('GET', '/apis/v1/token', { FF_AUTH: secret });
    assert.equal(own.status, 200, own.body);
    assert.equal(own.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    // Forwarding headers change nothing on a TLS socket: the connection itself is secure.
    const forwarded = await call('GET', '/apis/v1/token', { FF_AUTH: secret, 'x-forwarded-proto': 'http' });
    assert.equal(forwarded.status, 200, forwarded.body);
  });

  /** A TLS handshake offering only `ciphers` (and at most `maxVersion`): the suite agreed, or the refusal. */
  function handshake(ciphers: string | undefined, maxVersion: 'TLSv1.2' | 'TLSv1.3') {
    const { hostname, port } = new URL(server.url);
    return new Promise<{ ok: true; cipher: string; version: string } | { ok: false; error: string }>(
      (resolve) => {
        const socket = tlsConnect({
          host: hostname,
          port: Number(port),
          ca,
          maxVersion,
          ...(ciphers ? { ciphers } : {}),
        });
        socket.once('secureConnect', () => {
          resolve({ ok: true, cipher: socket.getCipher().name, version: String(socket.getProtocol()) });
          socket.end();
        });
        socket.once('error', (err: Error & { code?: string }) =>
          resolve({ ok: false, error: err.code ?? err.message }),
        );
      },
    );
  }

  test("Mozilla's intermediate profile: no static RSA, no CBC; ECDHE/DHE AEAD on TLS 1.2, and TLS 1.3", async () => {
    for (const suite of [
      'AES128-GCM-SHA256', // static RSA key exchange: no forward secrecy
      'AES256-GCM-SHA384',
      'AES128-SHA', // static RSA and CBC
      'ECDHE-RSA-AES128-SHA', // CBC (LUCKY13)
      'ECDHE-RSA-AES256-SHA384',
      'DHE-RSA-AES128-SHA256',
    ]) {
      const answer = await handshake(suite, 'TLSv1.2');
      assert.equal(answer.ok, false, `${suite} was agreed: ${JSON.stringify(answer)}`);
    }
    for (const suite of [
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-RSA-CHACHA20-POLY1305',
      'DHE-RSA-AES128-GCM-SHA256',
      'DHE-RSA-AES256-GCM-SHA384',
    ]) {
      const answer = await handshake(suite, 'TLSv1.2');
      assert.deepEqual(answer, { ok: true, cipher: suite, version: 'TLSv1.2' }, suite);
    }
    const modern = await handshake(undefined, 'TLSv1.3');
    assert.ok(modern.ok && modern.version === 'TLSv1.3', JSON.stringify(modern));
  });

  test('openssl s_client offering CBC or static RSA is refused; an ECDHE AEAD suite is agreed', async () => {
    const { port } = new URL(server.url);
    // -brief prints "CONNECTION ESTABLISHED" and the suite once a handshake succeeds (on stderr). Run
    // asynchronously: the server answering it lives in this process.
    const sClient = (cipher: string) =>
      new Promise<string>((resolve) => {
        const child = execFile(
          'openssl',
          ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', cipher, '-brief'],
          { timeout: 10_000 },
          (_error, stdout, stderr) => {
            const said = `${stdout}${stderr}`;
            resolve(said.includes('CONNECTION ESTABLISHED') ? said : `refused: ${said.slice(0, 300)}`);
          },
        );
        child.stdin?.end();
      });
    for (const cipher of ['AES128-SHA256', 'ECDHE-RSA-AES128-SHA256', 'AES256-GCM-SHA384'])
      assert.match(await sClient(cipher), /^refused/, cipher);
    assert.match(await sClient('ECDHE-RSA-AES128-GCM-SHA256'), /Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256/);
  });

  test('logout over TLS clears the cookie as HttpOnly, SameSite=Strict and Secure', async () => {
    const login = await call(
      'POST',
      '/apis/v1/session',
      {},
      { email: 'admin@example.test', password: 'admin-password-123' },
    );
    assert.equal(login.status, 200, login.body);
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const csrf = body(login, SessionSchema).csrfToken;
    const logout = await call('DELETE', '/apis/v1/session', { cookie, 'x-csrf-token': csrf });
    assert.equal(logout.status, 204, logout.body);
    const cleared = String(logout.headers['set-cookie']);
    for (const attribute of [/^tokend_session=;/, /; HttpOnly/, /; SameSite=Strict/, /; Secure/])
      assert.match(cleared, attribute);
  });
});
