// `tokend scan --report` against the real route (SPEC 9): a live tokend, a file holding one of its
// tokens, and the scan's report suspending that token there; the scan still exits 1. Beside
// scan.test.ts, whose recording server checks the body shape. Then `tokens list --compromised` on the
// same data lists it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../config.js';
import type { Db } from '../db/db.js';
import { type Running, startServer } from '../main.js';
import { parsed, TokenPage, TokenSchema } from '../test-support/answers.js';
import { tokendInProcess } from '../test-support/cli.js';
import { databaseKinds, freshDb } from '../test-support/harness.js';
import * as live from '../test-support/live-server.js';

const ADMIN = { email: 'admin@example.test', password: 'admin-password-123' };

for (const kind of databaseKinds()) {
  describe(`tokend scan --report to a live tokend (${kind})`, () => {
    const root = mkdtempSync(join(tmpdir(), 'tokend-scan-report-'));
    let db: Db | null = null;
    let running: Running;
    let stopped = false;
    let serverEnv: Record<string, string>;
    before(async () => {
      db = kind === 'postgres' ? await freshDb('postgres') : null;
      const url = db ? (db as unknown as { url: string }).url : undefined;
      serverEnv = { ...(url ? { DATABASE_URL: url } : {}), TOKEND_DATA_DIR: join(root, 'server') };
      const config = loadConfig({
        ...serverEnv,
        TOKEND_ADMIN_EMAIL: ADMIN.email,
        TOKEND_ADMIN_PASSWORD: ADMIN.password,
        TOKEND_REMINDER_INTERVAL: '0',
        HOST: '127.0.0.1',
        PORT: '0',
      });
      running = await startServer(config, { logger: pino({ level: 'silent' }) });
    });
    after(async () => {
      if (!stopped) await running?.stop();
      await db?.close();
      rmSync(root, { recursive: true, force: true });
    });

    test('the token found is suspended by the report, and the scan exits 1', async () => {
      const staff = await live.login(running.url, ADMIN.email, ADMIN.password);
      const { token, secret } = await live.createToken(staff, { name: 'Deploy hook' });
      const other = await live.createToken(staff, { name: 'Not in the file' });
      const file = join(root, 'deploy.env');
      writeFileSync(file, `HOOK_TOKEN=${secret}\n`);
      // The scan needs no database: its own empty data folder, and a PostgreSQL URL never dialled.
      const env = { TOKEND_DATA_DIR: join(root, 'scan'), DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' };
      const r = await tokendInProcess(
        ['scan', file, '--report', running.url, '--url', 'https://ci.example.test/jobs/9'],
        env,
      );
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^reported 1 token to http:\/\/127\.0\.0\.1:\d+\/apis\/v1\/leaks$/m);
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'the scan printed the secret');

      const read = async (id: string) => {
        const res = await live.staffCall(staff, 'GET', `/apis/v1/api-tokens/${id}`);
        assert.equal(res.status, 200);
        return parsed(await res.text(), TokenSchema, 'the token');
      };
      const reported = await read(token.id);
      assert.equal(reported.state, 'suspended');
      assert.equal(reported.stateReason, 'leaked');
      assert.ok(reported.compromisedAt);
      assert.deepEqual(await live.useToken(running.url, secret), { status: 401, error: 'token_suspended' });
      assert.equal((await read(other.token.id)).state, 'active');
      assert.equal((await live.useToken(running.url, other.secret)).status, 200);

      // The embedded database belongs to one process: the CLI reads it once the server has stopped.
      stopped = true;
      await running.stop();
      const listed = await tokendInProcess(['tokens', 'list', '--compromised', '--json'], serverEnv);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        parsed(listed.stdout, TokenPage, 'the list').items.map((t) => t.id),
        [token.id],
      );
    });
  });
}
