// `tokend reminders run` as an operator runs it: a real SMTP server, the embedded database, the command
// through the CLI's entry in this process (the same parsing, output and exit codes) and as a real child
// process for a rehearsal and a failed run (exit 1); and on PostgreSQL two processes at once over 1,000
// due tokens.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createInstitution, pickInstitution } from '../accounts/institutions.js';
import { createUser } from '../accounts/users.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import type { Db } from '../db/db.js';
import { openDatabase } from '../setup.js';
import { TokenService } from '../tokens/service.js';
import { jsonOf, Printed, tokend, tokendInProcess } from '../test-support/cli.js';
import { freshDb, migratedDataDir } from '../test-support/harness.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';

const DAY = 86_400_000;
const ADMIN = 'admin@example.test';
const TOKENS = 120;
const { Report } = Printed;

describe('tokend reminders run (embedded database)', () => {
  let dir = '';
  const base: Record<string, string> = {
    TOKEND_ADMIN_EMAIL: ADMIN,
    TOKEND_ADMIN_PASSWORD: 'admin-password-123',
  };
  let sink: SmtpSink;
  let created: number;
  const at = (days: number) => new Date(created + days * DAY).toISOString();
  const run = (...args: string[]) =>
    tokendInProcess(['reminders', 'run', ...args], { ...base, TOKEND_SMTP_URL: sink.url });
  const child = (...args: string[]) =>
    tokend(['reminders', 'run', ...args], { ...base, TOKEND_SMTP_URL: sink.url });

  before(async () => {
    sink = await startSmtpSink();
    dir = await migratedDataDir('tokend-reminders-');
    base.TOKEND_DATA_DIR = dir;
    // Seeded in this process, then closed: the embedded database belongs to one process at a time.
    const opened = await openDatabase(loadConfig(base), systemClock, 'cli');
    try {
      const inst = await pickInstitution(opened.db, undefined);
      assert.ok(inst.ok, inst.ok ? '' : inst.message);
      const [admin] = await opened.db.query<{ id: string }>('SELECT id FROM users');
      const tokens = new TokenService(opened.db, systemClock);
      created = Date.now();
      for (let i = 0; i < TOKENS; i++) {
        const made = await tokens.create(
          inst.value,
          { userId: admin?.id ?? null, ip: null },
          {
            name: `Integration ${i}`,
            expiresInDays: 30,
          },
        );
        assert.ok(made.ok);
      }
    } finally {
      await opened.close();
    }
  });
  after(() => sink.stop());

  test('a future --at only reports, unless --apply; then each email is sent once', async () => {
    const rehearsal = await child('--at', at(16.01));
    assert.equal(rehearsal.code, 0, rehearsal.stderr);
    assert.match(
      rehearsal.stdout,
      /^would send\s+expiry_14d\s+[0-9a-f-]{36}\s+sk-integration\S*\.\.\. \S{3}\s+"Integration 0" \(Default\)\s+to admin@example\.test$/m,
    );
    assert.match(
      rehearsal.stdout,
      /dry run as of .*: 120 tokens checked, 120 would be sent, 0 would be skipped; nothing changed \(--at is in the future: add --apply/,
    );
    assert.equal(sink.messages.length, 0);

    const applied = await run('--at', at(16.01), '--apply');
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout.match(/^sent\s+expiry_14d /gm)?.length, TOKENS);
    assert.match(
      applied.stdout,
      /120 tokens checked: 120 sent, 0 skipped, 0 failed \(mail: SMTP 127\.0\.0\.1:\d+\)$/m,
    );
    assert.match(applied.stderr, /^\.\.\. 100 tokens checked$/m, 'a progress line on large runs');
    assert.equal(sink.messages.length, TOKENS);

    const again = await run('--at', at(16.02), '--apply');
    assert.match(again.stdout, /0 sent, 0 skipped, 0 failed/);
    assert.equal(sink.messages.length, TOKENS);
  });

  test('--dry-run changes nothing, --json prints the report', async () => {
    const dry = await run('--at', at(23.01), '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const report = jsonOf(Report, dry.stdout);
    assert.deepEqual([report.dryRun, report.sent, report.notices.length], [true, TOKENS, TOKENS]);
    const [first] = report.notices;
    assert.ok(first, dry.stdout);
    assert.deepEqual(Object.keys(first).sort(), [
      'display',
      'expiresAt',
      'institution',
      'kind',
      'reason',
      'recipients',
      'status',
      'tokenId',
      'tokenName',
    ]);
    assert.equal(first.status, 'would_send');
    assert.equal(first.kind, 'expiry_7d');
    const count = sink.messages.length;
    const applied = jsonOf(Report, (await run('--at', at(23.01), '--apply', '--json')).stdout);
    assert.deepEqual([applied.dryRun, applied.sent, sink.messages.length - count], [false, TOKENS, TOKENS]);
  });

  test('with the SMTP server stopped it reports failures and exits 1; once back, each is sent once', async () => {
    const count = sink.messages.length;
    await sink.stop();
    try {
      const failed = await child('--at', at(27.01), '--apply');
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stdout, /^FAILED\s+expiry_3d .*ECONNREFUSED/m);
      assert.match(failed.stdout, /^FAILED\s+expiry_3d .*not attempted: the last 5 sends failed/m);
      assert.match(failed.stdout, /0 sent, 0 skipped, 120 failed/);
      assert.match(failed.stderr, /error: 120 reminder\(s\) not sent; the next sweep retries them/);
    } finally {
      await sink.start();
    }
    const retried = await run('--at', at(27.02), '--apply');
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /120 sent, 0 skipped, 0 failed/);
    const again = await run('--at', at(27.03), '--apply');
    assert.match(again.stdout, /0 sent, 0 skipped, 0 failed/);
    assert.equal(sink.messages.length - count, TOKENS);
  });

  test('without TOKEND_SMTP_URL the emails are .eml files in the outbox', async () => {
    const res = await tokendInProcess(['reminders', 'run', '--at', at(29.01), '--apply'], base);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout,
      new RegExp(`120 sent, 0 skipped, 0 failed \\(mail: outbox ${join(dir, 'outbox')}\\)`),
    );
    assert.equal(readdirSync(join(dir, 'outbox')).filter((f) => f.endsWith('.eml')).length, TOKENS);
  });

  test('bad options exit 2', async () => {
    const badTime = await run('--at', 'tomorrow');
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--at must be an ISO-8601 time/);
    const both = await run('--dry-run', '--apply');
    assert.equal(both.code, 2);
  });
});

describe(
  'tokend reminders run (PostgreSQL, two processes at once)',
  { skip: !process.env.TEST_DATABASE_URL },
  () => {
    let db: Db & { url: string };
    let sink: SmtpSink;
    before(async () => {
      db = (await freshDb('postgres')) as Db & { url: string };
      sink = await startSmtpSink();
    });
    after(async () => {
      await sink.stop();
      await db.close();
    });

    test('over 1,000 due tokens they send exactly 1,000 emails between them', async () => {
      const made = await createInstitution(db, systemClock, {
        slug: 'acme',
        name: 'Acme',
        hosts: ['acme.example.test'],
        notify: [],
        requireExpiry: false,
        maxLifetimeDays: null,
      });
      assert.ok(made.ok);
      const user = await createUser(db, systemClock, {
        institutionId: made.value.id,
        email: 'owner@acme.example.test',
        name: 'Owner',
        role: 'admin',
        features: [],
        password: 'owner-password-123',
      });
      assert.ok(user.ok);
      const T = new Date(Date.now() + 100 * DAY);
      // Every token has four due notices at T: expiry_1d is sent, the three others are skipped.
      await db.query(
        `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, permissions, created_at, created_by,
         expires_at, expiry_set_at, state)
       SELECT gen_random_uuid(), $1, md5(g::text || random()::text), 'sk-seed' || g || '... abc', 'Seed ' || g,
         '{core.core.files_download}', $2, $3, $4, $2, 'active'
       FROM generate_series(1, 1000) g`,
        [
          made.value.id,
          new Date(T.getTime() - 30 * DAY),
          user.value.id,
          new Date(T.getTime() + 12 * 3_600_000),
        ],
      );
      const env = {
        DATABASE_URL: db.url,
        TOKEND_SMTP_URL: sink.url,
        TOKEND_DATA_DIR: mkdtempSync(join(tmpdir(), 'tokend-pg-')),
      };
      const args = ['reminders', 'run', '--at', T.toISOString(), '--apply', '--json'];
      const [a, b] = await Promise.all([tokend(args, env), tokend(args, env)]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const [ra, rb] = [jsonOf(Report, a.stdout), jsonOf(Report, b.stdout)];
      assert.equal(ra.sent + rb.sent, 1000);
      assert.equal(ra.skipped + rb.skipped, 3000);
      assert.equal(sink.messages.length, 1000);
      assert.equal(new Set(sink.messages.map((m) => m.headers.get('message-id'))).size, 1000);
      const rows = await db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM token_notices GROUP BY status ORDER BY status',
      );
      assert.deepEqual(rows, [
        { status: 'sent', n: 1000 },
        { status: 'skipped', n: 3000 },
      ]);
      const events = await db.query<{ type: string; n: number }>(
        "SELECT type, count(*)::int AS n FROM audit_events WHERE type LIKE 'token.reminder%' GROUP BY type ORDER BY type",
      );
      assert.deepEqual(events, [
        { type: 'token.reminder_sent', n: 1000 },
        { type: 'token.reminder_skipped', n: 3000 },
      ]);
    });
  },
);
