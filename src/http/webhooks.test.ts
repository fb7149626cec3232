// Webhooks (SPEC section 10) end to end, in one process: the routes as staff call them, and a real
// receiver on 127.0.0.1 (allowed by TOKEND_WEBHOOK_ALLOWED_HOSTS) that verifies every message with the
// `standardwebhooks` package. Each token change arrives once, with its audit event's id as webhook-id;
// retries follow the (short) schedule; 410 disables; rotation double-signs; the secret stays secret.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { updateInstitution } from '../accounts/institutions.js';
import { smtpMailer } from '../mail/mailer.js';
import { ReminderSweep } from '../reminders/sweep.js';
import { body, EventPage, TokenSchema } from '../test-support/answers.js';
import {
  type Agent,
  createEnv,
  databaseKinds,
  type Env,
  said,
  type Tenant,
} from '../test-support/harness.js';
import { waitUntil } from '../test-support/live-server.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { type Receiver, startReceiver } from '../test-support/webhook-receiver.js';
import { Value } from '@sinclair/typebox/value';
import { DeliverySchema, WebhookSchema } from './webhook-schemas.js';

const SHORT = [40, 40, 40, 40, 40, 40, 40];

interface Hook {
  id: string;
  secret: string;
  receiver: Receiver;
}

for (const kind of databaseKinds()) {
  describe(`webhooks (${kind})`, () => {
    let env: Env;
    let sink: SmtpSink;
    const logs: string[] = [];
    const receivers: Receiver[] = [];
    before(async () => {
      sink = await startSmtpSink();
      const logger = pino(
        { level: 'debug' },
        new Writable({
          write(chunk: Buffer, _enc, done) {
            logs.push(chunk.toString());
            done();
          },
        }),
      );
      env = await createEnv(
        kind,
        {
          webhookAllowedHosts: ['127.0.0.1'],
          webhookRetryScheduleMs: SHORT,
          webhookPollMs: 20,
          webhookTimeoutMs: 2000,
          smtpUrl: sink.url,
          mailFrom: 'tokend <tokend@example.test>',
          authFailureLimit: 10_000,
        },
        { logger },
      );
      env.services.webhookDeliverer.start();
    });
    after(async () => {
      await env.services.webhookDeliverer.stop();
      await env.close();
      await sink.stop();
      for (const r of receivers) await r.stop();
    });

    const receiver = async () => {
      const r = await startReceiver();
      receivers.push(r);
      return r;
    };
    const hook = async (agent: Agent, extra: Record<string, unknown> = {}): Promise<Hook> => {
      const r = await receiver();
      const res = await agent.request({
        method: 'POST',
        url: '/apis/v1/webhooks',
        payload: { url: r.url, ...extra },
      });
      assert.equal(res.statusCode, 201, said(res));
      const { webhook, secret } = res.json<{ webhook: { id: string }; secret: string }>();
      return { id: webhook.id, secret, receiver: r };
    };
    const tokenEvents = async (agent: Agent, id: string) =>
      body(await agent.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}/events` }), EventPage).items;
    const deliveries = async (agent: Agent, id: string, query = '') => {
      const res = await agent.request({ method: 'GET', url: `/apis/v1/webhooks/${id}/deliveries${query}` });
      assert.equal(res.statusCode, 200, said(res));
      return res.json<{
        items: { id: string; eventId: string; status: string; attempt: number }[];
        nextCursor: string | null;
      }>();
    };

    test('create answers the secret once (no-store); reads never show it', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const r = await receiver();
      const res = await admin.request({
        method: 'POST',
        url: '/apis/v1/webhooks',
        payload: { url: r.url, description: 'SIEM' },
      });
      assert.equal(res.statusCode, 201, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      const { webhook, secret } = res.json<{ webhook: Record<string, unknown>; secret: string }>();
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
      assert.ok(Value.Check(WebhookSchema, webhook), said(res));
      assert.equal(webhook.enabled, true);
      assert.equal(webhook.description, 'SIEM');
      assert.ok((webhook.events as string[]).includes('token.suspended'), 'events default to every type');
      assert.ok((webhook.createdBy as { id: string }).id === admin.user.id);
      const list = await admin.request({ method: 'GET', url: '/apis/v1/webhooks' });
      const one = await admin.request({ method: 'GET', url: `/apis/v1/webhooks/${String(webhook.id)}` });
      for (const read of [list, one]) {
        assert.equal(read.statusCode, 200, said(read));
        assert.ok(!read.body.includes(secret.slice(6)), 'a read never holds the secret');
      }
      assert.equal(list.json<{ items: unknown[] }>().items.length, 1);
      const other = await (await env.tenant()).adminAgent();
      const elsewhere = await other.request({
        method: 'GET',
        url: `/apis/v1/webhooks/${String(webhook.id)}`,
      });
      assert.equal(elsewhere.statusCode, 404, said(elsewhere));
      const staff = await t.user('staff');
      const refused = await staff.request({ method: 'GET', url: '/apis/v1/webhooks' });
      assert.equal(refused.statusCode, 403, said(refused));
      const noCsrf = await t.request({
        method: 'POST',
        url: '/apis/v1/webhooks',
        headers: { cookie: admin.cookie },
        payload: { url: r.url },
      });
      assert.equal(noCsrf.statusCode, 403, said(noCsrf));
      assert.equal(noCsrf.json<{ error: string }>().error, 'csrf');
    });

    test('bad URLs and events are refused with the field at fault', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const r = await receiver();
      const cases: [Record<string, unknown>, string][] = [
        [{ url: 'http://hooks.example.com/x' }, 'url'],
        [{ url: 'not a url' }, 'url'],
        [{ url: `https://hooks.example.com/${'a'.repeat(2000)}` }, 'url'],
        [{ url: 'https://localhost/hook' }, 'url'],
        [{ url: 'https://10.1.2.3/hook' }, 'url'],
        [{ url: 'https://192.168.0.10/hook' }, 'url'],
        [{ url: 'https://169.254.169.254/latest' }, 'url'],
        [{ url: 'https://[::1]/hook' }, 'url'],
        [{ url: 'https://[fd12::1]/hook' }, 'url'],
        [{ url: 'https://[fe80::1]/hook' }, 'url'],
        [{ url: 'https://[::ffff:127.0.0.1]/hook' }, 'url'],
        [{ url: 'https://no-such-host.invalid/hook' }, 'url'],
        [{ url: r.url, events: ['token.nope'] }, 'events'],
        [{ url: r.url, events: ['webhook.test'] }, 'events'],
        [{ url: r.url, events: [] }, 'events'],
        [{ url: r.url, secret: 'mine' }, 'secret'],
      ];
      for (const [payload, field] of cases) {
        const res = await admin.request({ method: 'POST', url: '/apis/v1/webhooks', payload });
        assert.equal(res.statusCode, 400, `${JSON.stringify(payload).slice(0, 80)}: ${said(res)}`);
        assert.deepEqual(
          [res.json<{ error: string }>().error, res.json<{ field: string }>().field],
          ['invalid_request', field],
          said(res),
        );
      }
      // The same rules on PATCH.
      const h = await hook(admin);
      const patched = await admin.request({
        method: 'PATCH',
        url: `/apis/v1/webhooks/${h.id}`,
        payload: { url: 'https://127.0.0.2/hook' },
      });
      assert.equal(patched.statusCode, 400, said(patched));
      assert.equal(patched.json<{ field: string }>().field, 'url');
      const list = await admin.request({ method: 'GET', url: '/apis/v1/webhooks' });
      assert.equal(list.json<{ items: unknown[] }>().items.length, 1, 'nothing refused was stored');
    });

    test('every change of a token arrives once, verified, with its event id as webhook-id', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const h = await hook(admin);
      const reminders = new ReminderSweep({
        db: env.db,
        tokens: env.services.tokens,
        mailer: smtpMailer(sink.url, 'tokend <tokend@example.test>'),
        clock: env.clock,
        publicUrl: 'https://tokend.example.test',
      });
      // Expiring in two minutes: the sweep sends a reminder now, and records the expiry later.
      const soon = new Date(env.clock().getTime() + 120_000).toISOString();
      const later = new Date(env.clock().getTime() + 150_000).toISOString();
      const { token, secret: first } = await admin.createToken({ expiresAt: soon });
      const call = (action: string, payload: Record<string, unknown> = {}) =>
        admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/${action}`, payload });
      const rotated = await call('rotate');
      assert.equal(rotated.statusCode, 200, said(rotated));
      const { secret } = rotated.json<{ secret: string }>();
      const renewed = await call('renew', { expiresAt: later });
      assert.equal(renewed.statusCode, 200, said(renewed));
      assert.equal((await call('suspend', { reason: 'audit' })).statusCode, 200);
      for (let i = 0; i < 2; i++)
        await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
      await env.services.usage.flush();
      assert.equal((await call('reactivate')).statusCode, 200);
      await reminders.run();
      env.clock.advance(151_000);
      await reminders.run();
      const second = await admin.createToken();
      assert.equal(
        (
          await admin.request({
            method: 'POST',
            url: `/apis/v1/api-tokens/${second.token.id}/suspend`,
            payload: {},
          })
        ).statusCode,
        200,
      );
      assert.equal(
        (
          await admin.request({
            method: 'POST',
            url: `/apis/v1/api-tokens/${second.token.id}/revoke`,
            payload: {},
          })
        ).statusCode,
        200,
      );

      const events = [
        ...(await tokenEvents(admin, token.id)),
        ...(await tokenEvents(admin, second.token.id)),
      ];
      const types = new Set<string>(events.map((e) => e.type));
      for (const type of [
        'token.created',
        'token.rotated',
        'token.renewed',
        'token.suspended',
        'token.auth_failed',
        'token.reactivated',
        'token.reminder_sent',
        'token.expired',
        'token.revoked',
      ])
        assert.ok(types.has(type), `the audit log holds ${type}: ${[...types].join(', ')}`);
      await waitUntil('every event delivered', () => events.every((e) => h.receiver.withId(e.id).length > 0));
      env.clock.advance(-151_000);
      for (const e of events) {
        const got = h.receiver.withId(e.id);
        assert.equal(got.length, 1, `${e.type} arrives once`);
        const [m] = got;
        assert.ok(m && h.receiver.verifies(m, h.secret), `${e.type} verifies with standardwebhooks`);
        assert.equal(m.headers['content-type'], 'application/json');
        assert.match(String(m.headers['user-agent']), /^tokend\/\d+\.\d+\.\d+/);
        assert.equal(m.json.type, e.type);
        assert.equal(m.json.timestamp, e.at);
        assert.deepEqual(m.json.data.event, e, `${e.type}: data.event is the audit event`);
        assert.ok(Value.Check(TokenSchema, m.json.data.token), `${e.type}: data.token is a Token`);
        assert.ok(!m.body.includes('token_hash') && !m.body.includes(secret) && !m.body.includes(first));
      }
      // data.token is the token as it was when the event was written.
      const suspended = h.receiver.received.find((m) => m.json.type === 'token.suspended');
      assert.equal((suspended?.json.data.token as { state: string }).state, 'suspended');
      const reactivated = h.receiver.received.find((m) => m.json.type === 'token.reactivated');
      assert.equal((reactivated?.json.data.token as { state: string }).state, 'active');
      // The institution's own events too: webhook.created reached the endpoint it created.
      assert.ok(
        h.receiver.received.some((m) => m.json.type === 'webhook.created' && m.json.data.token === null),
      );
      const list = await admin.request({ method: 'GET', url: `/apis/v1/webhooks/${h.id}` });
      assert.equal(list.json<{ lastDeliveryStatus: string }>().lastDeliveryStatus, 'delivered');
    });

    test('500 twice then 200: three attempts on the schedule, one delivery, attempt 3', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const h = await hook(admin, { events: ['token.suspended'] });
      h.receiver.answer = (n) => (n < 2 ? 500 : 200);
      const { token } = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend`, payload: {} });
      await waitUntil('three attempts', () => h.receiver.received.length >= 3);
      const ids = new Set(h.receiver.received.map((m) => m.id));
      assert.equal(ids.size, 1, 'the same webhook-id on every attempt');
      await waitUntil(
        'delivered',
        async () => (await deliveries(admin, h.id)).items[0]?.status === 'delivered',
      );
      const page = await deliveries(admin, h.id);
      assert.equal(page.items.length, 1, 'one delivery row per message');
      const [d] = page.items;
      assert.ok(Value.Check(DeliverySchema, d), JSON.stringify(d));
      assert.deepEqual([d?.status, d?.attempt], ['delivered', 3]);
      assert.equal((d as unknown as { responseStatus: number }).responseStatus, 200);
      assert.equal(h.receiver.received.length, 3);
      const times = h.receiver.received.map((m) => Number(m.headers['webhook-timestamp']));
      assert.ok(
        times.every((s) => Math.abs(s - env.clock().getTime() / 1000) < 60),
        'webhook-timestamp is the attempt time',
      );
    });

    test('after the last attempt of the schedule the delivery fails', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const h = await hook(admin, { events: ['token.suspended'] });
      h.receiver.answer = () => 503;
      const { token } = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend`, payload: {} });
      await waitUntil('failed', async () => (await deliveries(admin, h.id)).items[0]?.status === 'failed');
      const [d] = (await deliveries(admin, h.id)).items;
      assert.equal(d?.attempt, SHORT.length + 1, 'at once, then once after each wait');
      assert.equal(h.receiver.received.length, SHORT.length + 1);
      // Redeliver: 202, due now, and it arrives again with the same webhook-id.
      h.receiver.answer = () => 200;
      const res = await admin.request({
        method: 'POST',
        url: `/apis/v1/webhooks/${h.id}/deliveries/${d?.id}/redeliver`,
      });
      assert.equal(res.statusCode, 202, said(res));
      assert.equal(res.json<{ status: string }>().status, 'pending');
      await waitUntil(
        'redelivered',
        async () => (await deliveries(admin, h.id)).items[0]?.status === 'delivered',
      );
      assert.equal(h.receiver.withId(d?.eventId ?? '').length, SHORT.length + 2);
    });

    test('410 Gone disables the endpoint and records webhook.disabled', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const watcher = await hook(admin, { events: ['webhook.disabled'] });
      const h = await hook(admin, { events: ['token.suspended', 'token.reactivated'] });
      h.receiver.answer = () => 410;
      const { token } = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend`, payload: {} });
      await waitUntil('disabled', () => watcher.receiver.received.length > 0);
      const [notice] = watcher.receiver.received;
      assert.ok(notice && watcher.receiver.verifies(notice, watcher.secret));
      assert.equal(notice.json.type, 'webhook.disabled');
      assert.equal((notice.json.data.event.details as { webhookId: string }).webhookId, h.id);
      const res = await admin.request({ method: 'GET', url: `/apis/v1/webhooks/${h.id}` });
      const w = res.json<{ enabled: boolean; disabledReason: string; lastDeliveryStatus: string }>();
      assert.equal(w.enabled, false);
      assert.match(w.disabledReason, /410/);
      assert.equal(h.receiver.received.length, 1, 'a 410 is not retried');
      // A disabled endpoint is sent nothing new.
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/reactivate`, payload: {} });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(h.receiver.received.length, 1);
    });

    test('5 days without a success disable the endpoint and email the notification addresses once', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const changed = await updateInstitution(env.db, t.institution.slug, {
        addNotify: ['ops@example.test'],
      });
      assert.ok(changed.ok);
      const h = await hook(admin, { events: ['token.suspended', 'token.reactivated'] });
      h.receiver.answer = () => 500;
      const { token } = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend`, payload: {} });
      await waitUntil('a first failure', async () => (await deliveries(admin, h.id)).items[0]?.attempt === 1);
      env.clock.advance(5 * 86_400_000 + 1000);
      try {
        const agent = await t.user('admin');
        await agent.request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${token.id}/reactivate`,
          payload: {},
        });
        await waitUntil('disabled', async () => {
          const w = await agent.request({ method: 'GET', url: `/apis/v1/webhooks/${h.id}` });
          return w.json<{ enabled: boolean }>().enabled === false;
        });
        const w = (await agent.request({ method: 'GET', url: `/apis/v1/webhooks/${h.id}` })).json<{
          disabledReason: string;
        }>();
        assert.match(w.disabledReason, /5 days/);
        await waitUntil('the email', () => sink.messages.some((m) => m.to.includes('ops@example.test')));
        await new Promise((r) => setTimeout(r, 200));
        const mails = sink.messages.filter((m) => m.to.includes('ops@example.test'));
        assert.equal(mails.length, 1, 'one email');
        assert.ok(mails[0]?.decoded.includes(h.receiver.url));
        // Enabled again: the pending messages still within their schedule are sent.
        h.receiver.answer = () => 200;
        const before = h.receiver.received.length;
        const enabled = await agent.request({
          method: 'PATCH',
          url: `/apis/v1/webhooks/${h.id}`,
          payload: { enabled: true },
        });
        assert.equal(enabled.statusCode, 200, said(enabled));
        assert.equal(enabled.json<{ disabledReason: string | null }>().disabledReason, null);
        await waitUntil('sent after enabling', () => h.receiver.received.length > before);
      } finally {
        env.clock.advance(-(5 * 86_400_000 + 1000));
      }
    });

    test('rotate-secret: for 24 hours two v1 signatures, each verifying', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const h = await hook(admin, { events: ['token.suspended'] });
      const res = await admin.request({ method: 'POST', url: `/apis/v1/webhooks/${h.id}/rotate-secret` });
      assert.equal(res.statusCode, 200, said(res));
      assert.equal(res.headers['cache-control'], 'no-store');
      const { secret } = res.json<{ secret: string }>();
      assert.notEqual(secret, h.secret);
      const { token } = await admin.createToken();
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend`, payload: {} });
      await waitUntil('delivered', () => h.receiver.received.length > 0);
      const [m] = h.receiver.received;
      assert.ok(m);
      assert.equal(m.signatures.length, 2);
      assert.ok(m.signatures.every((s) => s.startsWith('v1,')));
      assert.ok(h.receiver.verifies(m, secret), 'the new secret verifies');
      assert.ok(h.receiver.verifies(m, h.secret), 'the old secret verifies');
      const logged = logs.join('');
      for (const s of [secret, h.secret]) assert.ok(!logged.includes(s.slice(6)), 'no secret in the logs');
    });

    test('test sends webhook.test now and answers its delivery; deliveries page newest first', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const h = await hook(admin, { events: ['token.created'] });
      for (let i = 0; i < 3; i++) {
        const res = await admin.request({ method: 'POST', url: `/apis/v1/webhooks/${h.id}/test` });
        assert.equal(res.statusCode, 200, said(res));
        const d = res.json<{ status: string; type: string; attempt: number; eventId: string }>();
        assert.ok(Value.Check(DeliverySchema, d), said(res));
        assert.deepEqual([d.status, d.type, d.attempt], ['delivered', 'webhook.test', 1]);
        const [m] = h.receiver.withId(d.eventId);
        assert.ok(m && h.receiver.verifies(m, h.secret));
        assert.equal(m.json.type, 'webhook.test');
      }
      const first = await deliveries(admin, h.id, '?limit=2');
      assert.equal(first.items.length, 2);
      assert.ok(first.nextCursor);
      const second = await deliveries(admin, h.id, `?limit=2&cursor=${first.nextCursor}`);
      assert.equal(second.items.length, 1);
      assert.equal(second.nextCursor, null);
      const order = [...first.items, ...second.items].map((d) => d.eventId);
      assert.deepEqual(order, h.receiver.received.map((m) => m.id).reverse(), 'newest first');
      const bad = await admin.request({ method: 'GET', url: `/apis/v1/webhooks/${h.id}/deliveries?limit=0` });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json<{ field: string }>().field, 'limit');
      const badCursor = await admin.request({
        method: 'GET',
        url: `/apis/v1/webhooks/${h.id}/deliveries?cursor=nope`,
      });
      assert.equal(badCursor.statusCode, 400);
      assert.equal(badCursor.json<{ field: string }>().field, 'cursor');
    });

    test('PATCH edits, DELETE drops the pending messages, both recorded for other endpoints', async () => {
      const t: Tenant = await env.tenant();
      const admin = await t.adminAgent();
      const watcher = await hook(admin, { events: ['webhook.updated', 'webhook.deleted'] });
      const h = await hook(admin, { events: ['token.suspended'] });
      const patched = await admin.request({
        method: 'PATCH',
        url: `/apis/v1/webhooks/${h.id}`,
        payload: { description: 'chat', events: ['token.suspended', 'token.revoked'] },
      });
      assert.equal(patched.statusCode, 200, said(patched));
      assert.deepEqual(patched.json<{ events: string[] }>().events, ['token.suspended', 'token.revoked']);
      h.receiver.hang = true;
      await env.services.webhookDeliverer.stop();
      try {
        const { token } = await admin.createToken();
        await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend`, payload: {} });
        assert.equal((await deliveries(admin, h.id)).items[0]?.status, 'pending');
        const del = await admin.request({ method: 'DELETE', url: `/apis/v1/webhooks/${h.id}` });
        assert.equal(del.statusCode, 204, said(del));
        const gone = await admin.request({ method: 'GET', url: `/apis/v1/webhooks/${h.id}` });
        assert.equal(gone.statusCode, 404);
      } finally {
        env.services.webhookDeliverer.start();
      }
      await waitUntil('the watcher hears both', () => watcher.receiver.received.length >= 2);
      assert.deepEqual(watcher.receiver.received.map((m) => m.json.type).sort(), [
        'webhook.deleted',
        'webhook.updated',
      ]);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(h.receiver.received.length, 0, 'the deleted endpoint’s message was never sent');
    });

    test('metrics count deliveries by outcome and the pending messages', async () => {
      const res = await env.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /tokend_webhook_deliveries_total\{outcome="delivered"\} \d+/);
      assert.match(res.body, /tokend_webhook_deliveries_total\{outcome="retry"\} \d+/);
      assert.match(res.body, /tokend_webhook_pending_messages \d+/);
    });
  });
}
