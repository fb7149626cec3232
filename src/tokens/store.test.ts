// The token store's contract, run on every database driver: guarded writes refuse stale expectations,
// expiry recording re-checks the expiry, and usage flushes from several instances merge.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createEnv, databaseKinds, type Env } from '../test-support/harness.js';
import * as eventStore from './event-store.js';
import * as expiryStore from './expiry-store.js';
import * as store from './store.js';
import * as secrets from './secret-store.js';
import * as usageStore from './usage-store.js';
import { generateToken } from './token.js';

for (const kind of databaseKinds()) {
  describe(`token store contract (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    async function insert(expiresAt: Date | null = null) {
      const t = await env.tenant();
      const minted = generateToken('Contract');
      const id = randomUUID();
      const now = env.clock();
      await store.insertToken(env.db, {
        id,
        institutionId: t.institution.id,
        hash: minted.hash,
        display: minted.display,
        name: 'Contract',
        description: '',
        issuedFor: '',
        permissions: ['core.core.files_download'],
        allowedIps: [],
        createdAt: now,
        createdBy: null,
        expiresAt,
      });
      return { id, institutionId: t.institution.id, minted };
    }

    test('applyTransition applies only from an expected state and before expiry, returning the row', async () => {
      const { id, institutionId } = await insert(new Date(env.clock().getTime() + 60_000));
      const change = { id, institutionId, now: env.clock(), actorId: null, reason: 'why' };
      assert.equal(
        await store.applyTransition(env.db, { ...change, from: ['suspended'], to: 'revoked' }),
        null,
      );
      const applied = await store.applyTransition(env.db, { ...change, from: ['active'], to: 'suspended' });
      assert.deepEqual(applied, await store.findToken(env.db, institutionId, id));
      assert.equal(applied?.state, 'suspended');
      assert.equal(
        await store.applyTransition(env.db, { ...change, from: ['active'], to: 'suspended' }),
        null,
      );
      const late = new Date(env.clock().getTime() + 60_000);
      assert.equal(
        await store.applyTransition(env.db, { ...change, now: late, from: ['suspended'], to: 'active' }),
        null,
      );
      assert.equal(
        await store.applyTransition(env.db, {
          ...change,
          institutionId: randomUUID(),
          from: ['suspended'],
          to: 'active',
        }),
        null,
      );
    });

    test('recordExpiry re-checks expires_at: a token renewed meanwhile is not expired', async () => {
      const soon = new Date(env.clock().getTime() + 60_000);
      const { id, institutionId } = await insert(soon);
      const later = new Date(soon.getTime() + 1);
      const renewed = await expiryStore.renewExpiry(env.db, {
        id,
        institutionId,
        now: env.clock(),
        expiresAt: new Date(soon.getTime() + 86_400_000),
      });
      assert.equal(renewed?.oldExpiresAt?.getTime(), soon.getTime());
      assert.deepEqual(renewed?.token, await store.findToken(env.db, institutionId, id));
      assert.deepEqual(await expiryStore.recordExpiry(env.db, later, [id]), []);
      const due = await insert(soon);
      const recorded = await expiryStore.recordExpiry(env.db, later, [due.id]);
      assert.deepEqual(
        recorded.map((r) => [r.id, r.previousState]),
        [[due.id, 'active']],
      );
      assert.equal((await store.findToken(env.db, due.institutionId, due.id))?.state, 'expired');
      assert.equal(
        (await store.findToken(env.db, due.institutionId, due.id))?.stateChangedAt?.getTime(),
        soon.getTime(),
      );
    });

    test('usage flushes from two instances merge: the latest use wins, counts add up', async () => {
      const { id, institutionId } = await insert();
      const t0 = env.clock();
      const t1 = new Date(t0.getTime() + 1000);
      const date = t0.toISOString().slice(0, 10);
      const use = (at: Date, ip: string) => ({ id, at, ip, userAgent: `ua-${ip}`, carrier: 'FF_AUTH' });
      await usageStore.flushUsage(env.db, {
        lastUsed: [use(t1, '10.0.0.2')],
        daily: [{ id, date, count: 5 }],
        failures: [],
      });
      await usageStore.flushUsage(env.db, {
        lastUsed: [use(t0, '10.0.0.1')],
        daily: [{ id, date, count: 7 }],
        failures: [],
      });
      const token = await store.findToken(env.db, institutionId, id);
      assert.equal(token?.lastUsedAt?.getTime(), t1.getTime());
      assert.equal(token?.lastUsedIp, '10.0.0.2');
      assert.equal(token?.lastUsedUserAgent, 'ua-10.0.0.2');
      assert.deepEqual(await usageStore.usageSince(env.db, id, date), [{ date, count: 12 }]);
    });

    test('findAuthByHash finds current and retired secrets; rotation retires the old hash', async () => {
      const { id, institutionId, minted } = await insert();
      const next = generateToken('Contract');
      const now = env.clock();
      const rotate = (expectedDisplay: string, hash: string, display: string, graceMs: number) =>
        env.db.transaction(async (tx) => {
          const current = await secrets.lockForRotation(tx, { id, institutionId, now, expectedDisplay });
          if (!current) return null;
          const graceUntil = graceMs > 0 ? new Date(now.getTime() + graceMs) : null;
          const token = await secrets.swapSecret(tx, {
            id,
            now,
            oldHash: current.hash,
            hash,
            display,
            graceUntil,
            expiresAt: undefined,
          });
          return { token, graceUntil };
        });
      const done = await rotate(minted.display, next.hash, next.display, 5000);
      assert.equal(done?.graceUntil?.getTime(), now.getTime() + 5000);
      assert.deepEqual(done?.token, await store.findToken(env.db, institutionId, id));
      const old = await secrets.findAuthByHash(env.db, minted.hash);
      assert.equal(old?.retired, true);
      assert.equal(old?.retiredValidUntil?.getTime(), now.getTime() + 5000);
      assert.equal((await secrets.findAuthByHash(env.db, next.hash))?.retired, false);
      const stale = await rotate(minted.display, generateToken('x').hash, 'x', 0);
      assert.equal(stale, null, 'a rotation expecting the old display form is refused');
      // A further rotation ends the earlier grace at once: only the newest secret and the one before work.
      const third = generateToken('Contract');
      assert.ok(await rotate(next.display, third.hash, third.display, 5000));
      assert.equal(
        (await secrets.findAuthByHash(env.db, minted.hash))?.retiredValidUntil?.getTime(),
        now.getTime(),
      );
      assert.equal(
        (await secrets.findAuthByHash(env.db, next.hash))?.retiredValidUntil?.getTime(),
        now.getTime() + 5000,
      );
    });

    test('audit events are append-only', async () => {
      const { id, institutionId } = await insert();
      await eventStore.insertEvent(env.db, {
        institutionId,
        tokenId: id,
        type: 'token.created',
        at: env.clock(),
        actorId: null,
        ip: null,
        details: {},
      });
      await assert.rejects(
        env.db.query('UPDATE audit_events SET type = $1 WHERE token_id = $2', ['x', id]),
        /append-only/,
      );
      await assert.rejects(env.db.query('DELETE FROM audit_events WHERE token_id = $1', [id]), /append-only/);
    });
  });
}
