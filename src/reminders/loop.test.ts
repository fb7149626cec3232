// The sweep inside `tokend serve`: it runs by itself every interval, not at all with interval 0, and
// skips its round while another instance holds the reminders lock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { LOCKS } from '../db/db.js';
import { databaseKinds } from '../test-support/harness.js';
import { closeScenes, type Scene, withScene } from '../test-support/reminder-scene.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { startReminderLoop } from './loop.js';

const loopOf = (s: Scene, sink: SmtpSink, intervalMs: number) =>
  startReminderLoop({
    config: { ...s.env.config, reminderIntervalMs: intervalMs, smtpUrl: sink.url },
    db: s.env.db,
    tokens: s.env.services.tokens,
    clock: s.env.clock,
    logger: pino({ level: 'silent' }),
  });

async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (check()) return true;
  return check();
}

for (const kind of databaseKinds()) {
  describe(`reminder loop (${kind})`, () => {
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink();
    });
    after(async () => {
      await closeScenes();
      await sink.stop();
    });

    test('sweeps by itself every interval', () =>
      withScene(kind, sink, async (s) => {
        await s.token({ name: 'Watched', expiresInDays: 30 });
        s.at(16);
        const loop = loopOf(s, sink, 50);
        try {
          assert.ok(await until(() => s.kinds().length === 1), 'the 14-day notice was sent');
          s.at(23);
          assert.ok(await until(() => s.kinds().length === 2), 'the next round sent the 7-day notice');
        } finally {
          await loop.stop();
        }
        assert.deepEqual(s.kinds(), ['expiry_14d', 'expiry_7d']);
      }));

    test('interval 0 turns it off', () =>
      withScene(kind, sink, async (s) => {
        await s.token({ name: 'Unwatched', expiresInDays: 30 });
        s.at(16);
        const loop = loopOf(s, sink, 0);
        await sleep(200);
        await loop.stop();
        assert.deepEqual(s.kinds(), []);
      }));

    test('skips its round while another instance holds the reminders lock', () =>
      withScene(kind, sink, async (s) => {
        await s.token({ name: 'Contended', expiresInDays: 30 });
        s.at(16);
        const loops: { stop(): Promise<void> }[] = [];
        try {
          await s.env.db.tryAdvisoryLock(LOCKS.reminders, async () => {
            loops.push(loopOf(s, sink, 50));
            await sleep(300);
            assert.deepEqual(s.kinds(), [], 'nothing sent while another instance sweeps');
          });
          assert.ok(await until(() => s.kinds().length === 1), 'sent once the lock was free');
        } finally {
          for (const loop of loops) await loop.stop();
        }
      }));
  });
}
