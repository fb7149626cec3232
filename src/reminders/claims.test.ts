// "Sent once" as a database fact: SMTP failures are recorded and retried, claims of a dead process
// are taken over after 10 minutes (and not before), and sweeps running at once send each email once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { smtpMailer } from '../mail/mailer.js';
import { databaseKinds } from '../test-support/harness.js';
import { closeScenes, type Scene, withScene } from '../test-support/reminder-scene.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import type { Transition } from '../tokens/lifecycle.js';
import type { TokenView } from '../tokens/view.js';
import type { NoticeKind } from './schedule.js';
import { claimNotice } from './store.js';
import { ReminderSweep } from './sweep.js';

const notices = (s: Scene, tokenId: string) =>
  s.env.db.query<{ kind: string; status: string; attempts: number; error: string | null }>(
    'SELECT kind, status, attempts, error FROM token_notices WHERE token_id = $1 ORDER BY kind',
    [tokenId],
  );

for (const kind of databaseKinds()) {
  describe(`reminder claims (${kind})`, () => {
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink();
    });
    after(async () => {
      await closeScenes();
      await sink.stop();
    });

    test('an SMTP failure is recorded and reported; the next sweep sends it once', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Flaky mail', expiresInDays: 30 });
        s.at(16);
        sink.failing = true;
        try {
          const failed: string[] = [];
          const report = await s.sweep({ onNotice: (n) => failed.push(`${n.status} ${n.reason}`) });
          assert.equal(report.failed, 1);
          assert.match(failed[0] ?? '', /^failed .*451/);
          await s.sweep();
          const [row] = await notices(s, token.id);
          assert.deepEqual([row?.status, row?.attempts], ['failed', 2]);
        } finally {
          sink.failing = false;
        }
        const report = await s.sweep();
        await s.sweep();
        assert.equal(report.sent, 1);
        assert.deepEqual(s.kinds(), ['expiry_14d']);
        const [row] = await notices(s, token.id);
        assert.deepEqual([row?.status, row?.attempts, row?.error], ['sent', 3, null]);
      }));

    test('a failed notice is retried only while it is the most urgent due one', () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Down a week', expiresInDays: 30 });
        s.at(16);
        sink.failing = true;
        try {
          await s.sweep();
        } finally {
          sink.failing = false;
        }
        s.at(23);
        await s.sweep();
        assert.deepEqual(s.kinds(), ['expiry_7d']);
        assert.deepEqual(
          (await notices(s, token.id)).map((n) => [n.kind, n.status]),
          [
            ['expiry_14d', 'skipped'],
            ['expiry_7d', 'sent'],
          ],
        );
        const [skipped] = await s.events(token.id, 'token.reminder_skipped');
        assert.equal(skipped?.details.reason, 'superseded by expiry_7d');
      }));

    test('after five failed sends in a row a sweep stops trying; the next one sends them all', () =>
      withScene(kind, sink, async (s) => {
        const total = 12;
        for (let i = 0; i < total; i++) await s.token({ name: `Token ${i}`, expiresInDays: 30 });
        s.at(16);
        sink.failing = true;
        try {
          const reasons: string[] = [];
          const report = await s.sweep({ onNotice: (n) => reasons.push(n.reason ?? '') });
          assert.equal(report.failed, total);
          const rows = await s.env.db.query("SELECT 1 FROM token_notices WHERE status = 'failed'");
          // A few sends are in flight at once, so a couple more than five may have been tried.
          assert.ok(rows.length >= 5 && rows.length < total, `${rows.length} were attempted`);
          assert.ok(reasons.some((r) => r === 'not attempted: the last 5 sends failed'));
        } finally {
          sink.failing = false;
        }
        assert.equal((await s.sweep()).sent, total);
        assert.equal(s.mails().length, total);
      }));

    test("a dead process's claim is taken over after 10 minutes, a live one is left alone", () =>
      withScene(kind, sink, async (s) => {
        const { token } = await s.token({ name: 'Crashed', expiresInDays: 30 });
        s.at(16);
        const claim = (minutesAgo: number) =>
          s.env.db.query(
            `INSERT INTO token_notices (token_id, kind, expires_at, status, claimed_at, claimed_by, attempts)
             VALUES ($1, 'expiry_14d', $2, 'claimed', $3, 'dead-process', 1)
             ON CONFLICT (token_id, kind, expires_at) DO UPDATE SET claimed_at = EXCLUDED.claimed_at`,
            [token.id, token.expiresAt, new Date(s.env.clock().getTime() - minutesAgo * 60_000)],
          );
        await claim(9);
        assert.equal((await s.sweep()).sent, 0);
        assert.deepEqual(s.kinds(), []);
        await claim(11);
        assert.equal((await s.sweep()).sent, 1);
        await s.sweep();
        assert.deepEqual(s.kinds(), ['expiry_14d']);
        const [row] = await notices(s, token.id);
        assert.deepEqual([row?.status, row?.attempts], ['sent', 2]);
      }));

    test('a claim holds only while the token is active or expired, whatever the sweep read before', () =>
      withScene(kind, sink, async (s) => {
        const actor = { userId: s.admin.user.id, ip: null };
        const change = async (id: string, t: Transition) =>
          assert.ok((await s.env.services.tokens.transition(s.tenant.institution, id, t, actor)).ok);
        // Nothing to take over (no claim is older than the epoch): only the token's state decides.
        const claim = (t: TokenView, k: NoticeKind) => {
          const key = { tokenId: t.id, kind: k, expiresAt: new Date(t.expiresAt ?? '') };
          return claimNotice(s.env.db, key, 'test', s.env.clock(), new Date(0));
        };
        const { token: paused } = await s.token({ name: 'Paused', expiresInDays: 30 });
        const { token: revoked } = await s.token({ name: 'Revoked', expiresInDays: 30 });
        const { token: ended } = await s.token({ name: 'Ended', expiresInDays: 30 });
        await change(paused.id, 'suspend');
        await change(revoked.id, 'suspend');
        await change(revoked.id, 'revoke');
        // Recorded expired, as the sweep records it: the `expired` notice may still be claimed.
        await s.env.db.query("UPDATE api_tokens SET state = 'expired' WHERE id = $1", [ended.id]);
        s.at(16);
        assert.equal(await claim(paused, 'expiry_14d'), false);
        assert.equal(await claim(revoked, 'expiry_14d'), false);
        assert.equal(await claim(ended, 'expired'), true);
        await change(paused.id, 'reactivate');
        assert.equal(await claim(paused, 'expiry_14d'), true);
        assert.deepEqual(
          (await notices(s, paused.id)).map((n) => [n.kind, n.status]),
          [['expiry_14d', 'claimed']],
        );
      }));

    test('two sweeps at once send each email once between them', () =>
      withScene(kind, sink, async (s) => {
        for (let i = 0; i < 20; i++) await s.token({ name: `Busy ${i}`, expiresInDays: 30 });
        s.at(28);
        const other = smtpMailer(sink.url, 'tokend <tokend@example.test>');
        try {
          const second = new ReminderSweep({
            db: s.env.db,
            tokens: s.env.services.tokens,
            mailer: other,
            clock: s.env.clock,
            publicUrl: 'https://tokend.example.test',
          });
          const [a, b] = await Promise.all([s.sweep(), second.run()]);
          assert.equal(a.sent + b.sent, 20);
          assert.equal(a.skipped + b.skipped, 40);
        } finally {
          await other.close();
        }
        assert.equal(s.mails().length, 20);
        assert.equal(new Set(s.mails().map((m) => m.headers.get('message-id'))).size, 20);
        const events = await s.env.db.query(
          "SELECT 1 FROM audit_events WHERE type IN ('token.reminder_sent', 'token.reminder_skipped')",
        );
        assert.equal(events.length, 60);
      }));
  });
}
