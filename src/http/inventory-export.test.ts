// The token export (SPEC 12) as an auditor gets it: GET /apis/v1/api-tokens/export as CSV parsed back
// with a real CSV parser (csv-parse) to the same tokens as the list, formula cells prefixed, NDJSON
// lines that parse, the list's filters and sort kept, limit and cursor ignored, never a secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { body, ErrorSchema, TokenPage } from '../test-support/answers.js';
import { type Agent, createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';

for (const kind of databaseKinds()) {
  describe(`the token export (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());

    const exported = async (admin: Agent, query: string) => {
      const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/export?${query}` });
      assert.equal(res.statusCode, 200, said(res));
      return res;
    };
    const csv = (text: string) => parse<Record<string, string>>(text, { columns: true });

    test('CSV parses back to the list’s tokens, users as email, lists joined, formulas defused', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const made = [
        await admin.createToken({ name: '=HYPERLINK("https://evil.example","click")', issuedFor: 'crm' }),
        await admin.createToken({
          name: 'plain, with "quotes"\u00e9',
          description: '+1 line',
          allowedIps: ['10.0.0.0/8', '192.168.1.0/24'],
        }),
        await admin.createToken({ name: '@mention', description: '-minus' }),
      ];
      const res = await exported(admin, 'format=csv');
      assert.match(String(res.headers['content-type']), /^text\/csv/);
      assert.match(
        String(res.headers['content-disposition']),
        /^attachment; filename="api-tokens-\d{4}-\d\d-\d\d\.csv"$/,
      );
      for (const { secret } of made)
        assert.ok(!res.body.includes(secret.slice(-20)), 'no secret in the file');
      assert.ok(res.body.endsWith('\r\n'));
      const rows = csv(res.body);
      const list = body(await admin.request({ method: 'GET', url: '/apis/v1/api-tokens' }), TokenPage).items;
      assert.deepEqual(
        rows.map((r) => r.id),
        list.map((t) => t.id),
      );
      const byName = new Map(rows.map((r) => [r.id, r]));
      const first = byName.get(made[0]!.token.id)!;
      assert.equal(first.name, `'=HYPERLINK("https://evil.example","click")`);
      assert.equal(first.issuedFor, 'crm');
      assert.equal(first.createdBy, admin.user.email);
      assert.equal(first.permissions, 'core.core.files_download');
      assert.equal(first.expiresAt, '');
      const second = byName.get(made[1]!.token.id)!;
      assert.equal(second.name, 'plain, with "quotes"\u00e9');
      assert.equal(second.description, `'+1 line`);
      assert.equal(second.allowedIps, '10.0.0.0/8;192.168.1.0/24');
      const third = byName.get(made[2]!.token.id)!;
      assert.equal(third.name, `'@mention`);
      assert.equal(third.description, `'-minus`);
      assert.equal(third.state, 'active');
      assert.equal(third.display, made[2]!.token.display);
      assert.ok(Object.keys(first).includes('compromisedAt'));
    });

    test('NDJSON lines parse, without formula prefixes; filters and sort kept, limit and cursor ignored', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++)
        ids.push((await admin.createToken({ name: `=n${i}`, issuedFor: i % 2 ? 'odd' : 'even' })).token.id);
      const res = await exported(admin, 'format=ndjson&issuedFor=EVEN&sort=createdAt&order=asc&limit=1');
      assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
      assert.match(String(res.headers['content-disposition']), /^attachment; filename=".*\.ndjson"$/);
      const lines = res.body
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);
      assert.deepEqual(
        lines.map((l) => l.id),
        [ids[0], ids[2], ids[4], ids[6]],
      );
      assert.equal(lines[0]!.name, '=n0');
      assert.equal(lines[0]!.createdBy, admin.user.email);
      const page = await admin.request({ method: 'GET', url: '/apis/v1/api-tokens?limit=1' });
      const cursor = body(page, TokenPage).nextCursor!;
      const all = await exported(admin, `format=csv&cursor=${cursor}`);
      assert.equal(csv(all.body).length, 7);
    });

    test('an export of more than one internal page holds every token once, in order', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      await env.db.query(
        `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, permissions, created_at, expiry_set_at, state)
         SELECT gen_random_uuid(), $1::uuid, 'h' || $1::text || g, 'sk-bulk... xyz', 'bulk ' || g, '{core.core.files_download}',
           now() - g * interval '1 second', now(), 'active'
         FROM generate_series(1, 1203) AS g`,
        [t.institution.id],
      );
      const rows = csv((await exported(admin, 'format=csv&sort=createdAt&order=desc')).body);
      assert.equal(rows.length, 1203);
      assert.equal(new Set(rows.map((r) => r.id)).size, 1203);
      assert.deepEqual(
        rows.slice(0, 3).map((r) => r.name),
        ['bulk 1', 'bulk 2', 'bulk 3'],
      );
      assert.equal(rows[1202]!.name, 'bulk 1203');
    });

    test('bad input answers 400 with the field; another institution’s tokens are not in it', async () => {
      const t = await env.tenant();
      const other = await env.tenant();
      const admin = await t.adminAgent();
      await (await other.adminAgent()).createToken({ name: 'theirs' });
      await admin.createToken({ name: 'ours' });
      const rows = csv((await exported(admin, 'format=csv')).body);
      assert.deepEqual(
        rows.map((r) => r.name),
        ['ours'],
      );
      for (const [query, field] of [
        ['', 'format'],
        ['format=xlsx', 'format'],
        ['format=csv&noExpiry=maybe', 'noExpiry'],
        ['format=csv&expiresBefore=soon', 'expiresBefore'],
        ['format=csv&secret=1', 'secret'],
      ] as const) {
        const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/export?${query}` });
        assert.equal(res.statusCode, 400, `${query}: ${said(res)}`);
        assert.equal(body(res, ErrorSchema).field, field, `${query}: ${said(res)}`);
      }
      const anonymous = await t.request({ method: 'GET', url: '/apis/v1/api-tokens/export?format=csv' });
      assert.equal(anonymous.statusCode, 401, said(anonymous));
    });
  });
}
