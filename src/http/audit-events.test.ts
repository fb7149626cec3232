// The institution's audit log (SPEC 12): GET /apis/v1/audit-events lists every event of the institution,
// a token's (with its id and name) and its own (user, sign-in, settings: no token), newest first; types
// repeat and take `token.*`-style prefixes; token, actor and time filters; pages by a cursor bound to
// the filters; `format=csv|ndjson` streams the selection as a file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { parse } from 'csv-parse/sync';
import { AuditEventSchema } from './inventory-schemas.js';
import { insertEvent } from '../tokens/event-store.js';
import { body, ErrorSchema, Page } from '../test-support/answers.js';
import {
  type Agent,
  createEnv,
  databaseKinds,
  type Env,
  said,
  TOKENS_FEATURE,
} from '../test-support/harness.js';

const AuditPage = Page(Type.Omit(AuditEventSchema, []));

for (const kind of databaseKinds()) {
  describe(`the institution audit log (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    /** A's created, suspended, reactivated; B's created (by staff) and suspended; a user and a sign-in. */
    async function seeded() {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const staff = await t.user('staff', [TOKENS_FEATURE]);
      const act = async (agent: Agent, id: string, action: string) => {
        const res = await agent.request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${id}/${action}`,
          payload: {},
        });
        assert.equal(res.statusCode, 200, said(res));
      };
      const a = (await admin.createToken({ name: 'token A' })).token.id;
      env.clock.advance(1000);
      const start = env.clock().toISOString();
      await act(admin, a, 'suspend');
      await act(admin, a, 'reactivate');
      const b = (await staff.createToken({ name: 'token B' })).token.id;
      await act(staff, b, 'suspend');
      env.clock.advance(1000);
      const middle = env.clock().toISOString();
      const own = { institutionId: t.institution.id, tokenId: null, ip: '127.0.0.1' };
      await insertEvent(env.db, {
        ...own,
        type: 'user.created',
        at: env.clock(),
        actorId: admin.user.id,
        details: { email: 'new@example.test' },
      });
      await insertEvent(env.db, {
        ...own,
        type: 'session.login',
        at: env.clock(),
        actorId: staff.user.id,
        details: {},
      });
      // Another institution's history is not this one's.
      const other = await env.tenant();
      await (await other.adminAgent()).createToken({ name: 'theirs' });
      return { t, admin, staff, a, b, start, middle };
    }

    const log = async (agent: Agent, query: string) => {
      const res = await agent.request({ method: 'GET', url: `/apis/v1/audit-events?${query}` });
      assert.equal(res.statusCode, 200, said(res));
      return body(res, AuditPage);
    };
    const types = async (agent: Agent, query: string) => (await log(agent, query)).items.map((e) => e.type);

    test('every event, newest first, with the token’s id and name or none', async () => {
      const { admin, staff, a, b } = await seeded();
      const page = await log(admin, '');
      assert.deepEqual(
        page.items.map((e) => [e.type, e.tokenName, e.actor?.email ?? null]),
        [
          ['session.login', null, staff.user.email],
          ['user.created', null, admin.user.email],
          ['token.suspended', 'token B', staff.user.email],
          ['token.created', 'token B', staff.user.email],
          ['token.reactivated', 'token A', admin.user.email],
          ['token.suspended', 'token A', admin.user.email],
          ['token.created', 'token A', admin.user.email],
          // The two sign-ins the test's agents made, oldest last.
          ['session.login', null, staff.user.email],
          ['session.login', null, admin.user.email],
        ],
      );
      assert.equal(page.nextCursor, null);
      assert.deepEqual(
        page.items.map((e) => e.tokenId),
        [null, null, b, b, a, a, a, null, null],
      );
      assert.deepEqual(page.items[1]?.details, { email: 'new@example.test' });
    });

    test('types repeat and take prefixes; token, actor and time filters combine', async () => {
      const { admin, staff, a, start, middle } = await seeded();
      assert.deepEqual(await types(admin, 'type=token.suspended'), ['token.suspended', 'token.suspended']);
      assert.deepEqual(await types(admin, 'type=session.*&type=user.created'), [
        'session.login',
        'user.created',
        'session.login',
        'session.login',
      ]);
      assert.equal((await types(admin, 'type=token.*')).length, 5);
      assert.deepEqual(await types(admin, 'type=webhook.*'), []);
      assert.deepEqual(await types(admin, `tokenId=${a}`), [
        'token.reactivated',
        'token.suspended',
        'token.created',
      ]);
      assert.deepEqual(await types(admin, `actorId=${staff.user.id}`), [
        'session.login',
        'token.suspended',
        'token.created',
        'session.login',
      ]);
      assert.deepEqual(await types(admin, `actorId=${staff.user.id}&type=token.*`), [
        'token.suspended',
        'token.created',
      ]);
      assert.deepEqual(await types(admin, `since=${middle}`), ['session.login', 'user.created']);
      assert.deepEqual(await types(admin, `since=${start}&until=${middle}`), [
        'token.suspended',
        'token.created',
        'token.reactivated',
        'token.suspended',
      ]);
      assert.deepEqual(await types(admin, `until=${start}`), [
        'token.created',
        'session.login',
        'session.login',
      ]);
    });

    test('pages newest first by a cursor bound to the filters', async () => {
      const { admin } = await seeded();
      const whole = (await log(admin, 'type=token.*')).items.map((e) => e.id);
      const paged: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await log(admin, `type=token.*&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        paged.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.deepEqual(paged, whole);
      assert.equal(pages, 3);
      const first = await log(admin, 'type=token.*&limit=2');
      const misuse = await admin.request({
        method: 'GET',
        url: `/apis/v1/audit-events?limit=2&cursor=${first.nextCursor}`,
      });
      assert.equal(misuse.statusCode, 400, said(misuse));
      assert.equal(body(misuse, ErrorSchema).field, 'cursor');
    });

    test('format=csv and format=ndjson stream the selection as a file', async () => {
      const { admin, a } = await seeded();
      const csvRes = await admin.request({ method: 'GET', url: '/apis/v1/audit-events?format=csv&limit=1' });
      assert.equal(csvRes.statusCode, 200, said(csvRes));
      assert.match(String(csvRes.headers['content-type']), /^text\/csv/);
      assert.match(
        String(csvRes.headers['content-disposition']),
        /^attachment; filename="audit-events-.*\.csv"$/,
      );
      const rows = parse<Record<string, string>>(csvRes.body, { columns: true });
      assert.equal(rows.length, 9);
      assert.deepEqual(Object.keys(rows[0] ?? {}), [
        'id',
        'type',
        'at',
        'actor',
        'ip',
        'details',
        'tokenId',
        'tokenName',
      ]);
      assert.equal(rows[1]?.actor, admin.user.email);
      assert.deepEqual(JSON.parse(rows[1]?.details ?? ''), { email: 'new@example.test' });
      assert.equal(rows[6]?.tokenId, a);
      const nd = await admin.request({
        method: 'GET',
        url: `/apis/v1/audit-events?format=ndjson&tokenId=${a}`,
      });
      assert.equal(nd.statusCode, 200, said(nd));
      assert.match(String(nd.headers['content-type']), /^application\/x-ndjson/);
      const lines = nd.body
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);
      assert.deepEqual(
        lines.map((l) => l.type),
        ['token.reactivated', 'token.suspended', 'token.created'],
      );
      assert.equal(lines[0]?.tokenName, 'token A');
    });

    test('bad filters answer 400 with the field; no session answers 401', async () => {
      const { t, admin } = await seeded();
      for (const [query, field] of [
        ['type=token.nothing', 'type'],
        ['type=nothing.*', 'type'],
        ['type=*', 'type'],
        ['tokenId=abc', 'tokenId'],
        ['actorId=abc', 'actorId'],
        ['since=yesterday', 'since'],
        ['until=2026-02-30T00:00:00Z', 'until'],
        ['limit=0', 'limit'],
        ['format=xml', 'format'],
        ['order=asc', 'order'],
      ] as const) {
        const res = await admin.request({ method: 'GET', url: `/apis/v1/audit-events?${query}` });
        assert.equal(res.statusCode, 400, `${query}: ${said(res)}`);
        assert.equal(body(res, ErrorSchema).field, field, `${query}: ${said(res)}`);
      }
      const anonymous = await t.request({ method: 'GET', url: '/apis/v1/audit-events' });
      assert.equal(anonymous.statusCode, 401, said(anonymous));
    });
  });
}
