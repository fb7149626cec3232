// The graceful stop as an orchestrator sees it (issue 14): a real `tokend serve` process gets SIGTERM
// with 16 MB downloads in flight (their clients reading slowly) and idle keep-alive connections open.
// Every download arrives whole, every keep-alive connection's next request is answered with
// `Connection: close` (no reset), new connections are refused, and the process exits 0. A download that
// never finishes is cut at TOKEND_SHUTDOWN_GRACE. On the embedded database the downloads are 8 MB: the
// stop is the same code on both, and 8 MB is still about twice what the kernel holds for a paused
// client's connection here (a 4 MB send buffer, a small receive window), so they are in flight at
// SIGTERM; storing and reading 16 MB through PGlite was most of the time. Its server starts on a
// migrated folder (no initdb).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Db } from './db/db.js';
import { databaseKinds, type DbKind, freshDb, migratedDataDir } from './test-support/harness.js';
import { createToken, login } from './test-support/live-server.js';

const ADMIN = { email: 'admin@example.test', password: 'admin-password-123' };
const MB = 1024 * 1024;
const SIZES: Record<DbKind, number> = { pglite: 8 * MB, postgres: 16 * MB };

interface Tokend {
  process: ChildProcess;
  url: string;
  port: number;
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; at: number }>;
}

async function startTokend(databaseUrl: string | undefined, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['bin/tokend.js', 'serve'], {
    cwd: join(import.meta.dirname, '..'),
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      TOKEND_DATA_DIR: databaseUrl
        ? join(mkdtempSync(join(tmpdir(), 'tokend-stop-')), 'data')
        : await migratedDataDir('tokend-stop-'),
      TOKEND_ADMIN_EMAIL: ADMIN.email,
      TOKEND_ADMIN_PASSWORD: ADMIN.password,
      TOKEND_MAX_FILE_SIZE: String(16 * MB + 1024),
      TOKEND_REMINDER_INTERVAL: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'tokend listening') resolve(entry.url as string);
      }
    });
    void exited.then(({ code }) => reject(new Error(`tokend exited (${code}) before listening`)));
  });
  return { process: child, url, port: Number(new URL(url).port), logs, exited } satisfies Tokend;
}

async function uploadFile(base: string, bytes: Buffer) {
  const staff = await login(base, ADMIN.email, ADMIN.password);
  const form = new FormData();
  form.append(
    'file',
    new Blob([bytes as unknown as BlobPart], { type: 'application/octet-stream' }),
    'big.bin',
  );
  const res = await fetch(`${base}/apis/v1/files`, {
    method: 'POST',
    headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrf },
    body: form,
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  const { secret } = await createToken(staff, { name: 'Downloads' });
  return { id, secret };
}

interface Download {
  response: IncomingMessage;
  /** Starts reading; resolves with the bytes received and whether the stream ended whole. */
  finish(): Promise<{ bytes: Buffer; complete: boolean; error?: string }>;
}

/** A download on its own connection whose client does not read until told to. */
function startDownload(base: string, path: string, secret: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}${path}`, { agent: false, headers: { FF_AUTH: secret } }, (response) => {
      response.pause();
      const finish = () =>
        new Promise<{ bytes: Buffer; complete: boolean; error?: string }>((done) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => done({ bytes: Buffer.concat(chunks), complete: response.complete }));
          response.on('error', (e: NodeJS.ErrnoException) =>
            done({ bytes: Buffer.concat(chunks), complete: false, error: e.code ?? e.message }),
          );
          response.resume();
        });
      resolve({ response, finish });
    });
    req.on('error', reject);
  });
}

/** A raw keep-alive connection: sends a request and resolves with the whole answer (Content-Length). */
class KeepAlive {
  private buffer = '';
  private waiting: (() => void) | null = null;
  ended = false;
  error: string | undefined;
  private constructor(private socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.waiting?.();
    });
    socket.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error = e.code ?? e.message;
      this.waiting?.();
    });
  }
  static open(port: number): Promise<KeepAlive> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new KeepAlive(socket)));
      socket.once('error', reject);
    });
  }
  async request(path: string): Promise<{ status: number; connection: string | undefined; body: string }> {
    this.buffer = '';
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    for (;;) {
      const [head, body = ''] = this.buffer.split('\r\n\r\n');
      const length = /^content-length: (\d+)$/im.exec(head ?? '')?.[1];
      if (length !== undefined && Buffer.byteLength(body) >= Number(length)) {
        const connection = /^connection: (.*)$/im
          .exec(head ?? '')?.[1]
          ?.trim()
          .toLowerCase();
        return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]), connection, body };
      }
      if (this.ended || this.error)
        throw new Error(`no answer: ${this.error ?? 'closed'} after ${this.buffer}`);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
  close() {
    this.socket.destroy();
  }
}

const refused = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });

for (const kind of databaseKinds()) {
  describe(`graceful stop of tokend serve (${kind})`, () => {
    const dbs: Db[] = [];
    const children: ChildProcess[] = [];
    const databaseUrl = async (k: DbKind) => {
      if (k === 'pglite') return undefined;
      const db = await freshDb(k);
      dbs.push(db);
      return (db as Db & { url: string }).url;
    };
    const SIZE = SIZES[kind];
    let file: Buffer;
    before(() => {
      file = randomBytes(SIZE);
    });
    after(async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      for (const db of dbs) await db.close();
    });

    test(`SIGTERM with ${SIZE / MB} MB downloads and keep-alive connections in flight: all answered whole`, async (t) => {
      const tokend = await startTokend(await databaseUrl(kind));
      children.push(tokend.process);
      const { id, secret } = await uploadFile(tokend.url, file);
      const downloads = await Promise.all(
        Array.from({ length: 4 }, () => startDownload(tokend.url, `/apis/v1/files/${id}/download`, secret)),
      );
      for (const d of downloads) assert.equal(d.response.statusCode, 200);
      const idle = await Promise.all(Array.from({ length: 4 }, () => KeepAlive.open(tokend.port)));
      for (const c of idle) assert.equal((await c.request('/healthz')).status, 200);

      const signalled = Date.now();
      tokend.process.kill('SIGTERM');
      await sleep(500);
      assert.equal(await refused(tokend.port), 'ECONNREFUSED', 'a new connection during the stop');
      for (const c of idle) {
        const next = await c.request('/healthz');
        assert.equal(next.status, 200, next.body);
        assert.equal(next.connection, 'close');
      }
      const received = await Promise.all(downloads.map((d) => d.finish()));
      const { code, at } = await tokend.exited;
      const digest = createHash('sha256').update(file).digest('hex');
      for (const [i, r] of received.entries()) {
        assert.equal(r.error, undefined, `download ${i}: ${r.error}`);
        assert.equal(r.bytes.length, SIZE, `download ${i}: ${r.bytes.length} of ${SIZE} bytes`);
        assert.ok(r.complete, `download ${i} incomplete`);
        assert.equal(createHash('sha256').update(r.bytes).digest('hex'), digest, `download ${i}`);
      }
      // Each keep-alive connection was closed by tokend after its answer, cleanly (a FIN, no reset).
      for (const [i, c] of idle.entries()) {
        assert.ok(c.ended, `keep-alive ${i} still open`);
        assert.equal(c.error, undefined, `keep-alive ${i}: ${c.error}`);
        c.close();
      }
      assert.equal(code, 0);
      assert.ok(tokend.logs.some((l) => l.msg === 'tokend stopped'));
      t.diagnostic(`exited ${at - signalled} ms after SIGTERM; ${received.length} × ${SIZE} bytes whole`);
    });

    test('a download that never finishes is cut at TOKEND_SHUTDOWN_GRACE', async (t) => {
      const tokend = await startTokend(await databaseUrl(kind), { TOKEND_SHUTDOWN_GRACE: '1s' });
      children.push(tokend.process);
      const { id, secret } = await uploadFile(tokend.url, file);
      const stuck = await startDownload(tokend.url, `/apis/v1/files/${id}/download`, secret);
      const signalled = Date.now();
      tokend.process.kill('SIGTERM');
      const { code, at } = await tokend.exited;
      const got = await stuck.finish();
      assert.equal(code, 0);
      assert.ok(at - signalled >= 1000 && at - signalled < 4000, `exited after ${at - signalled} ms`);
      assert.ok(got.bytes.length < SIZE, `${got.bytes.length} bytes arrived`);
      assert.ok(tokend.logs.some((l) => l.msg === 'responses cut at the end of the grace' && l.cut === 1));
      t.diagnostic(`exited ${at - signalled} ms after SIGTERM with the grace at 1 s`);
    });
  });
}
