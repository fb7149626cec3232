// Slow clients (issue 14): a body or headers that trickle in get `408 request_timeout` and the connection
// closed within the TOKEND_REQUEST_TIMEOUT / TOKEND_HEADERS_TIMEOUT settings, on a real socket. And the
// answers made before routing (a bad %-escape, 431, malformed HTTP, a missing Host, 408) carry
// Referrer-Policy like every response, and HSTS over TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createEnv, databaseKinds, type Env } from '../../test-support/harness.js';
import { buildApp } from '../app.js';

interface Exchange {
  answer: string;
  /** Milliseconds from the first byte sent to the server closing the connection. */
  ms: number;
  closedBy: 'server' | 'deadline';
  error?: string;
}

/**
 * Sends `first`, then `drip` every `everyMs` until the server closes the connection or `deadlineMs`
 * passes; returns what the server answered.
 */
function exchange(
  open: () => Socket,
  first: string,
  drip: string | null,
  { everyMs = 200, deadlineMs = 6000 } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = open();
    const started = Date.now();
    let answer = '';
    let dripping: NodeJS.Timeout | undefined;
    const done = (closedBy: Exchange['closedBy'], error?: string) => {
      clearInterval(dripping);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ answer, ms: Date.now() - started, closedBy, ...(error ? { error } : {}) });
    };
    const deadline = setTimeout(() => done('deadline'), deadlineMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', (e: NodeJS.ErrnoException) => done('server', e.code));
    socket.on('close', () => done('server'));
    socket.write(first);
    if (drip) dripping = setInterval(() => socket.writable && socket.write(drip), everyMs);
  });
}

const headerOf = (answer: string, name: string) =>
  new RegExp(`^${name}: (.*)$`, 'im').exec(answer.split('\r\n\r\n')[0] ?? '')?.[1]?.trim();

for (const kind of databaseKinds()) {
  describe(`slow clients and answers before routing (${kind})`, () => {
    let env: Env;
    let port: number;
    before(async () => {
      env = await createEnv(kind, { requestTimeoutMs: 1000, headersTimeoutMs: 600 });
      await env.app.listen({ port: 0, host: '127.0.0.1' });
      port = (env.app.server.address() as AddressInfo).port;
    });
    after(() => env.close());
    const plain = () => connect(port, '127.0.0.1');

    test('a body at a byte every 200 ms: 408 request_timeout and the connection closed', async (c) => {
      const t = await env.tenant();
      const head = `POST /apis/v1/session HTTP/1.1\r\nHost: ${t.host}\r\nContent-Type: application/json\r\n`;
      const sized = await exchange(plain, `${head}Content-Length: 1000\r\n\r\n{`, ' ');
      const chunked = await exchange(
        plain,
        `${head}Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n`,
        '1\r\n \r\n',
      );
      for (const [what, got] of Object.entries({ sized, chunked })) {
        assert.equal(got.closedBy, 'server', `${what}: still open after ${got.ms} ms: ${got.answer}`);
        assert.match(got.answer, /^HTTP\/1\.1 408 /, `${what}: ${got.answer}`);
        assert.ok(
          got.answer.endsWith('{"error":"request_timeout","message":"request body not received in time"}'),
          `${what}: ${got.answer}`,
        );
        assert.equal(headerOf(got.answer, 'connection'), 'close', what);
        assert.equal(headerOf(got.answer, 'referrer-policy'), 'no-referrer', what);
        // The request timeout is 1 s, checked every 150 ms.
        assert.ok(got.ms >= 900 && got.ms < 2500, `${what}: closed after ${got.ms} ms`);
        assert.equal(got.error, undefined, `${what}: ${got.error}`);
        c.diagnostic(`${what} body: 408 and closed after ${got.ms} ms`);
      }
    });

    test('headers that never end: 408 within the headers timeout', async (c) => {
      const got = await exchange(plain, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n');
      assert.equal(got.closedBy, 'server', `still open after ${got.ms} ms: ${got.answer}`);
      assert.match(got.answer, /^HTTP\/1\.1 408 /, got.answer);
      assert.match(got.answer, /"error":"request_timeout"/, got.answer);
      assert.ok(got.ms >= 500 && got.ms < 2000, `closed after ${got.ms} ms`);
      c.diagnostic(`headers: 408 and closed after ${got.ms} ms`);
    });

    test('answers made before routing carry Referrer-Policy and the JSON answers’ headers', async () => {
      const cases: [string, string, number][] = [
        [
          'bad %-escape',
          'GET /apis/v1/files/%zz/download HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
          400,
        ],
        ['headers too large', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`, 431],
        ['malformed request', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400],
        ['missing Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
      ];
      for (const [what, bytes, status] of cases) {
        const got = await exchange(plain, bytes, null, { deadlineMs: 3000 });
        assert.match(got.answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${got.answer}`);
        assert.equal(headerOf(got.answer, 'referrer-policy'), 'no-referrer', `${what}: ${got.answer}`);
        assert.equal(headerOf(got.answer, 'x-content-type-options'), 'nosniff', `${what}: ${got.answer}`);
        assert.equal(headerOf(got.answer, 'cache-control'), 'no-store', `${what}: ${got.answer}`);
        assert.equal(headerOf(got.answer, 'strict-transport-security'), undefined, `${what}: plain HTTP`);
      }
    });

    test('over TLS the same answers carry HSTS', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tokend-slow-'));
      const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
          ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
        ],
        { stdio: 'ignore' },
      );
      const ca = readFileSync(cert, 'utf8');
      const app: FastifyInstance = await buildApp({
        config: env.config,
        services: env.services,
        logger: pino({ level: 'silent' }),
        limiter: env.limiter,
        https: { cert: ca, key: readFileSync(key, 'utf8') },
      });
      try {
        await app.listen({ port: 0, host: '127.0.0.1' });
        const tlsPort = (app.server.address() as AddressInfo).port;
        const secure = () => tlsConnect({ port: tlsPort, host: '127.0.0.1', ca });
        const cases: [string, string, string | null, number][] = [
          [
            'bad %-escape',
            'GET /apis/v1/files/%zz/download HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            null,
            400,
          ],
          ['malformed request', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', null, 400],
          ['missing Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', null, 400],
          [
            'slow body',
            'POST /apis/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{',
            ' ',
            408,
          ],
        ];
        for (const [what, bytes, drip, status] of cases) {
          const got = await exchange(secure, bytes, drip, { deadlineMs: 4000 });
          assert.match(got.answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${got.answer}`);
          assert.equal(headerOf(got.answer, 'referrer-policy'), 'no-referrer', `${what}: ${got.answer}`);
          assert.match(
            headerOf(got.answer, 'strict-transport-security') ?? '',
            /^max-age=31536000; includeSubDomains$/,
            `${what}: ${got.answer}`,
          );
        }
      } finally {
        await app.close();
      }
    });
  });
}
