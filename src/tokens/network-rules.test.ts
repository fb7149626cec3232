// Network rules, pure: allowedIps in canonical form, the refusals SPEC 8 names (with the field), and the
// compiled matcher. Properties: the canonical form is a fixed point; a rule built from any range admits
// every address in it and refuses the ones just outside; an IPv4 address and its IPv4-mapped IPv6 form
// always get the same answer. Addresses in the properties are written by the test's own plain formatter.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalNetwork, compileNetworkRule, parseAllowedIps } from './network-rules.js';

const v4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 0xffn).toString()).join('.');
// Eight full groups, no compression: what any parser reads, unlike the module's RFC 5952 output.
const v6 = (n: bigint) =>
  Array.from({ length: 8 }, (_, i) =>
    ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, '0'),
  ).join(':');

const canonical = (entry: string) => {
  const result = canonicalNetwork(entry);
  assert.ok(result.ok, `${entry}: ${result.ok ? '' : result.message}`);
  return result.value;
};
const refused = (entries: string[]) => {
  const result = parseAllowedIps(entries);
  assert.ok(!result.ok, `accepted ${JSON.stringify(entries)}`);
  assert.equal(result.code, 'invalid_request');
  assert.equal(result.field, 'allowedIps');
  return result.message;
};
const rule = (entries: string[]) => {
  const parsed = parseAllowedIps(entries);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return compileNetworkRule(parsed.value);
};

describe('allowedIps', () => {
  test('networks are stored in canonical form', () => {
    const cases: [string, string][] = [
      ['198.51.100.7/24', '198.51.100.0/24'],
      ['203.0.113.7', '203.0.113.7/32'],
      ['2001:DB8::/48', '2001:db8::/48'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
      ['2001:0db8:0000:0000:0000:0000:0002:0001/127', '2001:db8::2:0/127'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3/128'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1/128'],
      ['::1', '::1/128'],
      ['fe80::1/10', 'fe80::/10'],
      ['::ffff:203.0.113.7', '203.0.113.7/32'],
      ['::ffff:c633:6407/120', '198.51.100.0/24'],
      [' 10.0.0.1 ', '10.0.0.1/32'],
    ];
    for (const [entry, stored] of cases) assert.equal(canonical(entry), stored, entry);
    assert.deepEqual(parseAllowedIps(['10.1.0.0/16', '10.0.0.0/8', '10.1.2.3']), {
      ok: true,
      value: ['10.1.0.0/16', '10.0.0.0/8', '10.1.2.3/32'],
    });
    assert.deepEqual(parseAllowedIps(null), { ok: true, value: [] });
    assert.deepEqual(parseAllowedIps([]), { ok: true, value: [] });
  });

  test('prefix length 0, zone ids, unparsable entries, duplicates and more than 50 are refused', () => {
    for (const everything of ['0.0.0.0/0', '::/0', '198.51.100.7/0', '::ffff:0:0/96'])
      assert.match(refused([everything]), /leave it empty to allow any address/, everything);
    assert.match(refused(['fe80::1%eth0']), /zone ids/);
    assert.match(refused(['fe80::1%25eth0/64']), /zone ids/);
    for (const bad of [
      'garbage',
      '1.2.3',
      '010.0.0.1',
      '1.2.3.4/',
      '1.2.3.4/024',
      '1.2.3.4/8/1',
      '[::1]',
      '',
      '1.2.3.4:80',
    ])
      assert.match(refused([bad]), /is not an IPv4 or IPv6 address or CIDR range/, bad);
    assert.match(refused(['1.2.3.4/33']), /prefix length is 1 to 32/);
    assert.match(refused(['::1/129']), /prefix length is 1 to 128/);
    assert.match(refused(['198.51.100.7/24', '198.51.100.0/24']), /198\.51\.100\.0\/24 is given twice/);
    assert.match(refused(['2001:DB8::1', '2001:db8:0::1/128']), /is given twice/);
    assert.match(refused(['203.0.113.7', '::ffff:203.0.113.7']), /is given twice/);
    const fifty = Array.from({ length: 50 }, (_, i) => `10.0.${i}.0/24`);
    assert.equal(parseAllowedIps(fifty).ok, true);
    assert.match(refused([...fifty, '10.0.99.0/24']), /at most 50/);
  });

  test('a refused entry is echoed cut and printable', () => {
    const message = refused([`\u001b[2J${'x'.repeat(500)}`]);
    assert.ok(!message.includes('\u001b'));
    assert.ok(message.length < 150, message);
  });
});

describe('the compiled rule', () => {
  test('an empty rule allows any address; a rule admits its ranges only', () => {
    assert.equal(compileNetworkRule([]).allows('203.0.113.7'), true);
    assert.equal(compileNetworkRule([]).any, true);
    const r = rule(['198.51.100.0/24', '2001:db8::/48', '127.0.0.2']);
    assert.equal(r.any, false);
    for (const a of ['198.51.100.7', '::ffff:198.51.100.7', '::ffff:c633:6407', '2001:db8::5', '127.0.0.2'])
      assert.equal(r.allows(a), true, a);
    for (const a of ['198.51.101.1', '2001:db9::1', '127.0.0.3', 'garbage', '', 'fe80::1%1', '[2001:db8::5]'])
      assert.equal(r.allows(a), false, a);
  });

  test('an entry it cannot read never widens a stored rule', () => {
    const r = compileNetworkRule(['not-an-address', '0.0.0.0/0']);
    assert.equal(r.allows('203.0.113.7'), false);
  });
});

describe('properties', () => {
  const v4Entry = fc
    .tuple(fc.ipV4(), fc.option(fc.integer({ min: 1, max: 32 })))
    .map(([a, p]) => (p === null ? a : `${a}/${p}`));
  const v6Entry = fc
    .tuple(fc.ipV6(), fc.option(fc.integer({ min: 1, max: 128 })))
    .map(([a, p]) => (p === null ? a : `${a}/${p}`));

  test('the canonical form is a fixed point', () => {
    fc.assert(
      fc.property(fc.oneof(v4Entry, v6Entry), (entry) => {
        const once = canonicalNetwork(entry);
        // Only a range of all IPv4-mapped space (::ffff:0:0/96) is refused among these.
        if (!once.ok) return /leave it empty/.test(once.message);
        const twice = canonicalNetwork(once.value);
        return twice.ok && twice.value === once.value;
      }),
    );
  });

  // A range as bits: family width, network bits and prefix; IPv6 includes IPv4-mapped space on purpose.
  const MAPPED = 0xffffn << 32n;
  const range = fc.oneof(
    fc.record({
      width: fc.constant(32),
      bits: fc.bigInt(0n, 2n ** 32n - 1n),
      prefix: fc.integer({ min: 1, max: 32 }),
    }),
    fc.record({
      width: fc.constant(128),
      bits: fc.bigInt(0n, 2n ** 128n - 1n),
      prefix: fc.integer({ min: 1, max: 128 }),
    }),
    fc.record({
      width: fc.constant(128),
      bits: fc.bigInt(0n, 2n ** 32n - 1n).map((b) => MAPPED | b),
      prefix: fc.integer({ min: 97, max: 128 }),
    }),
  );

  test('a rule built from a range admits every address in it and refuses the ones just outside', () => {
    fc.assert(
      fc.property(range, fc.bigInt(0n, 2n ** 128n - 1n), ({ width, bits, prefix }, pick) => {
        const write = width === 32 ? v4 : v6;
        const size = 1n << BigInt(width - prefix);
        const network = (bits / size) * size;
        const r = rule([`${write(bits)}/${prefix}`]);
        assert.ok(r.allows(write(network)), `network ${write(network)}/${prefix}`);
        assert.ok(r.allows(write(network + size - 1n)), `last of ${write(network)}/${prefix}`);
        assert.ok(r.allows(write(network + (pick % size))), `inside ${write(network)}/${prefix}`);
        if (network > 0n) assert.ok(!r.allows(write(network - 1n)), `before ${write(network)}/${prefix}`);
        if (network + size < 1n << BigInt(width))
          assert.ok(!r.allows(write(network + size)), `after ${write(network)}/${prefix}`);
      }),
    );
  });

  test('an IPv4 address and its IPv4-mapped IPv6 forms get the same answer', () => {
    const v4Range = fc
      .tuple(fc.bigInt(0n, 2n ** 32n - 1n), fc.integer({ min: 1, max: 32 }))
      .map(([b, p]) => `${v4(b)}/${p}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(v4Range, { minLength: 1, maxLength: 5 }),
        fc.bigInt(0n, 2n ** 32n - 1n),
        (ranges, n) => {
          const parsed = parseAllowedIps(ranges);
          // Two random ranges may name one network after masking: the duplicate is refused, nothing to check.
          fc.pre(parsed.ok);
          const r = compileNetworkRule(parsed.ok ? parsed.value : []);
          const plain = r.allows(v4(n));
          return r.allows(`::ffff:${v4(n)}`) === plain && r.allows(v6(MAPPED | n)) === plain;
        },
      ),
    );
  });
});
