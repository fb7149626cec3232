// A graceful stop loses no usage: a real `tokend serve` process under load gets SIGTERM, drains the
// requests in flight, flushes, and every request the client saw succeed is in the daily counts. The
// flush interval is an hour, so only the final flush can have written them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openPglite } from '../db/db.js';
import { BIN, jsonOf, Printed, tokend } from '../test-support/cli.js';
import { databaseKinds, freshDb } from '../test-support/harness.js';
import { freePort, waitUntil } from '../test-support/live-server.js';

const ADMIN = 'admin@example.test';

/** Starts `tokend serve` and resolves once it answers /healthz. */
async function serve(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let code: number | null = null;
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (c) => {
      code = c ?? -1;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    'tokend to start',
    async () => {
      if (code !== null) throw new Error(`tokend exited with ${code}: ${stderr}`);
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    30_000,
    100,
  );
  return { child, url, exited };
}

/** Workers call the token route until the server goes away; returns how many answers were 200. */
async function load(url: string, secret: string, workers: number, onSuccess: (total: number) => void) {
  let ok = 0;
  const worker = async () => {
    for (;;) {
      try {
        const res = await fetch(`${url}/apis/v1/token`, { headers: { authorization: `Bearer ${secret}` } });
        await res.arrayBuffer();
        if (res.status !== 200) return;
        onSuccess(++ok);
      } catch {
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return ok;
}

describe('graceful stop under load', () => {
  for (const kind of databaseKinds()) {
    test(`after SIGTERM every request the client counted is in the daily counts (${kind})`, async () => {
      const pgDb = kind === 'postgres' ? await freshDb('postgres') : null;
      const dataDir = mkdtempSync(join(tmpdir(), 'tokend-drain-'));
      const env = {
        TOKEND_DATA_DIR: dataDir,
        TOKEND_ADMIN_EMAIL: ADMIN,
        TOKEND_ADMIN_PASSWORD: 'admin-password-123',
        ...(pgDb ? { DATABASE_URL: (pgDb as unknown as { url: string }).url } : {}),
      };
      try {
        const created = await tokend(['tokens', 'create', '--name', 'Load', '--by', ADMIN, '--json'], env);
        assert.equal(created.code, 0, created.stderr);
        const { token, secret } = jsonOf(Printed.Created, created.stdout);
        const server = await serve({
          ...env,
          TOKEND_USAGE_FLUSH_INTERVAL: '1h',
          TOKEND_REMINDER_INTERVAL: '0',
          TOKEND_LOG_LEVEL: 'warn',
        });
        let signalledAt = 0;
        const counted = await load(server.url, secret, 8, (total) => {
          // Stop in the middle of the load: requests are in flight on every worker.
          if (total >= 300 && !signalledAt && server.child.kill('SIGTERM')) signalledAt = Date.now();
        });
        assert.equal(await server.exited, 0);
        // Keep-alive connections busy at the signal must not hold the process for keepAliveTimeout (72 s).
        assert.ok(Date.now() - signalledAt < 10_000, `stopping took ${Date.now() - signalledAt} ms`);
        assert.ok(counted >= 300, `only ${counted} requests succeeded`);
        const sum = `SELECT coalesce(sum(count), 0)::int AS n FROM token_usage_daily WHERE token_id = $1`;
        let recorded: number | undefined;
        if (pgDb) [{ n: recorded }] = (await pgDb.query<{ n: number }>(sum, [token.id])) as [{ n: number }];
        else {
          const db = await openPglite(join(dataDir, 'pgdata'));
          [{ n: recorded }] = (await db.query<{ n: number }>(sum, [token.id])) as [{ n: number }];
          await db.close();
        }
        assert.equal(recorded, counted);
      } finally {
        await pgDb?.close();
      }
    });
  }
});
