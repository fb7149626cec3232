// The permission catalogue on both databases: the two built-ins after migration, add (insert or new
// description), list in byte order, deprecate and undeprecate, nothing ever deleted, checkGrantable
// against the stored catalogue (migration.test.ts: the migration itself).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../db/db.js';
import { databaseKinds, freshDb } from '../test-support/harness.js';
import { byKey } from './rules.js';
import { PermissionService } from './service.js';

const BUILT_INS = [
  {
    key: 'core.core.files_download',
    description: 'Download files through the API',
    deprecated: false,
    builtIn: true,
  },
  { key: 'tokens.self_rotate', description: 'Rotate its own secret', deprecated: false, builtIn: true },
];

for (const kind of databaseKinds()) {
  describe(`permission catalogue (${kind})`, () => {
    let db: Db;
    let permissions: PermissionService;
    let now = new Date('2030-01-01T00:00:00.000Z');
    before(async () => {
      db = await freshDb(kind);
      permissions = new PermissionService(db, () => now);
    });
    after(() => db.close());

    test('a migrated database holds the two built-ins', async () => {
      assert.deepEqual(
        (await permissions.list()).filter((p) => p.builtIn),
        BUILT_INS,
      );
    });

    test('add inserts, then updates the description; the list is in byte order of the key', async () => {
      const first = await permissions.add('contacts.read', 'Read contacts');
      assert.deepEqual(first, {
        ok: true,
        value: {
          created: true,
          permission: {
            key: 'contacts.read',
            description: 'Read contacts',
            deprecated: false,
            builtIn: false,
          },
        },
      });
      const again = await permissions.add('contacts.read', 'Read contacts and their notes');
      assert.ok(again.ok);
      assert.equal(again.value.created, false);
      assert.equal(again.value.permission.description, 'Read contacts and their notes');
      for (const key of ['contacts_v2.read', 'contacts.a_b', 'contacts1.read', 'contacts.z'])
        assert.ok((await permissions.add(key, `The ${key} permission`)).ok);
      const keys = (await permissions.list()).map((p) => p.key);
      assert.deepEqual(keys, [...keys].sort(byKey), 'the whole list is in byte order');
      // Byte order: '.' (0x2e) < '1' (0x31) < '_' (0x5f); a linguistic collation would order them otherwise.
      assert.deepEqual(
        keys.filter((k) => k.startsWith('contacts')),
        ['contacts.a_b', 'contacts.read', 'contacts.z', 'contacts1.read', 'contacts_v2.read'],
      );
      const rows = await db.query<{ created_at: Date; changed_at: Date }>(
        "SELECT created_at, changed_at FROM permissions WHERE key = 'contacts.z'",
      );
      assert.equal(rows[0]?.created_at.toISOString(), now.toISOString(), 'times come from the clock');
    });

    test('add refuses bad keys and descriptions, naming the field, and writes nothing', async () => {
      const before = await permissions.list();
      const cases = [
        ['core.institutions.settings_api_tokens_change', 'Staff', 'key'],
        ['contacts', 'One segment', 'key'],
        ['a.b.c.d.e.f', 'Six segments', 'key'],
        ['Contacts.Read', 'Upper case', 'key'],
        ['contacts.export', '', 'description'],
        ['contacts.export', 'x'.repeat(201), 'description'],
        ['contacts.export', 'line\nbreak', 'description'],
      ] as const;
      for (const [key, description, field] of cases) {
        const result = await permissions.add(key, description);
        assert.ok(!result.ok, key);
        assert.equal(result.code, 'invalid_request');
        assert.equal(result.field, field, `${key}: ${result.message}`);
      }
      assert.deepEqual(await permissions.list(), before);
    });

    test('deprecate and undeprecate flip the flag; again changes nothing; unknown keys are not found', async () => {
      assert.ok((await permissions.add('reports.read', 'Read reports')).ok);
      now = new Date('2030-01-02T00:00:00.000Z');
      const deprecated = await permissions.deprecate('reports.read');
      assert.ok(deprecated.ok);
      assert.deepEqual(deprecated.value, {
        changed: true,
        permission: { key: 'reports.read', description: 'Read reports', deprecated: true, builtIn: false },
      });
      const twice = await permissions.deprecate('reports.read');
      assert.ok(twice.ok && !twice.value.changed && twice.value.permission.deprecated);
      const described = await permissions.add('reports.read', 'Read the reports');
      assert.ok(described.ok && described.value.permission.deprecated, 'a new description keeps deprecation');
      const back = await permissions.undeprecate('reports.read');
      assert.ok(back.ok && back.value.changed && !back.value.permission.deprecated);
      const builtIn = await permissions.deprecate('tokens.self_rotate');
      assert.ok(builtIn.ok && builtIn.value.permission.builtIn && builtIn.value.permission.deprecated);
      assert.ok((await permissions.undeprecate('tokens.self_rotate')).ok);
      const unknown = await permissions.deprecate('reports.write');
      assert.ok(!unknown.ok);
      assert.equal(unknown.code, 'not_found');
      assert.match(unknown.message, /"reports.write"/);
      const malformed = await permissions.undeprecate('Reports');
      assert.ok(!malformed.ok && malformed.code === 'invalid_request' && malformed.field === 'key');
    });

    test('two racing deprecations: both succeed, exactly one changed the flag', async () => {
      assert.ok((await permissions.add('race.flag', 'Raced')).ok);
      const results = await Promise.all([
        permissions.deprecate('race.flag'),
        permissions.deprecate('race.flag'),
      ]);
      assert.deepEqual(results.map((r) => r.ok && r.value.changed).sort(), [false, true]);
    });

    test('nothing is ever deleted or renamed, even by hand', async () => {
      assert.ok((await permissions.add('keep.me', 'Kept')).ok);
      await assert.rejects(db.query("DELETE FROM permissions WHERE key = 'keep.me'"), /never deleted/);
      await assert.rejects(
        db.query("UPDATE permissions SET key = 'keep.you' WHERE key = 'keep.me'"),
        /renamed/,
      );
      await assert.rejects(db.query('TRUNCATE permissions'), /never deleted/);
      const kept = (await permissions.list()).filter((p) => p.key.startsWith('keep.'));
      assert.deepEqual(kept, [{ key: 'keep.me', description: 'Kept', deprecated: false, builtIn: false }]);
    });

    test('checkGrantable answers the stored catalogue: unknown, deprecated-not-held, and key order', async () => {
      assert.ok((await permissions.add('grant.a', 'A')).ok);
      assert.ok((await permissions.add('grant.b', 'B')).ok);
      assert.ok((await permissions.add('grant.old', 'Old')).ok);
      assert.ok((await permissions.deprecate('grant.old')).ok);
      assert.deepEqual(await permissions.checkGrantable(['grant.b', 'core.core.files_download', 'grant.a']), {
        ok: true,
        value: ['core.core.files_download', 'grant.a', 'grant.b'],
      });
      const refused = async (keys: string[], held: string[] = []) => {
        const result = await permissions.checkGrantable(keys, held);
        assert.ok(!result.ok, JSON.stringify(keys));
        assert.equal(result.field, 'permissions');
        return result.message;
      };
      assert.match(await refused(['grant.a', 'grant.c']), /"grant.c" is not in the catalogue/);
      assert.match(await refused(['grant.old']), /deprecated/);
      assert.match(await refused(['grant.a', 'grant.a']), /twice/);
      assert.match(await refused([]), /at least one/);
      assert.match(await refused(Array.from({ length: 51 }, (_, i) => `grant.x${i}`)), /at most 50/);
      assert.match(await refused(['core.institutions.settings_api_tokens_change']), /not in the catalogue/);
      assert.deepEqual(await permissions.checkGrantable(['grant.old', 'grant.a'], ['grant.old']), {
        ok: true,
        value: ['grant.a', 'grant.old'],
      });
    });
  });
}
