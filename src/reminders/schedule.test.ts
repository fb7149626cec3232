import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type DueNotices, dueNotices, type NoticeSubject } from './schedule.js';

const DAY = 86_400_000;
const T0 = new Date('2030-01-01T12:00:00.000Z');
const day = (n: number) => new Date(T0.getTime() + n * DAY);

/** A token created at day 0, expiring after `days` days. */
const token = (days: number, over: Partial<NoticeSubject> = {}): NoticeSubject => ({
  state: 'active',
  expiresAt: day(days),
  expirySetAt: T0,
  expiredFrom: null,
  ...over,
});

const none: DueNotices = { send: null, skip: [], reason: null };

describe('dueNotices', () => {
  test('a 30-day token: each notice due at expiresAt − N days, inclusive', () => {
    const t = token(30);
    assert.deepEqual(dueNotices(t, new Date(day(16).getTime() - 1)), none);
    assert.deepEqual(dueNotices(t, day(16)).send, 'expiry_14d');
    assert.deepEqual(dueNotices(t, day(23)).send, 'expiry_7d');
    assert.deepEqual(dueNotices(t, day(27)).send, 'expiry_3d');
    assert.deepEqual(dueNotices(t, day(29)).send, 'expiry_1d');
    assert.deepEqual(dueNotices(t, new Date(day(30).getTime() - 1)).send, 'expiry_1d');
    assert.deepEqual(dueNotices(t, day(30)).send, 'expired');
  });

  test('only the most urgent is sent; the other due ones are skipped as superseded', () => {
    assert.deepEqual(dueNotices(token(30), day(28)), {
      send: 'expiry_3d',
      skip: ['expiry_14d', 'expiry_7d'],
      reason: 'superseded by expiry_3d',
    });
    assert.deepEqual(dueNotices(token(30), day(40)), {
      send: 'expired',
      skip: ['expiry_14d', 'expiry_7d', 'expiry_3d', 'expiry_1d'],
      reason: 'superseded by expired',
    });
  });

  test('notices due before the expiry was set are not eligible (a 5-day token)', () => {
    const t = token(5);
    assert.deepEqual(dueNotices(t, day(1)), none);
    assert.deepEqual(dueNotices(t, day(2)), { send: 'expiry_3d', skip: [], reason: null });
    assert.deepEqual(dueNotices(t, day(4.5)), {
      send: 'expiry_1d',
      skip: ['expiry_3d'],
      reason: 'superseded by expiry_1d',
    });
    assert.equal(dueNotices(t, day(5)).send, 'expired');
    // A due moment exactly at expirySetAt is not after it.
    assert.deepEqual(dueNotices(token(14), day(0)), none);
  });

  test('a renewed token follows its new expiry and when it was set', () => {
    const renewed = token(40, { expirySetAt: day(35) });
    assert.deepEqual(dueNotices(renewed, day(37)), { send: 'expiry_3d', skip: [], reason: null });
  });

  test('suspended tokens get nothing; expired ones only if they went from active', () => {
    assert.deepEqual(dueNotices(token(30, { state: 'suspended' }), day(29)), none);
    assert.equal(dueNotices(token(30, { state: 'expired', expiredFrom: 'active' }), day(31)).send, 'expired');
    // Not yet recorded by the sweep: the state in effect is expired, from active.
    assert.equal(dueNotices(token(30), day(31)).send, 'expired');
    assert.deepEqual(dueNotices(token(30, { state: 'suspended' }), day(31)), {
      send: null,
      skip: ['expired'],
      reason: 'the token was suspended when it expired',
    });
    assert.deepEqual(dueNotices(token(30, { state: 'expired', expiredFrom: 'suspended' }), day(31)), {
      send: null,
      skip: ['expired'],
      reason: 'the token was suspended when it expired',
    });
  });

  test('revoked tokens never get the expired notice', () => {
    assert.deepEqual(dueNotices(token(30, { state: 'revoked' }), day(25)), none);
    assert.deepEqual(dueNotices(token(30, { state: 'revoked' }), day(30)), {
      send: null,
      skip: ['expired'],
      reason: 'the token was revoked',
    });
  });
});
