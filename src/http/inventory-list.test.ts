// The list's inventory filters and sort (SPEC 12) through GET /apis/v1/api-tokens, on a seeded set whose
// answers are known: each filter alone, combined, with the sort by last use (never used last in both
// orders) paged by its cursor, and every bad value refused with its field.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { body, ErrorSchema, TokenPage } from '../test-support/answers.js';
import {
  type Agent,
  createEnv,
  databaseKinds,
  type Env,
  said,
  TOKENS_FEATURE,
} from '../test-support/harness.js';

const DAY = 86_400_000;

for (const kind of databaseKinds()) {
  describe(`the list's inventory filters (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
      assert.ok((await env.services.permissions.add('contacts.read', 'Read contacts')).ok);
    });
    after(() => env.close());

    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    const ahead = (days: number) => new Date(Date.now() + days * DAY).toISOString();

    /**
     * Four tokens: a (expires in 30 days, never used, network rule), b (no expiry, used 10 days ago,
     * by the staff user, contacts.read), c (expires in 365 days, created 100 days ago, used a day ago,
     * suspended), d (no expiry, never used, created 200 days ago, reported leaked).
     */
    async function seeded() {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const staff = await t.user('staff', [TOKENS_FEATURE]);
      const a = await admin.createToken({ name: 'a', expiresInDays: 30, allowedIps: ['10.0.0.0/8'] });
      const b = await staff.createToken({ name: 'b', permissions: ['contacts.read'] });
      const c = await admin.createToken({ name: 'c', expiresInDays: 365 });
      const d = await admin.createToken({ name: 'd' });
      const set = (id: string, sql: string, values: unknown[]) =>
        env.db.query(`UPDATE api_tokens SET ${sql} WHERE id = $1`, [id, ...values]);
      await set(b.token.id, 'last_used_at = $2', [ago(10)]);
      await set(c.token.id, 'created_at = $2, last_used_at = $3', [ago(100), ago(1)]);
      await set(d.token.id, 'created_at = $2, compromised_at = $3', [ago(200), ago(3)]);
      const suspended = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${c.token.id}/suspend`,
        payload: {},
      });
      assert.equal(suspended.statusCode, 200, said(suspended));
      return { admin, staff, ids: { a: a.token.id, b: b.token.id, c: c.token.id, d: d.token.id } };
    }

    const list = async (admin: Agent, query: string) => {
      const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?${query}` });
      assert.equal(res.statusCode, 200, said(res));
      return body(res, TokenPage);
    };
    const names = async (admin: Agent, query: string) =>
      (await list(admin, query)).items
        .map((t) => t.name)
        .sort()
        .join(',');

    test('each filter alone', async () => {
      const { admin, staff } = await seeded();
      const q = (query: string) => names(admin, query);
      assert.equal(await q(''), 'a,b,c,d');
      assert.equal(await q(`expiresBefore=${ahead(60)}`), 'a');
      assert.equal(await q(`expiresBefore=${ahead(400)}`), 'a,c');
      assert.equal(await q('noExpiry=true'), 'b,d');
      assert.equal(await q('noExpiry=false'), 'a,c');
      assert.equal(await q(`lastUsedBefore=${ago(5)}`), 'b,d');
      assert.equal(await q(`lastUsedBefore=${ago(150)}`), 'd');
      assert.equal(await q('neverUsed=true'), 'a,d');
      assert.equal(await q('neverUsed=false'), 'b,c');
      assert.equal(await q(`createdBy=${staff.user.id}`), 'b');
      assert.equal(await q(`createdBy=${admin.user.id}`), 'a,c,d');
      assert.equal(await q('permission=contacts.read'), 'b');
      assert.equal(await q('permission=contacts.read&permission=core.core.files_download'), 'a,b,c,d');
      assert.equal(await q('ipRestricted=true'), 'a');
      assert.equal(await q('ipRestricted=false'), 'b,c,d');
      assert.equal(await q('compromised=true'), 'd');
      assert.equal(await q('issuedFor=nothing'), '');
    });

    test('filters combine: every one must hold', async () => {
      const { admin, staff } = await seeded();
      const q = (query: string) => names(admin, query);
      assert.equal(await q('noExpiry=true&neverUsed=true'), 'd');
      assert.equal(await q('noExpiry=true&neverUsed=false'), 'b');
      assert.equal(await q(`state=active&lastUsedBefore=${ago(5)}`), 'b,d');
      assert.equal(await q(`state=suspended&expiresBefore=${ahead(400)}`), 'c');
      assert.equal(await q('ipRestricted=false&neverUsed=true&compromised=false'), '');
      assert.equal(await q(`createdBy=${staff.user.id}&noExpiry=false`), '');
      assert.equal(await q(`createdBy=${admin.user.id}&neverUsed=true&ipRestricted=false`), 'd');
    });

    test('sort=lastUsedAt puts never-used tokens last in both orders, ties by id, and pages by cursor', async () => {
      const { admin, ids } = await seeded();
      const byId = [ids.a, ids.d].sort();
      const order = async (query: string) => (await list(admin, query)).items.map((t) => t.id);
      assert.deepEqual(await order('sort=lastUsedAt'), [ids.c, ids.b, ...[...byId].reverse()]);
      assert.deepEqual(await order('sort=lastUsedAt&order=desc'), [ids.c, ids.b, ...[...byId].reverse()]);
      assert.deepEqual(await order('sort=lastUsedAt&order=asc'), [ids.b, ids.c, ...byId]);
      for (const dir of ['asc', 'desc']) {
        const whole = await order(`sort=lastUsedAt&order=${dir}`);
        const paged: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await list(
            admin,
            `sort=lastUsedAt&order=${dir}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          );
          paged.push(...page.items.map((t) => t.id));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(paged, whole, dir);
      }
      // Combined with a filter, by the other sorts too.
      assert.deepEqual(await order('sort=lastUsedAt&order=asc&neverUsed=false'), [ids.b, ids.c]);
      assert.deepEqual(await order('sort=expiresAt&order=asc&noExpiry=false'), [ids.a, ids.c]);
      assert.deepEqual(await order('sort=createdAt&order=asc&neverUsed=true'), [ids.d, ids.a]);
    });

    test('a filter binds the cursor', async () => {
      const { admin } = await seeded();
      const first = await list(admin, 'neverUsed=true&limit=1');
      assert.ok(first.nextCursor);
      const misuse = await admin.request({
        method: 'GET',
        url: `/apis/v1/api-tokens?neverUsed=false&limit=1&cursor=${first.nextCursor}`,
      });
      assert.equal(misuse.statusCode, 400, said(misuse));
      assert.equal(body(misuse, ErrorSchema).field, 'cursor');
    });

    test('bad values answer 400 with the field; unknown parameters are refused', async () => {
      const { admin } = await seeded();
      const cases: [string, string][] = [
        ['expiresBefore=tomorrow', 'expiresBefore'],
        ['expiresBefore=2026-13-01T00:00:00Z', 'expiresBefore'],
        ['expiresBefore=2026-01-01T00:00:00', 'expiresBefore'],
        ['expiresBefore=2026-02-30T00:00:00Z', 'expiresBefore'],
        ['lastUsedBefore=yesterday', 'lastUsedBefore'],
        ['noExpiry=yes', 'noExpiry'],
        ['neverUsed=1', 'neverUsed'],
        ['ipRestricted=TRUE', 'ipRestricted'],
        ['compromised=', 'compromised'],
        ['createdBy=someone', 'createdBy'],
        ['sort=name', 'sort'],
        ['permission=Not%20a%20key', 'permission'],
        ['lastUsed=2026-01-01T00:00:00Z', 'lastUsed'],
      ];
      for (const [query, field] of cases) {
        const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?${query}` });
        assert.equal(res.statusCode, 400, `${query}: ${said(res)}`);
        const error = body(res, ErrorSchema);
        assert.equal(error.error, 'invalid_request');
        assert.equal(error.field, field, `${query}: ${said(res)}`);
      }
    });
  });
}
