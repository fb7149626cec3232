// The token format's contract: SPEC section 1's vectors, then properties over random names, bytes
// and hostile input. parseToken sits in front of every request, so "never throws, null for junk"
// is checked as hard as "every token we make parses".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import {
  checksum,
  crc32,
  displayToken,
  encodeBase62,
  formatToken,
  generateToken,
  hashToken,
  isTokenShaped,
  isWellFormed,
  parseToken,
  slugify,
  TOKEN_PATTERN,
} from './token.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RUNS = { numRuns: 1000 };
const ZERO = new Uint8Array(32);
const ONES = new Uint8Array(32).fill(0xff);
const COUNTING = Uint8Array.from({ length: 32 }, (_, i) => i);
const HUBSPOT = 'sk-hubspot-integration-003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf3kBeUr';

// UTF-16 code units, so lone surrogates show up too (fast-check's 'binary' unit avoids them).
const codeUnits = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });
const words = fc.array(fc.stringMatching(/^[A-Za-z0-9]{1,12}$/), { maxLength: 8 }).map((w) => w.join(' '));
const names = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  codeUnits(200),
  words,
);
const secretBytes = fc.uint8Array({ minLength: 32, maxLength: 32 });

function decodeBase62(s: string): bigint {
  let n = 0n;
  for (const c of s) n = n * 62n + BigInt(ALPHABET.indexOf(c));
  return n;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

test('the test vectors of SPEC section 1', () => {
  assert.equal(formatToken(ZERO, ''), 'sk-00000000000000000000000000000000000000000003P9rQy');
  assert.equal(formatToken(ONES, ''), 'sk-yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp10KxnhU');
  assert.equal(formatToken(COUNTING, 'hubspot-integration'), HUBSPOT);
  assert.equal(generateToken('HubSpot integration', () => COUNTING).token, HUBSPOT);
  assert.deepEqual(parseToken(HUBSPOT), {
    token: HUBSPOT,
    slug: 'hubspot-integration',
    secret: '003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf',
    checksum: '3kBeUr',
  });
  assert.equal(parseToken(formatToken(ZERO, ''))?.slug, null);
});

test('slug examples', () => {
  assert.equal(slugify('集成'), '');
  assert.equal(slugify('HubSpot integration'), 'hubspot-integration');
  assert.equal(slugify('  Crème Brûlée — Ⅻ ﬁles!! '), 'creme-brulee-xii-files');
  assert.equal(slugify('a'.repeat(30)), 'a'.repeat(24));
  assert.equal(slugify('Nightly reporting job for finance'), 'nightly-reporting-job');
  assert.equal(slugify(`${'b'.repeat(10)} ${'c'.repeat(13)} d`), 'b'.repeat(10)); // the last '-' within 24 is at 10
  assert.equal(slugify(`${'b'.repeat(10)} ${'c'.repeat(14)} d`), 'b'.repeat(10));
  assert.equal(generateToken('集成', () => ZERO).token, formatToken(ZERO, ''));
});

test("a slug that starts like another vendor's key gets key- in front", () => {
  assert.equal(slugify('Admin tools'), 'key-admin-tools');
  assert.equal(slugify('ant'), 'key-ant');
  assert.equal(slugify('ANT'), 'key-ant');
  assert.equal(slugify('proj-x'), 'key-proj-x');
  assert.equal(slugify('SvcAcct: nightly'), 'key-svcacct-nightly');
  assert.equal(slugify('  Proj!! '), 'key-proj');
  // Only a whole first segment counts.
  assert.equal(slugify('antelope'), 'antelope');
  assert.equal(slugify('projects'), 'projects');
  assert.equal(slugify('my admin'), 'my-admin');
  assert.equal(slugify('key admin'), 'key-admin');
  // key- counts toward the 24: the name is cut, prefixed, then cut again by the same rule.
  assert.equal(slugify('Admin tools for finance x'), 'key-admin-tools-for');
  assert.equal(slugify(`proj ${'a'.repeat(19)}`), 'key-proj');
  assert.equal(slugify(`ant-${'b'.repeat(30)}`), 'key-ant');
  assert.equal(slugify('admin-tools-for-finance'), 'key-admin-tools-for');
  assert.equal(slugify('admin tools finance'), 'key-admin-tools-finance');
  // New tokens and rotations both mint through generateToken.
  const made = generateToken('Admin tools', () => COUNTING);
  assert.equal(made.token, formatToken(COUNTING, 'key-admin-tools'));
  assert.ok(made.token.startsWith('sk-key-admin-tools-'));
  assert.equal(parseToken(made.token)?.slug, 'key-admin-tools');
  // A token minted before the rule keeps parsing: the format accepts any slug.
  assert.equal(parseToken(formatToken(COUNTING, 'admin-tools'))?.slug, 'admin-tools');
});

test('every slug, vendor-like names included, fits in 24 chars and in the scanning pattern', () => {
  const vendorish = fc
    .tuple(
      fc.constantFrom('proj', 'svcacct', 'admin', 'ant', 'Admin', 'ANT', 'Proj', 'ante', 'key'),
      fc.constantFrom('', ' ', '-', '_', ': ', '—'),
      names,
    )
    .map(([head, sep, rest]) => head + sep + rest);
  fc.assert(
    fc.property(fc.oneof(names, vendorish), secretBytes, (name, bytes) => {
      const slug = slugify(name);
      assert.ok(slug.length <= 24, slug);
      assert.match(slug, /^([a-z0-9]+(-[a-z0-9]+)*)?$/);
      assert.ok(!['proj', 'svcacct', 'admin', 'ant'].includes(slug.split('-')[0]!), slug);
      assert.equal(slugify(slug), slug);
      const { token } = generateToken(name, () => bytes);
      assert.ok(TOKEN_PATTERN.test(token), token);
      assert.equal(token.match(new RegExp(TOKEN_PATTERN.source, 'g'))?.[0], token);
      assert.ok(isWellFormed(token));
    }),
    RUNS,
  );
});

test('display shows the first 14 and last 3 characters', () => {
  assert.equal(displayToken(HUBSPOT), 'sk-hubspot-int... eUr');
  const { token, display } = generateToken('HubSpot integration');
  assert.match(display, /^sk-hubspot-int\.\.\. [0-9A-Za-z]{3}$/);
  assert.equal(display, `${token.slice(0, 14)}... ${token.slice(-3)}`);
});

test('every generated token parses, matches the pattern and hashes to 64 hex chars', () => {
  fc.assert(
    fc.property(names, secretBytes, (name, bytes) => {
      const made = generateToken(name, () => bytes);
      const parsed = parseToken(made.token);
      assert.ok(parsed, made.token);
      assert.equal(parsed.token, made.token);
      assert.equal(parsed.slug, slugify(name) || null);
      assert.equal(parsed.secret.length, 43);
      assert.equal(decodeBase62(parsed.secret), bytesToBigInt(bytes));
      assert.equal(parsed.checksum, checksum(made.token.slice(0, -6)));
      assert.ok(TOKEN_PATTERN.test(made.token));
      assert.ok(isTokenShaped(made.token));
      assert.ok(new RegExp(TOKEN_PATTERN.source, 'g').test(`see "${made.token}", line 3`));
      assert.match(made.hash, /^[0-9a-f]{64}$/);
      assert.equal(made.hash, hashToken(made.token));
      assert.equal(made.display, displayToken(made.token));
    }),
    RUNS,
  );
});

test('the default generator draws fresh secrets', () => {
  const a = generateToken('x');
  const b = generateToken('x');
  assert.notEqual(a.token, b.token);
  assert.ok(parseToken(a.token));
  assert.throws(() => generateToken('x', () => new Uint8Array(16)));
});

test('any single-character substitution is rejected', () => {
  const substitution = fc.record({
    name: names,
    bytes: secretBytes,
    at: fc.nat(),
    pick: fc.integer({ min: 0, max: ALPHABET.length }),
  });
  fc.assert(
    fc.property(substitution, ({ name, bytes, at, pick }) => {
      const token = generateToken(name, () => bytes).token;
      const i = at % token.length;
      const chars = `${ALPHABET}-`;
      let c = chars[pick]!;
      if (c === token[i]) c = chars[(pick + 1) % chars.length]!;
      const changed = token.slice(0, i) + c + token.slice(i + 1);
      assert.equal(parseToken(changed), null, `${token} -> ${changed}`);
    }),
    RUNS,
  );
});

test("the CRC-32 of ASCII text is zlib's", () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary-ascii', maxLength: 200 }), (s) => {
      assert.equal(crc32(s), zlibCrc32(s));
      assert.equal(crc32(s, Math.floor(s.length / 2)), zlibCrc32(s.slice(0, Math.floor(s.length / 2))));
    }),
    RUNS,
  );
});

test('the allocation-free checksum test agrees with comparing the checksum strings', () => {
  // Token-shaped strings whose last six characters are random: almost all have a wrong checksum.
  const shaped = fc
    .record({
      slug: fc.stringMatching(/^([a-z0-9]{1,8}-){0,2}$/),
      body: fc.stringMatching(/^[0-9A-Za-z]{49}$/),
    })
    .map(({ slug, body }) => `sk-${slug}${body}`);
  const withRightSum = shaped.map((s) => s.slice(0, -6) + checksum(s.slice(0, -6)));
  fc.assert(
    fc.property(fc.oneof(shaped, withRightSum), (s) => {
      const expected = checksum(s.slice(0, -6)) === s.slice(-6);
      assert.equal(isWellFormed(s), expected, s);
      assert.equal(parseToken(s) !== null, expected, s);
    }),
    RUNS,
  );
});

test('slugs of arbitrary names are short, well-formed and stable', () => {
  fc.assert(
    fc.property(names, (name) => {
      const slug = slugify(name);
      assert.match(slug, /^([a-z0-9]+(-[a-z0-9]+)*)?$/);
      assert.ok(slug.length <= 24);
      assert.equal(slugify(slug), slug);
    }),
    RUNS,
  );
});

test('parseToken never throws and returns null for anything not token-shaped', () => {
  const junk = fc.oneof(
    fc.string({ maxLength: 10_000 }),
    fc.string({ unit: 'binary', maxLength: 10_000 }),
    fc.string({ unit: 'grapheme', maxLength: 2_000 }),
    codeUnits(10_000),
    fc.stringMatching(/^sk-([a-z0-9-]{0,30})?[0-9A-Za-z]{47,51}$/),
  );
  fc.assert(
    fc.property(junk, (s) => {
      const parsed = parseToken(s);
      if (!isTokenShaped(s)) assert.equal(parsed, null);
      if (parsed) assert.equal(parsed.checksum, checksum(s.slice(0, -6)));
    }),
    RUNS,
  );
  assert.equal(parseToken('x'.repeat(5_000_000)), null);
  assert.equal(parseToken(`sk-${'\ud800'.repeat(49)}`), null);
  assert.equal(parseToken(`${HUBSPOT} `), null);
  assert.equal(parseToken(`sk-${'a'.repeat(80)}-${HUBSPOT.slice(-49)}`), null);
  assert.equal(parseToken(undefined as unknown as string), null);
});

test('base62 is big-endian, zero-padded and round-trips', () => {
  assert.equal(encodeBase62(0n, 3), '000');
  assert.equal(encodeBase62(61n, 1), 'z');
  assert.equal(encodeBase62(62n, 1), '10');
  assert.equal(encodeBase62(Uint8Array.of(1, 0), 4), '0048');
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (n) => {
      const s = encodeBase62(n, 43);
      assert.equal(s.length, 43);
      assert.equal(decodeBase62(s), n);
    }),
    RUNS,
  );
});
