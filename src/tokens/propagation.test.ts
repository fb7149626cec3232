// Several real instances on one PostgreSQL (SPEC section 6): a change made through one instance, the
// CLI or hand-written SQL reaches every other instance's cache through NOTIFY; the usage flush wakes
// nobody; a lost listener shows in /readyz, the cache lifetime heals what it missed, and it comes back.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../config.js';
import type { Db } from '../db/db.js';
import { LISTENER_APPLICATION_NAME, TOKEN_CHANNEL } from '../db/listener.js';
import { type Running, startServer } from '../main.js';
import { ReadinessSchema } from '../http/schemas.js';
import { jsonOf, tokend } from '../test-support/cli.js';
import { freshDb } from '../test-support/harness.js';
import * as live from '../test-support/live-server.js';

const ADMIN = 'admin@example.test';
const PASSWORD = 'admin-password-123';

describe('several instances on PostgreSQL', { skip: !process.env.TEST_DATABASE_URL }, () => {
  let db: Db & { url?: string };
  let url: string;
  let sql: pg.Client;
  const servers: Running[] = [];
  // Unused on PostgreSQL but always resolved: an empty folder rather than ./data of the checkout.
  const dataDir = mkdtempSync(join(tmpdir(), 'tokend-prop-'));
  const env = () => ({
    DATABASE_URL: url,
    TOKEND_ADMIN_EMAIL: ADMIN,
    TOKEND_ADMIN_PASSWORD: PASSWORD,
    TOKEND_DATA_DIR: dataDir,
  });
  const start = async (settings: Record<string, string>) => {
    const config = loadConfig({
      ...env(),
      PORT: '0',
      TOKEND_REMINDER_INTERVAL: '0',
      TOKEND_AUTH_FAILURE_LIMIT: '100000',
      ...settings,
    });
    const running = await startServer(config, { logger: pino({ level: 'silent' }) });
    servers.push(running);
    return running.url;
  };
  let a: string;
  let b: string;
  let staff: live.Staff;

  before(async () => {
    db = await freshDb('postgres');
    url = (db as { url: string }).url;
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
    // A cache lifetime of a minute: only a notification can explain a refusal within a second.
    a = await start({ TOKEND_CACHE_TTL: '60s' });
    b = await start({ TOKEND_CACHE_TTL: '60s', TOKEND_USAGE_FLUSH_INTERVAL: '100ms' });
    staff = await live.login(a, ADMIN, PASSWORD);
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await sql.end();
    await db.close();
  });

  /** A token both instances have cached as valid. */
  const cachedEverywhere = async (...bases: string[]) => {
    const created = await live.createToken(staff);
    for (const base of bases) assert.equal((await live.useToken(base, created.secret)).status, 200);
    return created;
  };

  test('a suspension through instance A is refused by A at once and by B within 1 s; so is a revocation', async () => {
    const { token, secret } = await cachedEverywhere(a, b);
    await live.transition(staff, token.id, 'suspend');
    const since = performance.now();
    assert.deepEqual(await live.useToken(a, secret), { status: 401, error: 'token_suspended' });
    const onB = await live.timeToRefusal(b, secret, since, 1000);
    assert.equal(onB.error, 'token_suspended');
    await live.transition(staff, token.id, 'revoke');
    const revokedAt = performance.now();
    await live.waitUntil('B to report the revocation', async () => {
      return (await live.useToken(b, secret)).error === 'token_revoked';
    });
    assert.ok(performance.now() - revokedAt < 1000);
  });

  test('a suspension by the CLI reaches both instances within 1 s', async () => {
    const { token, secret } = await cachedEverywhere(a, b);
    const cli = await tokend(['tokens', 'suspend', token.id, '--by', ADMIN, '--json'], env());
    assert.equal(cli.code, 0, cli.stderr);
    const since = performance.now();
    for (const base of [a, b]) {
      const refused = await live.timeToRefusal(base, secret, since, 1000);
      assert.equal(refused.error, 'token_suspended');
    }
  });

  test('the usage flush notifies nobody; a hand-written UPDATE does', async () => {
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${TOKEN_CHANNEL}`);
    try {
      const { token, secret } = await cachedEverywhere(b);
      heard.length = 0;
      for (let i = 0; i < 5; i++) assert.equal((await live.useToken(b, secret)).status, 200);
      await live.waitUntil('the flush to record last use', async () => {
        const { rows } = await sql.query<{ last_used_at: Date | null }>(
          'SELECT last_used_at FROM api_tokens WHERE id = $1',
          [token.id],
        );
        return rows[0]?.last_used_at !== null;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(heard, [], 'last_used_* updates wake no instance');
      await sql.query(`UPDATE api_tokens SET state = 'suspended' WHERE id = $1`, [token.id]);
      const since = performance.now();
      assert.equal((await live.timeToRefusal(b, secret, since, 1000)).error, 'token_suspended');
      await live.waitUntil('the notification', () => heard.length > 0, 2000, 5);
      assert.deepEqual(heard, [token.id]);
    } finally {
      await listener.end();
    }
  });

  test('a lost listener: /readyz says so, the cache lifetime heals a missed change, LISTEN comes back', async () => {
    const c = await start({ TOKEND_CACHE_TTL: '1s' });
    const ready = async () => (await fetch(`${c}/readyz`)).status === 200;
    await live.waitUntil('C ready', ready);
    const { secret, token } = await cachedEverywhere(c);
    const name = new URL(url).pathname.slice(1);
    // Keep the listener out while it is gone; the instance's pooled connections stay open. A database
    // refuses connections only by a command from another one.
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    try {
      await sql.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = $2',
        [LISTENER_APPLICATION_NAME, name],
      );
      await live.waitUntil('readyz to report the lost listener', async () => {
        const res = await fetch(`${c}/readyz`);
        const body = jsonOf(ReadinessSchema, await res.text());
        return res.status === 503 && body.checks.listener === false && body.checks.database === true;
      });
      // Cached while nobody listens: the change below sends a notification that C never hears.
      assert.equal((await live.useToken(c, secret)).status, 200);
      await sql.query(`UPDATE api_tokens SET state = 'suspended' WHERE id = $1`, [token.id]);
      const refused = await live.timeToRefusal(c, secret, performance.now(), 1300);
      assert.ok(refused.accepted > 0, 'the change was missed, so the stale entry answered first');
      assert.equal(refused.error, 'token_suspended');
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await live.waitUntil('the listener to reconnect', ready, 15_000, 50);
  });

  test('a frozen listener (its backend stopped): /readyz says so within a few seconds and the cache is cleared', async () => {
    const name = new URL(url).pathname.slice(1);
    const listeners = async () =>
      (
        await sql.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [
          LISTENER_APPLICATION_NAME,
          name,
        ])
      ).rows.map((r: { pid: number }) => r.pid);
    // The test before this one terminated every listener: wait until each instance has its own again.
    await live.waitUntil(
      'every instance to listen',
      async () => (await listeners()).length === servers.length,
    );
    const others = await listeners();
    // A cache lifetime of a minute: only the listener's loss can explain a refusal within seconds.
    const c = await start({ TOKEND_CACHE_TTL: '60s' });
    const readyz = async () => {
      const res = await fetch(`${c}/readyz`);
      const { checks } = jsonOf(ReadinessSchema, await res.text());
      return { status: res.status, checks };
    };
    await live.waitUntil('C ready', async () => (await readyz()).status === 200);
    const [pid, ...more] = (await listeners()).filter((p) => !others.includes(p));
    assert.ok(pid !== undefined && more.length === 0, "one new listening backend: C's");
    const { secret, token } = await cachedEverywhere(c);
    // The connection stays open and the kernel keeps acknowledging it: only a heartbeat can tell.
    // New connections are refused meanwhile, so the lost listener cannot come straight back unseen.
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    const resume = () => process.kill(pid, 'SIGCONT');
    process.once('exit', resume);
    try {
      process.kill(pid, 'SIGSTOP');
      const frozenAt = performance.now();
      // Committed while C's listener hears nothing: C keeps its cached answer until it gives up.
      await sql.query(`UPDATE api_tokens SET state = 'suspended' WHERE id = $1`, [token.id]);
      await live.waitUntil(
        '/readyz to report the frozen listener',
        async () => {
          const r = await readyz();
          return r.status === 503 && r.checks.listener === false;
        },
        10_000,
        20,
      );
      const noticed = performance.now() - frozenAt;
      console.log(`frozen listener: /readyz 503 after ${Math.round(noticed)} ms`);
      assert.ok(noticed < 4000, `/readyz said ready for ${Math.round(noticed)} ms`);
      assert.deepEqual(await live.useToken(c, secret), { status: 401, error: 'token_suspended' });
    } finally {
      resume();
      process.removeListener('exit', resume);
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await live.waitUntil(
      'the listener to reconnect',
      async () => (await readyz()).status === 200,
      15_000,
      50,
    );
  });
});
