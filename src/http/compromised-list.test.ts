// The list's compromised filter (SPEC 12): tokens whose current secret was reported through the real
// POST /apis/v1/leaks, not those of a previous secret or a rotated one; bound into the cursor; bad values
// answer 400 with the field.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { body, ErrorSchema, TokenPage } from '../test-support/answers.js';
import { type Agent, createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';

for (const kind of databaseKinds()) {
  describe(`the compromised list filter (${kind})`, () => {
    let env: Env;
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink();
      env = await createEnv(kind, {
        smtpUrl: sink.url,
        mailFrom: 'tokend <tokend@example.test>',
        publicUrl: 'https://tokend.example.test',
        leakReportLimit: 10_000,
      });
    });
    after(async () => {
      await env.close();
      await sink.stop();
    });

    const report = async (secret: string) => {
      const res = await env.app.inject({
        method: 'POST',
        url: '/apis/v1/leaks',
        payload: { tokens: [secret], url: 'https://github.com/acme/site/blob/main/.env', source: 'github' },
      });
      assert.equal(res.statusCode, 202, said(res));
    };
    const list = async (admin: Agent, query: string) => {
      const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?${query}` });
      assert.equal(res.statusCode, 200, said(res));
      return body(res, TokenPage);
    };
    const names = (page: { items: { name: string }[] }) => page.items.map((t) => t.name).sort();

    test('compromised=true lists the tokens whose current secret was reported; false the others', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const leaked = await admin.createToken({ name: 'leaked' });
      const other = await admin.createToken({ name: 'leaked too' });
      await admin.createToken({ name: 'clean' });
      const rotated = await admin.createToken({ name: 'rotated after' });
      await report(leaked.secret);
      await report(other.secret);
      await report(rotated.secret);
      const rotation = await admin.request({
        method: 'POST',
        url: `/apis/v1/api-tokens/${rotated.token.id}/rotate`,
        payload: {},
      });
      assert.equal(rotation.statusCode, 200, said(rotation));

      const page = await list(admin, 'compromised=true');
      assert.deepEqual(names(page), ['leaked', 'leaked too']);
      assert.ok(page.items.every((item) => item.compromisedAt !== null));
      assert.deepEqual(names(await list(admin, 'compromised=false')), ['clean', 'rotated after']);
      assert.deepEqual(names(await list(admin, 'compromised=true&state=active')), []);
      assert.equal((await list(admin, '')).items.length, 4);
    });

    test('the filter binds the cursor, and anything but true or false is refused', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      for (const name of ['one', 'two', 'three']) await report((await admin.createToken({ name })).secret);
      const first = await list(admin, 'compromised=true&limit=2');
      assert.equal(first.items.length, 2);
      assert.ok(first.nextCursor);
      const rest = await list(admin, `compromised=true&limit=2&cursor=${first.nextCursor}`);
      assert.deepEqual(names({ items: [...first.items, ...rest.items] }), ['one', 'three', 'two']);
      assert.equal(rest.nextCursor, null);

      const misuse = await admin.request({
        method: 'GET',
        url: `/apis/v1/api-tokens?limit=2&cursor=${first.nextCursor}`,
      });
      assert.equal(misuse.statusCode, 400, said(misuse));
      assert.equal(body(misuse, ErrorSchema).field, 'cursor');
      for (const value of ['yes', '1', '', 'TRUE']) {
        const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?compromised=${value}` });
        assert.equal(res.statusCode, 400, said(res));
        const error = body(res, ErrorSchema);
        assert.equal(error.error, 'invalid_request');
        assert.equal(error.field, 'compromised', said(res));
      }
    });
  });
}
