// The leak service under the conditions the HTTP tests cannot make: the cost of a report (one lookup,
// the same for known, unknown and malformed tokens) and two instances, each with its own connection pool,
// reporting the same secrets at once: each secret is acted on, recorded and emailed exactly once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../db/db.js';
import { openPostgres } from '../db/db.js';
import { smtpMailer } from '../mail/mailer.js';
import { counted } from '../test-support/counted-db.js';
import { createEnv, databaseKinds, type Env } from '../test-support/harness.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { formatToken } from '../tokens/token.js';
import { LeakService } from './report.js';

for (const kind of databaseKinds()) {
  describe(`leak service (${kind})`, () => {
    let env: Env;
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink();
      env = await createEnv(kind);
    });
    after(async () => {
      await env.close();
      await sink.stop();
    });

    const service = (db: Db) =>
      new LeakService({
        db,
        clock: env.clock,
        changed: () => {},
        mailer: () => smtpMailer(sink.url, 'tokend <tokend@example.test>'),
        publicUrl: 'https://tokend.example.test',
      });
    const items = (tokens: string[]) => tokens.map((token) => ({ token, url: null, source: 'test' }));

    test('a report costs one statement, whatever it holds, until a secret is found', async () => {
      const c = counted(env.db);
      const leaks = service(c.db);
      const unknown = Array.from({ length: 50 }, () => formatToken(randomBytes(32), 'unknown'));
      for (const tokens of [unknown, ['sk-nothing', 'x'], [...unknown, 'garbage']]) {
        c.statements.length = 0;
        const outcome = await leaks.report('public', items(tokens), '127.0.0.1');
        assert.equal(outcome.genuine.size, 0);
        assert.equal(c.statements.length, 1, c.statements.join('\n---\n'));
        assert.equal(c.transactions(), 0);
      }
    });

    test('two instances with their own pools report the same secrets at once: once each', async () => {
      const url = (env.db as Db & { url?: string }).url;
      const second = kind === 'postgres' && url ? openPostgres(url) : null;
      try {
        const t = await env.tenant();
        const admin = await t.adminAgent();
        const made = await Promise.all([1, 2, 3].map((n) => admin.createToken({ name: `Shared ${n}` })));
        const secrets = made.map((m) => m.secret);
        const one = service(env.db);
        const two = service(second ?? env.db);
        const outcomes = await Promise.all([
          one.report('github', items(secrets), null),
          two.report('github', items(secrets), null),
          one.report('public', items(secrets), null),
          two.report('gitlab', items(secrets), null),
        ]);
        for (const outcome of outcomes) assert.equal(outcome.genuine.size, 3, 'each sees the genuine tokens');
        for (const { token } of made) {
          const events = await env.db.query<{ type: string }>(
            `SELECT type FROM audit_events WHERE token_id = $1 AND type IN ('token.leaked', 'token.suspended')`,
            [token.id],
          );
          assert.deepEqual(events.map((e) => e.type).sort(), ['token.leaked', 'token.suspended'], token.name);
          const mails = sink.messages.filter((m) => m.headers.get('x-tokend-token-id') === token.id);
          assert.equal(mails.length, 1, token.name);
        }
        const claims = await env.db.query<{ n: number; mailed: number }>(
          `SELECT count(*)::int AS n, count(mailed_at)::int AS mailed FROM leak_reports WHERE token_id = ANY($1::uuid[])`,
          [made.map((m) => m.token.id)],
        );
        assert.deepEqual(claims[0], { n: 3, mailed: 3 });
      } finally {
        await second?.close();
      }
    });

    test('an SMTP failure is recorded on the claim and returned; the report still acted', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token, secret } = await admin.createToken({ name: 'Mail down' });
      sink.failing = true;
      try {
        const outcome = await service(env.db).report('public', items([secret]), null);
        assert.equal(outcome.mailErrors.length, 1);
        assert.match(outcome.mailErrors[0] ?? '', /451/);
      } finally {
        sink.failing = false;
      }
      const [claim] = await env.db.query<{ mailed_at: Date | null; mail_error: string | null }>(
        'SELECT mailed_at, mail_error FROM leak_reports WHERE token_id = $1',
        [token.id],
      );
      assert.equal(claim?.mailed_at, null);
      assert.match(claim?.mail_error ?? '', /451/);
      const [row] = await env.db.query<{ state: string }>('SELECT state FROM api_tokens WHERE id = $1', [
        token.id,
      ]);
      assert.equal(row?.state, 'suspended');
    });
  });
}
