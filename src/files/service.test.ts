// The file service on both databases: it picks the id, the stored name and the time (the clock's), pages
// the list 50 at a time newest first, refuses a foreign cursor, and never hands out another institution's
// file. The HTTP answers stay pinned by the route tests (bad-input, input-limits, token-auth).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEnv, databaseKinds, type Env, type Tenant } from '../test-support/harness.js';
import { FileService } from './service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const kind of databaseKinds()) {
  describe(`files service (${kind})`, () => {
    let env: Env;
    let t: Tenant;
    let other: Tenant;
    let files: FileService;
    before(async () => {
      env = await createEnv(kind);
      t = await env.tenant();
      other = await env.tenant();
      files = env.services.files;
    });
    after(() => env.close());

    const upload = (tenant: Tenant, filename: string, body = 'bytes') =>
      files.upload({
        institutionId: tenant.institution.id,
        userId: tenant.admin.id,
        filename,
        mimetype: 'text/plain',
        bytes: Buffer.from(body),
      });

    test('an upload gets a fresh id, a safe name and the clock time; the bytes come back', async () => {
      env.clock.advance(3_600_000);
      const before = env.clock().getTime();
      const stored = await upload(t, 'a/b\\c"d.txt', 'hello');
      assert.ok(stored.ok, JSON.stringify(stored));
      assert.match(stored.value.id, UUID);
      assert.equal(stored.value.name, 'a_b_c_d.txt');
      assert.equal(stored.value.size, 5);
      assert.equal(stored.value.contentType, 'text/plain');
      // The service's clock, moved an hour ahead, not the wall clock.
      const at = stored.value.createdAt.getTime();
      assert.ok(at >= before && at - before < 60_000, `${stored.value.createdAt.toISOString()}`);
      const back = await files.download(t.institution.id, stored.value.id);
      assert.equal(Buffer.from(back?.bytes ?? []).toString(), 'hello');
      assert.equal(back?.name, 'a_b_c_d.txt');
      assert.equal(await files.download(other.institution.id, stored.value.id), null);
    });

    test('an empty name is stored as "file"; a bidi character in it is refused with its field', async () => {
      const empty = await upload(t, '');
      assert.ok(empty.ok);
      assert.equal(empty.value.name, 'file');
      const bidi = await upload(t, 'invoice\u202Efdp.exe');
      assert.deepEqual(bidi.ok ? null : [bidi.code, bidi.field], ['invalid_request', 'filename']);
    });

    test('the list pages 50 at a time, newest first, and refuses a cursor it did not make', async () => {
      const tenant = await env.tenant();
      for (let i = 0; i < 52; i++) {
        env.clock.advance(1000);
        assert.ok((await upload(tenant, `f${i}.txt`)).ok);
      }
      const first = await files.list(tenant.institution.id, undefined);
      assert.ok(first.ok);
      assert.equal(first.value.items.length, 50);
      assert.equal(first.value.items[0]?.name, 'f51.txt');
      assert.ok(first.value.nextCursor);
      const second = await files.list(tenant.institution.id, first.value.nextCursor);
      assert.ok(second.ok);
      assert.deepEqual(
        second.value.items.map((f) => f.name),
        ['f1.txt', 'f0.txt'],
      );
      assert.equal(second.value.nextCursor, null);
      const foreign = await files.list(tenant.institution.id, 'not-a-cursor');
      assert.deepEqual(foreign.ok ? null : [foreign.code, foreign.field], ['invalid_request', 'cursor']);
      const elsewhere = await files.list(other.institution.id, undefined);
      assert.ok(elsewhere.ok);
      assert.equal(elsewhere.value.items.length, 0);
    });
  });
}
