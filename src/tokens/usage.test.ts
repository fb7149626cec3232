// The usage recorder against a real database: uses spread over two UTC days are written as one row per
// token and day, and a flush that fails (the database away) loses nothing and counts nothing twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../db/db.js';
import { createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';
import { UsageRecorder } from './usage.js';
import type { TokenView } from './view.js';
import { usageSince } from './usage-store.js';

const DAY = 86_400_000;

for (const kind of databaseKinds()) {
  describe(`usage recorder (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(async () => {
      await env.close();
    });

    test('a failed flush is retried with what came meanwhile: per-day counts add up, latest use wins', async () => {
      const t = await env.tenant();
      const { token } = await (await t.adminAgent()).createToken();
      let failNext = true;
      // The real database, with its next transaction failing as if the connection had dropped.
      const flaky: Db = {
        ...env.db,
        transaction: (fn) => {
          if (!failNext) return env.db.transaction(fn);
          failNext = false;
          return Promise.reject(new Error('connection terminated'));
        },
      };
      const usage = new UsageRecorder(flaky);
      const yesterday = Math.floor(env.clock().getTime() / DAY) * DAY - DAY + 3_600_000;
      const today = yesterday + DAY;
      for (let i = 0; i < 3; i++) usage.recordUse(token.id, yesterday + i, '10.0.0.1', 'job/1', 'FF_AUTH');
      usage.recordUse(token.id, today, '10.0.0.2', 'job/2', 'Authorization');
      await assert.rejects(usage.flush(), /connection terminated/);
      usage.recordUse(token.id, today + 1000, '10.0.0.3', 'job/3', 'query');
      usage.recordUse(token.id, yesterday + 10, '10.0.0.4', 'late', 'FF_AUTH');
      await usage.flush();
      await usage.flush(); // nothing left: counts are not written twice
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      assert.deepEqual(await usageSince(env.db, token.id, day(yesterday)), [
        { date: day(yesterday), count: 4 },
        { date: day(today), count: 2 },
      ]);
      const res = await (
        await t.adminAgent()
      ).request({ method: 'GET', url: `/apis/v1/api-tokens/${token.id}` });
      assert.equal(res.statusCode, 200, said(res));
      const view = res.json<TokenView>();
      assert.equal(view.lastUsedAt, new Date(today + 1000).toISOString());
      assert.equal(view.lastUsedIp, '10.0.0.3');
      assert.equal(view.lastUsedUserAgent, 'job/3');
      assert.equal(view.lastUsedCarrier, 'query');
    });
  });
}
