// The expiry sweep end to end on a real database and a real SMTP server: which emails a token gets
// over its life, what they say and to whom, the audit events, and that expiry is recorded unprompted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { updateInstitution } from '../accounts/institutions.js';
import { messageIdFor } from './templates.js';
import { jsonOf } from '../test-support/cli.js';
import { databaseKinds, said } from '../test-support/harness.js';
import { closeScenes, DAY, withScene } from '../test-support/reminder-scene.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import type { NoticeKind } from './schedule.js';

const FIVE = ['expiry_14d', 'expiry_7d', 'expiry_3d', 'expiry_1d', 'expired'];
const Renewed = Type.Object({ expiresAt: Type.Union([Type.String(), Type.Null()]) });

for (const kind of databaseKinds()) {
  describe(`reminder sweep (${kind})`, () => {
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink();
    });
    after(async () => {
      await closeScenes();
      await sink.stop();
    });

    test('a 30-day token gets exactly the five emails, in order, once each', () =>
      withScene(kind, sink, async (s) => {
        const { token, secret } = await s.token({ name: 'HubSpot integration', expiresInDays: 30 });
        for (const day of [1, 10, 15.9, 16, 23, 27, 29, 30]) {
          s.at(day);
          await s.sweep();
          await s.sweep();
        }
        assert.deepEqual(s.kinds(), FIVE);
        const expiresAt = new Date(token.expiresAt as string);
        for (const [i, mail] of s.mails().entries()) {
          const notice = FIVE[i] as NoticeKind;
          assert.equal(mail.headers.get('message-id'), messageIdFor(token.id, notice, expiresAt));
          assert.ok(mail.raw.includes(token.display), 'names the display form (whole, even in the raw text)');
          assert.ok(mail.decoded.includes(s.tenant.institution.name), 'names the institution');
          assert.ok(mail.decoded.includes(`/settings/api-tokens/${token.id}`), 'links to the token page');
          assert.ok(
            !mail.raw.includes(secret) && !mail.decoded.includes(secret.slice(-49)),
            'never the secret',
          );
        }
        assert.match(s.mails()[0]?.headers.get('subject') ?? '', /HubSpot integration.*within 14 days/);
        assert.match(s.mails()[4]?.headers.get('subject') ?? '', /HubSpot integration.*has expired/);
        const sent = await s.events(token.id, 'token.reminder_sent');
        assert.deepEqual(
          sent.map((e) => e.details),
          FIVE.map((k) => ({ kind: k, expiresAt: expiresAt.toISOString() })),
        );
      }));

    test('recipients: the creator and the institution addresses, once each whatever their case', () =>
      withScene(kind, sink, async (s) => {
        const upper = s.admin.user.email.toUpperCase();
        const other = `ops-${s.tenant.institution.slug}@example.test`;
        const changed = await updateInstitution(s.env.db, s.tenant.institution.slug, {
          addNotify: [upper, other, other.toUpperCase()],
        });
        assert.ok(changed.ok);
        await s.token({ name: 'Reporting', expiresInDays: 30 });
        s.at(16);
        await s.sweep();
        const [mail] = s.mails();
        assert.deepEqual(mail?.to, [s.admin.user.email, other]);
        assert.equal(mail?.headers.get('auto-submitted'), 'auto-generated');
        // The link uses the institution's own host: the public URL's would be another tenant's page.
        assert.ok(mail?.decoded.includes(`https://${s.tenant.host}/settings/api-tokens/`), mail?.decoded);
      }));

    test('a 5-day token gets only expiry_3d, expiry_1d and expired', () =>
      withScene(kind, sink, async (s) => {
        const expiresAt = new Date(s.env.clock().getTime() + 5 * DAY).toISOString();
        await s.token({ name: 'Short', expiresAt });
        for (let day = 0; day <= 7; day += 0.5) {
          s.at(day);
          await s.sweep();
        }
        assert.deepEqual(s.kinds(), ['expiry_3d', 'expiry_1d', 'expired']);
      }));

    test('a token suspended at day 20 gets nothing after that, and no expired notice', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Paused', expiresInDays: 30 });
        s.at(16);
        await s.sweep();
        s.at(20);
        const res = await (
          await s.agent()
        ).request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${token.id}/suspend`,
        });
        assert.equal(res.statusCode, 200, said(res));
        for (const day of [23, 27, 29, 30, 31]) {
          s.at(day);
          await s.sweep();
        }
        assert.deepEqual(s.kinds(), ['expiry_14d']);
        const skipped = await s.events(token.id, 'token.reminder_skipped');
        assert.deepEqual(
          skipped.map((e) => [e.details.kind, e.details.reason]),
          [['expired', 'the token was suspended when it expired']],
        );
      }));

    test('a revoked token gets no expired notice', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Retired', expiresInDays: 30 });
        for (const action of ['suspend', 'revoke']) {
          const res = await s.admin.request({
            method: 'POST',
            url: `/apis/v1/api-tokens/${token.id}/${action}`,
          });
          assert.equal(res.statusCode, 200, said(res));
        }
        for (const day of [16, 23, 30, 31]) {
          s.at(day);
          await s.sweep();
        }
        assert.deepEqual(s.kinds(), []);
      }));

    test('a sweep down from day 10 to day 28 sends only expiry_3d and skips expiry_14d and expiry_7d', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Late', expiresInDays: 30 });
        s.at(10);
        await s.sweep();
        s.at(28);
        const report = await s.sweep();
        assert.deepEqual(s.kinds(), ['expiry_3d']);
        assert.deepEqual([report.sent, report.skipped, report.failed], [1, 2, 0]);
        const skipped = await s.events(token.id, 'token.reminder_skipped');
        assert.deepEqual(
          skipped.map((e) => e.details),
          ['expiry_14d', 'expiry_7d'].map((k) => ({
            kind: k,
            expiresAt: token.expiresAt,
            reason: 'superseded by expiry_3d',
          })),
        );
        await s.sweep();
        assert.equal((await s.events(token.id, 'token.reminder_skipped')).length, 2, 'recorded once');
      }));

    test('expiry is recorded by the system for tokens nobody uses', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Idle', expiresInDays: 30 });
        s.at(31);
        const report = await s.sweep();
        assert.equal(report.expired, 1);
        const [row] = await s.env.db.query<{ state: string; state_changed_by: string | null }>(
          'SELECT state, state_changed_by FROM api_tokens WHERE id = $1',
          [token.id],
        );
        assert.deepEqual(row, { state: 'expired', state_changed_by: null });
        const [expired] = await s.events(token.id, 'token.expired');
        assert.deepEqual(expired?.details, { expiredAt: token.expiresAt, previousState: 'active' });
        assert.deepEqual(s.kinds(), ['expired']);
      }));

    test('a token renewed after its reminders is reminded again for its new expiry', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Renewed', expiresInDays: 30 });
        s.at(29);
        await s.sweep();
        const res = await (
          await s.agent()
        ).request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${token.id}/renew`,
          payload: { expiresInDays: 30 },
        });
        assert.equal(res.statusCode, 200, said(res));
        s.at(29 + 16.01);
        await s.sweep();
        await s.sweep();
        assert.deepEqual(s.kinds(), ['expiry_1d', 'expiry_14d']);
      }));

    test('a 30-day token renewed at day 20 for 30 days gets the 14-day notice again, never a duplicate', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Renewed at day 20', expiresInDays: 30 });
        s.at(16);
        await s.sweep();
        assert.deepEqual(s.kinds(), ['expiry_14d']);
        s.at(20);
        const renewed = await (
          await s.agent()
        ).request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${token.id}/renew`,
          payload: { expiresInDays: 30 },
        });
        assert.equal(renewed.statusCode, 200, said(renewed));
        // Day 23 was the old expiry_7d moment: it no longer applies.
        s.at(23);
        await s.sweep();
        assert.deepEqual(s.kinds(), ['expiry_14d']);
        // The new expiry is day 50 (and the milliseconds the renewal took): its 14-day notice, once.
        s.at(36.01);
        await s.sweep();
        await s.sweep();
        assert.deepEqual(s.kinds(), ['expiry_14d', 'expiry_14d']);
        const sent = await s.events(token.id, 'token.reminder_sent');
        assert.deepEqual(
          sent.map((e) => e.details.expiresAt),
          [token.expiresAt, jsonOf(Renewed, renewed.body).expiresAt],
        );
      }));

    test('a token with no recipient is recorded as skipped, with the reason', () =>
      withScene(kind, sink, async (s) => {
        const created = await s.env.services.tokens.create(
          s.tenant.institution,
          { userId: null, ip: null },
          { name: 'Orphan', expiresInDays: 30 },
        );
        assert.ok(created.ok);
        s.at(16.01);
        const report = await s.sweep();
        assert.deepEqual([report.sent, report.skipped], [0, 1]);
        const [skipped] = await s.events(created.value.token.id, 'token.reminder_skipped');
        assert.match(String(skipped?.details.reason), /no recipients/);
      }));

    test('a dry run reports what it would do and changes nothing', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Rehearsed', expiresInDays: 30 });
        s.at(31);
        const seen: string[] = [];
        const report = await s.sweep({ dryRun: true, onNotice: (n) => seen.push(`${n.status} ${n.kind}`) });
        assert.deepEqual(seen, [
          'would_skip expiry_14d',
          'would_skip expiry_7d',
          'would_skip expiry_3d',
          'would_skip expiry_1d',
          'would_send expired',
        ]);
        assert.deepEqual([report.expired, report.sent, report.skipped], [0, 1, 4]);
        const notices = await s.env.db.query('SELECT * FROM token_notices WHERE token_id = $1', [token.id]);
        assert.equal(notices.length, 0);
        const [row] = await s.env.db.query<{ state: string }>('SELECT state FROM api_tokens WHERE id = $1', [
          token.id,
        ]);
        assert.equal(row?.state, 'active');
        assert.deepEqual(s.kinds(), []);
      }));
  });
}
