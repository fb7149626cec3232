// The PostgreSQL seam when a connection drops while a transaction holds it: the transaction fails (and
// the pool discards the connection), and the process survives. pg emits 'error' on a checked-out
// client, where the pool no longer listens; unheard, that event is an uncaught exception.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freshDb } from '../test-support/harness.js';
import type { Db } from './db.js';

describe('a connection lost inside a transaction', { skip: !process.env.TEST_DATABASE_URL }, () => {
  let db: Db & { url?: string };
  let admin: pg.Client;
  before(async () => {
    db = await freshDb('postgres');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  after(async () => {
    await admin.end();
    await db.close();
  });

  test('fails the transaction, not the process, and the next query gets a new connection', async () => {
    const uncaught: unknown[] = [];
    const record = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', record);
    try {
      const failed = db.transaction(async (tx) => {
        const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [row?.pid]);
        // The socket closes while the transaction still holds the client, between two statements.
        await sleep(200);
        await tx.query('SELECT 1');
      });
      await assert.rejects(failed);
      await sleep(50);
      assert.deepEqual(uncaught, [], 'no uncaught error');
      assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});
