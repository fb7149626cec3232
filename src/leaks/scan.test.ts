// The pure finder of `tokend scan`: positions, the checksum filter, several tokens per line, CRLF, tokens
// split across chunks, and agreement with SPEC 1's pattern over random text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatToken, generateToken, isWellFormed, TOKEN_PATTERN } from '../tokens/token.js';
import { findTokens, type Found, TokenScanner } from './scan.js';

const RUNS = { numRuns: 300 };
const COUNTING = Uint8Array.from({ length: 32 }, (_, i) => i);
const HUBSPOT = formatToken(COUNTING, 'hubspot-integration');
const PLAIN = formatToken(new Uint8Array(32).fill(7), '');
const ADMIN = generateToken('Admin tools').token;
/** The same shape with one checksum char changed: matches the pattern, is not ours. */
const broken = (token: string) => token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');

const at = (found: Found[]) => found.map(({ line, column, token }) => `${line}:${column} ${token}`);

test('finds tokens with 1-based line and column', () => {
  const text = `first line\n  key = "${HUBSPOT}"\n\n${PLAIN}\nlast ${ADMIN}`;
  assert.deepEqual(at(findTokens(text)), [`2:10 ${HUBSPOT}`, `4:1 ${PLAIN}`, `5:6 ${ADMIN}`]);
  assert.deepEqual(findTokens(''), []);
  assert.deepEqual(at(findTokens(HUBSPOT)), [`1:1 ${HUBSPOT}`]);
});

test('several tokens on one line, in order', () => {
  const line = `a=${PLAIN},b=${HUBSPOT} ${ADMIN}`;
  assert.deepEqual(at(findTokens(`x\n${line}`)), [
    `2:3 ${PLAIN}`,
    `2:${3 + PLAIN.length + 3} ${HUBSPOT}`,
    `2:${3 + PLAIN.length + 3 + HUBSPOT.length + 1} ${ADMIN}`,
  ]);
});

test('CRLF line ends count as one line and stay out of the token', () => {
  const text = `one\r\ntwo ${PLAIN}\r\n\r\n${HUBSPOT}\r\n`;
  assert.deepEqual(at(findTokens(text)), [`2:5 ${PLAIN}`, `4:1 ${HUBSPOT}`]);
});

test('only a valid checksum counts: other sk- keys and typos are not findings', () => {
  const others = [
    broken(HUBSPOT),
    broken(PLAIN),
    `sk-proj-${'A1b2C3d4'.repeat(6)}x`, // OpenAI-like, 49 chars after the slug, no checksum of ours
    `sk-ant-api03-${'Zz9'.repeat(31)}AA`,
    'sk-' + 'a'.repeat(48),
    HUBSPOT.slice(0, -1),
  ];
  for (const text of others) assert.deepEqual(findTokens(`token: ${text}\n`), [], text);
  // A near-miss next to a real token hides nothing.
  assert.deepEqual(at(findTokens(`${broken(PLAIN)} ${PLAIN}`)), [`1:${PLAIN.length + 2} ${PLAIN}`]);
});

test('a token must stand alone: inside a longer word it is not one', () => {
  for (const text of [`x${PLAIN}`, `${PLAIN}x`, `_${PLAIN}`, `${PLAIN}_`, `9${HUBSPOT}`, `${HUBSPOT}0`])
    assert.deepEqual(findTokens(text), [], text);
  // Punctuation, quotes, URL syntax and non-ASCII letters all bound it, as `\b` does.
  for (const text of [`"${PLAIN}"`, `?token=${PLAIN}&x`, `é${PLAIN}é`, `(${PLAIN})`, `${PLAIN}-old`])
    assert.deepEqual(at(findTokens(text)).length, 1, text);
});

test('a token behind a failed candidate that swallowed it is still found', () => {
  // The pattern reads `sk-x-` as a slug of the whole string, whose checksum then fails.
  const text = `sk-x-${PLAIN}`;
  assert.equal(TOKEN_PATTERN.exec(text)?.[0], text);
  assert.deepEqual(at(findTokens(text)), [`1:6 ${PLAIN}`]);
});

test('chunks of any size give the same findings, tokens split between chunks included', () => {
  const text = `a\r\n${HUBSPOT} b ${PLAIN}\nsk-${HUBSPOT}\n${'x'.repeat(300)}${PLAIN} ${ADMIN}`;
  const whole = at(findTokens(text));
  assert.equal(whole.length, 4);
  for (const size of [1, 2, 3, 7, 50, 64, 1000]) {
    const scanner = new TokenScanner();
    const found: Found[] = [];
    for (let i = 0; i < text.length; i += size) found.push(...scanner.push(text.slice(i, i + size)));
    found.push(...scanner.end());
    assert.deepEqual(at(found), whole, `chunks of ${size}`);
  }
});

test('agrees with SPEC 1 pattern and the checksum over random text with tokens in it', () => {
  const piece = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(' ', '\n', '\r\n', '-', '_', 'sk-', 'x', '"', '='),
    fc.constantFrom(HUBSPOT, PLAIN, ADMIN, broken(PLAIN)),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }), fc.integer({ min: 1, max: 40 }), (pieces, size) => {
      const text = pieces.join('');
      const expected: string[] = [];
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        for (const m of line.matchAll(new RegExp(TOKEN_PATTERN.source, 'g')))
          if (isWellFormed(m[0])) expected.push(`${i + 1}:${m.index + 1} ${m[0]}`);
      });
      const scanner = new TokenScanner();
      const found: Found[] = [];
      for (let i = 0; i < text.length; i += size) found.push(...scanner.push(text.slice(i, i + size)));
      found.push(...scanner.end());
      // The pattern's matches are a subset (it misses a token behind a failed candidate, see above).
      const got = at(found);
      for (const e of expected) assert.ok(got.includes(e), `${e} in ${JSON.stringify(text)}`);
      for (const g of got) assert.ok(isWellFormed(g.slice(g.indexOf(' ') + 1)));
    }),
    RUNS,
  );
});

test('a hostile run of sk- costs linear time', () => {
  const started = performance.now();
  assert.deepEqual(at(findTokens('sk-'.repeat(300_000) + PLAIN)), [`1:900001 ${PLAIN}`]);
  assert.deepEqual(findTokens(`${'sk-a'.repeat(300_000)}`), []);
  assert.ok(performance.now() - started < 5_000);
});
