// The inactivity policy (SPEC 12) end to end on a real database and a real SMTP server, with the clock
// moved past the policy: an unused token is warned once a week before, suspended once (by the system,
// through the ordinary suspension: event, refusal, no second time) and told once, also with two sweeps
// at once; a used token is left alone; turning the policy on warns before it suspends; reactivation
// starts a new idle spell. One database per file; each test has its own institution.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { updateInstitution } from '../accounts/institutions.js';
import { smtpMailer } from '../mail/mailer.js';
import { body, TokenSchema } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../test-support/harness.js';
import { DAY, PUBLIC_URL } from '../test-support/reminder-scene.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { ReminderSweep } from './sweep.js';
import { messageIdFor, utc } from './templates.js';

for (const kind of databaseKinds()) {
  describe(`inactivity policy (${kind})`, () => {
    let env: Env;
    let sink: SmtpSink;
    let sweeps: [ReminderSweep, ReminderSweep];
    let closeMail: () => Promise<void>;
    before(async () => {
      sink = await startSmtpSink();
      env = await createEnv(kind);
      const mailer = smtpMailer(sink.url, 'tokend <tokend@example.test>');
      closeMail = () => mailer.close();
      // Two sweepers over one database, as two instances (or the CLI beside a server) would be.
      const make = (worker: string) =>
        new ReminderSweep({
          db: env.db,
          tokens: env.services.tokens,
          mailer,
          clock: env.clock,
          publicUrl: PUBLIC_URL,
          worker,
        });
      sweeps = [make('one'), make('two')];
    });
    after(async () => {
      await closeMail();
      await env.close();
      await sink.stop();
    });

    /** An institution with the policy (or none), its first admin creating one token at day 0. */
    async function scene(days: number | null) {
      const t = await env.tenant();
      if (days !== null) await policy(t, days);
      const admin = await t.adminAgent();
      const made = await admin.createToken({ name: 'Nightly export' });
      const start = new Date(made.token.createdAt).getTime();
      const email = admin.user.email;
      return {
        t,
        ...made,
        start,
        at: (d: number) => env.clock.advance(start + d * DAY - env.clock().getTime()),
        /** This tenant's notices as received, oldest first. */
        kinds: () =>
          sink.messages
            .filter((m) => m.to.includes(email))
            .map((m) => m.headers.get('x-tokend-notice') ?? '?'),
        mails: () => sink.messages.filter((m) => m.to.includes(email)),
      };
    }
    async function policy(t: Tenant, days: number | null) {
      const changed = await updateInstitution(env.db, t.institution.slug, { suspendUnusedAfterDays: days });
      assert.ok(changed.ok, JSON.stringify(changed));
      env.services.institutions.invalidate();
    }
    const sweep = () => sweeps[0].run();
    /** A fresh admin of `t` (sessions end as the clock moves on by days). */
    const staff = (t: Tenant) => t.user('admin');
    const detail = async (t: Tenant, id: string) =>
      body(await (await staff(t)).request({ method: 'GET', url: `/apis/v1/api-tokens/${id}` }), TokenSchema);
    const events = async (t: Tenant, id: string, ...types: string[]) => {
      const res = await (await staff(t)).request({ method: 'GET', url: `/apis/v1/api-tokens/${id}/events` });
      assert.equal(res.statusCode, 200, said(res));
      const { items } = res.json<{
        items: { type: string; actor: unknown; details: Record<string, unknown> }[];
      }>();
      return items.filter((e) => types.includes(e.type)).reverse();
    };
    const use = async (t: Tenant, secret: string) => {
      const res = await t.request({
        method: 'GET',
        url: '/apis/v1/token',
        headers: { authorization: `Bearer ${secret}` },
      });
      await env.services.usage.flush();
      return res;
    };

    test('an unused token is warned 7 days before, suspended once and told once, with two sweeps at once', async () => {
      const s = await scene(30);
      s.at(22.99);
      await sweep();
      assert.deepEqual(s.kinds(), [], 'nothing before the warning is due');
      s.at(23);
      await Promise.all([sweeps[0].run(), sweeps[1].run()]);
      await sweep();
      assert.deepEqual(s.kinds(), ['unused_7d']);
      const deadline = new Date(s.start + 30 * DAY);
      const [warning] = s.mails();
      assert.match(warning?.headers.get('subject') ?? '', /"Nightly export" will be suspended as unused/);
      assert.ok(warning?.raw.includes(s.token.display), 'names the display form');
      assert.ok(warning?.decoded.includes(s.t.institution.name), 'names the institution');
      assert.ok(warning?.decoded.includes(`/settings/api-tokens/${s.token.id}`), 'links to the token page');
      assert.ok(!warning?.raw.includes(s.secret), 'never the secret');
      const idleSince = new Date(s.start);
      assert.equal(warning?.headers.get('message-id'), messageIdFor(s.token.id, 'unused_7d', idleSince));
      s.at(29.99);
      await sweep();
      assert.equal((await detail(s.t, s.token.id)).state, 'active', 'measured to the moment');

      // The week runs from the warning's claim, a moment after day 23: a minute's margin.
      s.at(30.001);
      const [one, two] = await Promise.all([sweeps[0].run(), sweeps[1].run()]);
      assert.equal(one.suspended + two.suspended, 1, 'one of the two sweeps suspended it');
      for (const d of [30.5, 60]) {
        s.at(d);
        await sweep();
      }
      const token = await detail(s.t, s.token.id);
      assert.deepEqual(
        [token.state, token.stateChangedBy, token.stateReason],
        ['suspended', null, 'unused for 30 days'],
      );
      const refused = await use(s.t, s.secret);
      assert.equal(refused.statusCode, 401, said(refused));
      assert.equal(refused.json<{ error: string }>().error, 'token_suspended');
      assert.deepEqual(s.kinds(), ['unused_7d', 'unused_suspended']);
      const notice = s.mails()[1];
      assert.match(
        notice?.headers.get('subject') ?? '',
        /"Nightly export" was suspended: unused for 30 days/,
      );
      assert.ok(notice?.decoded.includes(utc(new Date(token.stateChangedAt as string))));
      const suspended = await events(s.t, s.token.id, 'token.suspended');
      assert.deepEqual(
        suspended.map((e) => [e.actor, e.details]),
        [[null, { reason: 'unused for 30 days' }]],
      );
      const sent = await events(s.t, s.token.id, 'token.reminder_sent');
      assert.deepEqual(
        sent.map((e) => e.details.kind),
        ['unused_7d', 'unused_suspended'],
      );
      // The deadline, or a week after the warning's claim if that is later (a moment after day 23).
      const suspendAt = new Date(String(sent[0]?.details.suspendAt));
      const late = suspendAt.getTime() - deadline.getTime();
      assert.ok(late >= 0 && late < 60_000, `${suspendAt.toISOString()} is the deadline`);
      assert.ok(warning?.decoded.includes(utc(suspendAt)), 'the warning states the moment of the suspension');
    });

    test('a used token is left alone; its warning comes 23 days after its last use', async () => {
      const s = await scene(30);
      s.at(20);
      assert.equal((await use(s.t, s.secret)).statusCode, 200);
      s.at(30);
      await sweep();
      s.at(42.9);
      await sweep();
      assert.deepEqual(s.kinds(), []);
      assert.equal((await detail(s.t, s.token.id)).state, 'active');
      s.at(43.001);
      await sweep();
      assert.deepEqual(s.kinds(), ['unused_7d']);
      // Used during the warning week: that spell ends, nothing is suspended, no second warning yet.
      s.at(45);
      assert.equal((await use(s.t, s.secret)).statusCode, 200);
      s.at(50);
      await sweep();
      assert.equal((await detail(s.t, s.token.id)).state, 'active');
      assert.deepEqual(s.kinds(), ['unused_7d']);
      // A new spell: its own warning, once.
      s.at(68.001);
      await sweep();
      await sweep();
      assert.deepEqual(s.kinds(), ['unused_7d', 'unused_7d']);
    });

    test('turning the policy on suspends no token before its warning has been sent, a week before', async () => {
      const s = await scene(null);
      s.at(400);
      await sweep();
      assert.deepEqual(s.kinds(), [], 'no policy, nothing');
      await policy(s.t, 30);
      const dry = await sweeps[0].run({ dryRun: true });
      assert.equal(dry.suspended, 0);
      assert.deepEqual(s.kinds(), [], 'a dry run sends nothing');
      const warnedAt = env.clock().getTime();
      await sweep();
      assert.deepEqual(s.kinds(), ['unused_7d']);
      assert.equal((await detail(s.t, s.token.id)).state, 'active', 'warned, not suspended');
      const suspendAt = (await events(s.t, s.token.id, 'token.reminder_sent'))[0]?.details.suspendAt;
      const stated = new Date(String(suspendAt)).getTime();
      assert.ok(stated >= warnedAt + 7 * DAY && stated < warnedAt + 7 * DAY + 60_000, String(suspendAt));
      // The test clock runs on from where it is moved: 10 s before the moment leaves the sweep time to run.
      env.clock.advance(stated - 10_000 - env.clock().getTime());
      await sweep();
      assert.equal((await detail(s.t, s.token.id)).state, 'active', 'not before the week is over');
      env.clock.advance(Math.max(0, stated - env.clock().getTime()));
      await sweep();
      assert.equal((await detail(s.t, s.token.id)).state, 'suspended');
      assert.deepEqual(s.kinds(), ['unused_7d', 'unused_suspended']);
      // The policy off: nothing more for anyone.
      await policy(s.t, null);
      s.at(800);
      await sweep();
      assert.deepEqual(s.kinds(), ['unused_7d', 'unused_suspended']);
    });

    test('reactivation starts a new idle spell: a new warning and, a week later, a new suspension', async () => {
      const s = await scene(30);
      for (const d of [23, 30.001]) {
        s.at(d);
        await sweep();
      }
      assert.equal((await detail(s.t, s.token.id)).state, 'suspended');
      s.at(40);
      const back = await (
        await staff(s.t)
      ).request({ method: 'POST', url: `/apis/v1/api-tokens/${s.token.id}/reactivate`, payload: {} });
      assert.equal(back.statusCode, 200, said(back));
      await sweep();
      assert.equal((await detail(s.t, s.token.id)).state, 'active', 'not suspended again at once');
      s.at(62.9);
      await sweep();
      assert.deepEqual(s.kinds(), ['unused_7d', 'unused_suspended']);
      s.at(63.001);
      await sweep();
      s.at(70.002);
      await sweep();
      await sweep();
      assert.deepEqual(s.kinds(), ['unused_7d', 'unused_suspended', 'unused_7d', 'unused_suspended']);
      const suspended = await events(s.t, s.token.id, 'token.suspended');
      assert.equal(suspended.length, 2);
    });

    test('a token suspended by staff is neither warned nor suspended again by the policy', async () => {
      const s = await scene(30);
      s.at(1);
      const paused = await (
        await staff(s.t)
      ).request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${s.token.id}/suspend`,
        payload: { reason: 'contract paused' },
      });
      assert.equal(paused.statusCode, 200, said(paused));
      for (const d of [23.001, 31, 60]) {
        s.at(d);
        await sweep();
      }
      assert.deepEqual(s.kinds(), []);
      const token = await detail(s.t, s.token.id);
      assert.deepEqual([token.state, token.stateReason], ['suspended', 'contract paused']);
    });
  });
}
