// Host → institution: the Host header's name is compared without case, port or trailing dot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeHost } from './institutions.js';

test('a Host header is reduced to its name: no case, port or trailing dot', () => {
  assert.equal(normalizeHost('Tokend.Example.COM'), 'tokend.example.com');
  assert.equal(normalizeHost(' acme.example.test:8443 '), 'acme.example.test');
  assert.equal(normalizeHost('acme.example.test.'), 'acme.example.test');
  assert.equal(normalizeHost('acme.example.test.:443'), 'acme.example.test');
  assert.equal(normalizeHost('127.0.0.1:3000'), '127.0.0.1');
  assert.equal(normalizeHost('[::1]:3000'), '[::1]');
  assert.equal(normalizeHost('[::1'), '');
  assert.equal(normalizeHost(''), '');
  const bare = 'tokend.example.com';
  assert.equal(normalizeHost(bare), bare);
});

// The first implementation, kept as the definition the allocation-light one must agree with.
const reference = (host: string) => {
  const h = host.trim().toLowerCase();
  const bare = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : (h.split(':')[0] ?? '');
  return bare.replace(/\.$/, '');
};

test('normalizeHost agrees with its definition on arbitrary hosts', () => {
  const char = fc.constantFrom(...'aZ09.-:[] \t'.split(''));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: char, maxLength: 30 })), (host) => {
      assert.equal(normalizeHost(host), reference(host), JSON.stringify(host));
    }),
    { numRuns: 2000 },
  );
});
