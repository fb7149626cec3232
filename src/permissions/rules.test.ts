// The catalogue's pure rules: which keys and descriptions are accepted, and which lists of keys a token
// may be granted, with the field and message a caller shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { byKey, checkDescription, checkKey, grantable } from './rules.js';

describe('permission keys', () => {
  test('2 to 5 segments of [a-z][a-z0-9_]*, at most 100 characters', () => {
    for (const key of ['contacts.read', 'a.b', 'crm.contacts_v2.read', 'a.b.c.d.e', `a.${'b'.repeat(98)}`])
      assert.deepEqual(checkKey(key), { ok: true, value: key });
    for (const key of [
      'contacts',
      'a.b.c.d.e.f',
      'Contacts.read',
      'contacts..read',
      '.contacts.read',
      'contacts.read.',
      '1contacts.read',
      'contacts._read',
      'contacts.re-ad',
      'contacts.read ',
      '',
      `a.${'b'.repeat(99)}`,
      'contacts.r\u0000d',
    ]) {
      const checked = checkKey(key);
      assert.equal(checked.ok, false, key);
      assert.equal(!checked.ok && checked.field, 'key');
      assert.equal(!checked.ok && checked.code, 'invalid_request');
    }
  });

  test('the staff features prefix core.institutions. is reserved', () => {
    for (const key of [
      'core.institutions.settings_api_tokens_change',
      'core.institutions.x',
      'core.institutions',
    ]) {
      const checked = checkKey(key);
      assert.ok(!checked.ok && /reserved for staff features/.test(checked.message), key);
    }
    assert.ok(checkKey('core.institution.x').ok);
    assert.ok(checkKey('core.core.files_download').ok);
  });

  test('a refused key is echoed without its control characters', () => {
    const checked = checkKey('bad\u001b[2Jkey');
    assert.ok(!checked.ok);
    assert.ok(!checked.message.includes('\u001b'), checked.message);
    assert.match(checked.message, /"bad\?\[2Jkey"/);
  });

  test('keys sort by their bytes', () => {
    assert.deepEqual(['b.a', 'a_b.c', 'a.z', 'a1.b'].sort(byKey), ['a.z', 'a1.b', 'a_b.c', 'b.a']);
  });
});

describe('permission descriptions', () => {
  test('one line of 1 to 200 characters, trimmed', () => {
    assert.deepEqual(checkDescription('  Read contacts '), { ok: true, value: 'Read contacts' });
    assert.ok(checkDescription('é'.repeat(200)).ok);
    assert.ok(checkDescription('😀'.repeat(200)).ok, 'characters are code points, not UTF-16 units');
    for (const [description, message] of [
      ['', /required/],
      ['   ', /required/],
      ['x'.repeat(201), /at most 200/],
      ['two\nlines', /one line/],
      ['tab\there', /one line/],
      ['nul\u0000', /one line/],
      ['lone \ud800 half', /one line/],
    ] as const) {
      const checked = checkDescription(description);
      assert.ok(!checked.ok, JSON.stringify(description));
      assert.equal(checked.field, 'description');
      assert.match(checked.message, message);
    }
  });
});

describe('grantable permissions', () => {
  const catalogue = new Map([
    ['core.core.files_download', { deprecated: false }],
    ['contacts.read', { deprecated: false }],
    ['contacts.write', { deprecated: true }],
    ...Array.from({ length: 60 }, (_, i) => [`bulk.p${i}`, { deprecated: false }] as const),
  ]);
  const refused = (keys: string[], held: string[] = []) => {
    const result = grantable(keys, catalogue, held);
    assert.ok(!result.ok, `granted ${JSON.stringify(keys)}`);
    assert.equal(result.code, 'invalid_request');
    assert.equal(result.field, 'permissions');
    return result.message;
  };

  test('known keys are granted in key order', () => {
    assert.deepEqual(grantable(['core.core.files_download', 'contacts.read'], catalogue, []), {
      ok: true,
      value: ['contacts.read', 'core.core.files_download'],
    });
  });

  test('unknown, duplicated, empty and more than 50 are refused', () => {
    assert.match(refused(['contacts.read', 'contacts.delete']), /"contacts.delete" is not in the catalogue/);
    assert.match(refused(['contacts.read', 'contacts.read']), /"contacts.read" is given twice/);
    assert.match(refused([]), /at least one/);
    const fifty = Array.from({ length: 50 }, (_, i) => `bulk.p${i}`);
    assert.equal(grantable(fifty, catalogue, []).ok, true);
    assert.match(refused([...fifty, 'bulk.p50']), /at most 50/);
  });

  test('a deprecated key is refused anew but may stay on a token that holds it', () => {
    assert.match(refused(['contacts.write']), /deprecated/);
    assert.match(refused(['contacts.write'], ['contacts.read']), /deprecated/);
    assert.deepEqual(grantable(['contacts.write', 'contacts.read'], catalogue, ['contacts.write']), {
      ok: true,
      value: ['contacts.read', 'contacts.write'],
    });
  });
});
