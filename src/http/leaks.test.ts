// The public leak report (SPEC section 9) end to end: what a report of a token's current or previous
// secret does under each policy, the email a real SMTP server receives, reactivation blocked until a
// rotation, exactly once per secret, the same answer whatever the report holds, its limits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { updateInstitution } from '../accounts/institutions.js';
import type { LeakResponse } from '../accounts/records.js';
import { body, CreatedSchema, errorOf, EventPage, TokenSchema } from '../test-support/answers.js';
import {
  type Agent,
  createEnv,
  databaseKinds,
  type Env,
  said,
  type Tenant,
} from '../test-support/harness.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { formatToken } from '../tokens/token.js';

for (const kind of databaseKinds()) {
  describe(`leak reports (${kind})`, () => {
    let env: Env;
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink();
      env = await createEnv(kind, {
        smtpUrl: sink.url,
        mailFrom: 'tokend <tokend@example.test>',
        publicUrl: 'https://tokend.example.test',
        authFailureLimit: 10_000,
        leakReportLimit: 10_000,
      });
    });
    after(async () => {
      await env.close();
      await sink.stop();
    });

    const report = (tokens: unknown, extra: Record<string, unknown> = {}, host = 'anywhere.example') =>
      env.app.inject({
        method: 'POST',
        url: '/apis/v1/leaks',
        headers: { host },
        payload: { tokens, ...extra },
      });
    const use = async (t: Tenant, secret: string) => {
      const res = await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
      return res.statusCode === 200 ? 'ok' : errorOf(res);
    };
    const get = async (admin: Agent, id: string) =>
      body(await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}` }), TokenSchema);
    const events = async (admin: Agent, id: string) =>
      body(await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}/events` }), EventPage).items;
    const action = (admin: Agent, id: string, what: string, payload: object = {}) =>
      admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${id}/${what}`, payload });
    const mailsOf = (id: string) => sink.messages.filter((m) => m.headers.get('x-tokend-token-id') === id);
    const policy = async (t: Tenant, leakResponse: LeakResponse) => {
      const changed = await updateInstitution(env.db, t.institution.slug, { leakResponse });
      assert.ok(changed.ok);
    };

    test('a current secret: suspended at once, one token.leaked, one email; reactivation waits for a rotation', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token, secret } = await admin.createToken({ name: 'HubSpot integration' });
      assert.equal(await use(t, secret), 'ok');
      const url = 'https://github.com/acme/site/blob/main/.env';
      const res = await report([secret], { url, source: 'trufflehog' });
      assert.equal(res.statusCode, 202, said(res));
      assert.deepEqual(res.json(), { received: 1 });
      assert.equal(await use(t, secret), 'token_suspended', 'stopped before the answer');
      const stopped = await get(admin, token.id);
      assert.equal(stopped.state, 'suspended');
      assert.equal(stopped.stateReason, 'leaked');
      assert.equal(stopped.stateChangedBy, null);
      assert.ok(stopped.compromisedAt);
      const history = await events(admin, token.id);
      const leaked = history.filter((e) => e.type === 'token.leaked');
      assert.equal(leaked.length, 1);
      assert.deepEqual(leaked[0]?.details, {
        channel: 'public',
        secret: 'current',
        url,
        source: 'trufflehog',
      });
      assert.equal(leaked[0]?.actor, null);
      const suspended = history.find((e) => e.type === 'token.suspended');
      assert.deepEqual([suspended?.actor, suspended?.details], [null, { reason: 'leaked' }]);

      const [mail, ...more] = mailsOf(token.id);
      assert.equal(more.length, 0, 'one email');
      assert.deepEqual(mail?.to, [admin.user.email]);
      assert.match(
        mail?.headers.get('subject') ?? '',
        /Leaked: API token "HubSpot integration" \(suspended\)/,
      );
      assert.ok(mail?.decoded.includes(url), 'where it was found');
      assert.ok(mail?.decoded.includes('trufflehog') && mail.decoded.includes('public leak report'));
      assert.ok(mail?.decoded.includes('tokend suspended the token'), 'what tokend did');
      assert.ok(mail?.raw.includes(token.display), 'the display form');
      assert.ok(mail?.decoded.includes(`https://${t.host}/settings/api-tokens/${token.id}`));
      assert.ok(
        !mail?.raw.includes(secret.slice(-49)) && !mail?.decoded.includes(secret.slice(-49)),
        'no secret',
      );

      const refused = await action(admin, token.id, 'reactivate');
      assert.equal(refused.statusCode, 409, said(refused));
      assert.deepEqual(refused.json(), {
        error: 'invalid_transition',
        message: 'rotate the token first: its secret was reported leaked',
      });
      const rotated = body(await action(admin, token.id, 'rotate'), CreatedSchema);
      assert.equal(rotated.token.compromisedAt, null, 'a rotation clears it');
      assert.equal(rotated.token.state, 'suspended');
      const back = await action(admin, token.id, 'reactivate');
      assert.equal(back.statusCode, 200, said(back));
      assert.equal(await use(t, rotated.secret), 'ok');
      assert.equal(await use(t, secret), 'token_rotated');
    });

    test('the same secret reported twice, and twice at once: one event and one email', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const first = await admin.createToken({ name: 'Twice' });
      const second = await admin.createToken({ name: 'At once' });
      assert.equal((await report([first.secret, first.secret])).statusCode, 202);
      assert.equal((await report([first.secret])).statusCode, 202);
      const both = await Promise.all([report([second.secret]), report([second.secret])]);
      assert.deepEqual(
        both.map((r) => r.statusCode),
        [202, 202],
      );
      for (const { token } of [first, second]) {
        const leaked = (await events(admin, token.id)).filter((e) => e.type === 'token.leaked');
        assert.equal(leaked.length, 1, token.name);
        assert.equal(mailsOf(token.id).length, 1, token.name);
        assert.equal((await get(admin, token.id)).state, 'suspended');
      }
    });

    test('a previous secret in its grace: the grace ends at once, the token and its current secret stay', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token, secret: old } = await admin.createToken({ name: 'Rotating' });
      const rotated = body(await action(admin, token.id, 'rotate', { graceSeconds: 3600 }), CreatedSchema);
      assert.equal(await use(t, old), 'ok', 'in its grace');
      assert.equal((await report([old], { url: 'https://ci.example/log/7' })).statusCode, 202);
      assert.equal(await use(t, old), 'token_rotated');
      assert.equal(await use(t, rotated.secret), 'ok');
      const now = await get(admin, token.id);
      assert.equal(now.state, 'active');
      assert.equal(now.compromisedAt, null, 'the current secret is not the leaked one');
      assert.ok(Date.parse(now.previousSecretValidUntil ?? '') <= Date.now() + 1000);
      const leaked = (await events(admin, token.id)).filter((e) => e.type === 'token.leaked');
      assert.deepEqual(leaked[0]?.details, {
        channel: 'public',
        secret: 'previous',
        url: 'https://ci.example/log/7',
        source: null,
      });
      const [mail] = mailsOf(token.id);
      assert.ok(mail?.decoded.includes('ended that grace at once'), mail?.decoded);
      assert.ok(
        mail?.raw.includes(`${old.slice(0, 14)}... ${old.slice(-3)}`),
        'the reported secret’s display',
      );
      // Past its grace, the old secret is ignored: nothing more happens.
      assert.equal((await report([old])).statusCode, 202);
      assert.equal(mailsOf(token.id).length, 1);
    });

    test('the answer is the same for a known, an unknown and a malformed token', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { secret } = await admin.createToken({ name: 'Known' });
      const unknown = formatToken(randomBytes(32), 'unknown');
      const answers = await Promise.all(
        [[secret], [unknown], ['sk-not-a-token'], [`${secret.slice(0, -1)}x`]].map((tokens) =>
          report(tokens),
        ),
      );
      for (const res of answers) {
        assert.equal(res.statusCode, 202, said(res));
        assert.equal(res.body, '{"received":1}');
        assert.equal(res.headers['content-type'], answers[0]?.headers['content-type']);
      }
      assert.deepEqual((await report([unknown, 'x', secret])).json(), { received: 3 });
    });

    test('bad reports: 400 invalid_request naming the field', async () => {
      const cases: [unknown, Record<string, unknown>, string][] = [
        [Array(1001).fill('x'), {}, 'tokens'],
        [[], {}, 'tokens'],
        ['sk-a-token', {}, 'tokens'],
        [[1, 2], {}, 'tokens'],
        [['x'], { url: 'u'.repeat(2001) }, 'url'],
        [['x'], { source: 's'.repeat(101) }, 'source'],
        [['x'], { extra: true }, 'extra'],
      ];
      for (const [tokens, extra, field] of cases) {
        const res = await report(tokens, extra);
        assert.equal(res.statusCode, 400, said(res));
        assert.equal(errorOf(res), 'invalid_request');
        assert.equal(res.json<{ field: string }>().field, field, said(res));
      }
      const bare = await env.app.inject({ method: 'POST', url: '/apis/v1/leaks', payload: [] });
      assert.equal(bare.statusCode, 400, said(bare));
    });

    test('revoke: suspended then revoked, both events by the system; revoked tokens are then ignored', async () => {
      const t = await env.tenant();
      await policy(t, 'revoke');
      const admin = await t.adminAgent();
      const { token, secret } = await admin.createToken({ name: 'Revoke me' });
      assert.equal((await report([secret])).statusCode, 202);
      assert.equal(await use(t, secret), 'token_revoked');
      const history = await events(admin, token.id);
      assert.deepEqual(
        history.map((e) => [e.type, e.actor, e.details.reason ?? null]),
        [
          ['token.revoked', null, 'leaked'],
          ['token.suspended', null, 'leaked'],
          ['token.leaked', null, null],
          ['token.created', { id: admin.user.id, email: admin.user.email, name: admin.user.name }, null],
        ],
      );
      assert.match(mailsOf(token.id)[0]?.decoded ?? '', /tokend revoked the token/);
    });

    test('notify: nothing changes but the mark, the event and the email', async () => {
      const t = await env.tenant();
      await policy(t, 'notify');
      const admin = await t.adminAgent();
      const { token, secret } = await admin.createToken({ name: 'Notify only' });
      assert.equal((await report([secret])).statusCode, 202);
      assert.equal(await use(t, secret), 'ok', 'it still works');
      const now = await get(admin, token.id);
      assert.equal(now.state, 'active');
      assert.ok(now.compromisedAt);
      assert.deepEqual(
        (await events(admin, token.id)).map((e) => e.type),
        ['token.leaked', 'token.created'],
      );
      assert.match(mailsOf(token.id)[0]?.decoded ?? '', /STILL WORKS/);
    });

    test('a token suspended by staff is only marked; revoked and expired tokens are ignored', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const paused = await admin.createToken({ name: 'Paused' });
      await action(admin, paused.token.id, 'suspend', { reason: 'maintenance' });
      const gone = await admin.createToken({ name: 'Gone' });
      await action(admin, gone.token.id, 'suspend');
      await action(admin, gone.token.id, 'revoke');
      const expiring = await admin.createToken({
        name: 'Expiring',
        expiresAt: new Date(env.clock().getTime() + 120_000).toISOString(),
      });
      env.clock.advance(180_000);
      assert.equal((await report([paused.secret, gone.secret, expiring.secret])).statusCode, 202);
      const marked = await get(admin, paused.token.id);
      assert.equal(marked.stateReason, 'maintenance', 'the staff’s suspension stands');
      assert.ok(marked.compromisedAt);
      assert.match(mailsOf(paused.token.id)[0]?.decoded ?? '', /already suspended/);
      assert.equal((await action(admin, paused.token.id, 'reactivate')).statusCode, 409);
      for (const { token } of [gone, expiring]) {
        assert.ok(!(await events(admin, token.id)).some((e) => e.type === 'token.leaked'), token.name);
        assert.equal(mailsOf(token.id).length, 0);
      }
    });
  });

  describe(`leak report limit (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { leakReportLimit: 2 });
    });
    after(() => env.close());

    test('every report counts, bad ones included; past the limit 429 with Retry-After', async () => {
      const send = (payload: object) => env.app.inject({ method: 'POST', url: '/apis/v1/leaks', payload });
      assert.equal((await send({ tokens: ['x'] })).statusCode, 202);
      assert.equal((await send({ tokens: 'x' })).statusCode, 400);
      const limited = await send({ tokens: ['x'] });
      assert.equal(limited.statusCode, 429, said(limited));
      assert.equal(errorOf(limited), 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      const other = await env.app.inject({
        method: 'POST',
        url: '/apis/v1/leaks',
        payload: { tokens: ['x'] },
        remoteAddress: '127.0.0.9',
      });
      assert.equal(other.statusCode, 202, 'per client address');
    });
  });
}
