// The change listener against a frozen connection (issue 14): a TCP relay in front of PostgreSQL stops
// forwarding without closing anything, as a silent partition does. TCP never reports it; the listener's
// heartbeat must, within a few seconds, with the settings' defaults — then LISTEN comes back on its own.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../config.js';
import { type TcpProxy, tcpProxy } from '../test-support/tcp-proxy.js';
import { freshDb } from '../test-support/harness.js';
import { waitUntil } from '../test-support/live-server.js';
import type { Db } from './db.js';
import { ChangeListener, TOKEN_CHANNEL } from './listener.js';

describe('the change listener on a frozen connection', { skip: !process.env.TEST_DATABASE_URL }, () => {
  let db: Db & { url?: string };
  let url: string;
  let relay: TcpProxy;
  let sql: pg.Client;
  before(async () => {
    db = await freshDb('postgres');
    if (!db.url) throw new Error('a PostgreSQL test database has a url');
    url = db.url;
    const direct = new URL(url);
    relay = await tcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  });
  after(async () => {
    await sql.end();
    await relay.close();
    await db.close();
  });

  test('a relay that stops forwarding: not connected and the cache cleared within a few seconds; back after', async () => {
    const config = loadConfig({});
    const events: { what: string; at: number }[] = [];
    const heard: string[] = [];
    const listener = new ChangeListener(
      {
        url: relay.via(url),
        heartbeatMs: config.listenerHeartbeatMs,
        heartbeatTimeoutMs: config.listenerTimeoutMs,
        connectTimeoutMs: config.dbConnectTimeoutMs,
      },
      {
        changed: (id) => heard.push(id),
        gap: () => events.push({ what: 'gap', at: performance.now() }),
        connected: () => events.push({ what: 'connected', at: performance.now() }),
      },
    );
    await listener.start();
    try {
      assert.equal(listener.connected, true);
      await sql.query(`SELECT pg_notify($1, 'before')`, [TOKEN_CHANNEL]);
      await waitUntil('the first notification', () => heard.includes('before'), 2000, 5);

      relay.freeze();
      const frozenAt = performance.now();
      await waitUntil('the listener to notice', () => !listener.connected, 10_000, 5);
      const noticed = performance.now() - frozenAt;
      const cleared = events.find((e) => e.what === 'gap' && e.at >= frozenAt);
      assert.ok(cleared, 'the cache is cleared when the frozen connection is given up');
      console.log(`frozen listener noticed after ${Math.round(noticed)} ms`);
      assert.ok(noticed < 4000, `noticed after ${Math.round(noticed)} ms`);
      // Reconnecting through the frozen relay is held too: it stays not connected, never half-connected.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(listener.connected, false);

      relay.restore();
      const restoredAt = performance.now();
      await waitUntil('LISTEN to come back', () => listener.connected, 10_000, 5);
      console.log(`listener back ${Math.round(performance.now() - restoredAt)} ms after the relay`);
      await sql.query(`SELECT pg_notify($1, 'after')`, [TOKEN_CHANNEL]);
      await waitUntil('a notification after the freeze', () => heard.includes('after'), 2000, 5);
    } finally {
      await listener.stop();
    }
  });
});
