// The README's gitleaks rule and trufflehog detector, read out of the README as a user copies them and
// run against real tokens and near-misses. Both tools take Go RE2 syntax; the only RE2 forms JavaScript
// reads differently are named groups `(?P<name>...)` (here `(?<name>...)`) and inline flags, which JS
// lacks: `toJs` converts the first and refuses the rest, so a rule the test passes means the same in
// both. RE2's `\b` is ASCII, as JS's is without the `u` flag, and both take the leftmost-first match.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatToken, generateToken, isWellFormed, TOKEN_PATTERN } from '../tokens/token.js';
import { findTokens } from './scan.js';

/** The one fenced block of `language` in the README that holds `marker`. */
function readmeBlock(language: string, marker: string): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const fence = '```' + language + '\n';
  const blocks: string[] = [];
  for (let at = readme.indexOf(fence); at >= 0; at = readme.indexOf(fence, at + 1)) {
    const body = at + fence.length;
    blocks.push(readme.slice(body, readme.indexOf('\n```', body) + 1));
  }
  const found = blocks.filter((b) => b.includes(marker));
  assert.equal(found.length, 1, `README.md has one \`\`\`${language} block with ${marker}`);
  return found[0]!;
}

function toJs(re2: string): RegExp {
  assert.doesNotMatch(re2, /\(\?[a-zA-Z-]+[:)]/, 'inline flags mean something else in JS');
  assert.doesNotMatch(re2, /\\[zQEApC]|\[\[:/, 'an RE2-only escape or class');
  return new RegExp(re2.replace(/\(\?P</g, '(?<'), 'g');
}

// TOML `'''...'''` is a literal string and YAML `'...'` knows only `''` as an escape: between the quotes
// is the regex exactly as the tool reads it.
const gitleaks = readmeBlock('toml', '[[rules]]');
const trufflehog = readmeBlock('yaml', 'detectors:');
const rules = {
  gitleaks: {
    regex: /^regex = '''(.*)'''$/m.exec(gitleaks)?.[1],
    keywords: JSON.parse(`[${/^keywords = \[(.*)\]$/m.exec(gitleaks)?.[1] ?? ''}]`) as string[],
  },
  trufflehog: {
    regex: /^ {6}token: '(.*)'$/m.exec(trufflehog)?.[1]?.replace(/''/g, "'"),
    keywords: [
      ...(/^ {4}keywords:\n((?: {6}- .*\n)+)/m.exec(trufflehog)?.[1]?.matchAll(/- (.*)/g) ?? []),
    ].map((m) => m[1]!),
  },
};

const COUNTING = Uint8Array.from({ length: 32 }, (_, i) => i);
const REAL = [
  generateToken('集成').token, // no slug
  formatToken(new Uint8Array(32), ''),
  formatToken(new Uint8Array(32).fill(0xff), ''),
  generateToken('HubSpot integration', () => COUNTING).token,
  generateToken('Admin tools').token, // key-admin-tools
  generateToken('ant').token,
  generateToken('proj-x').token,
  generateToken('Nightly reporting job for finance').token,
  generateToken('a'.repeat(40)).token,
];
const alnum = (n: number, seed = 7) =>
  Array.from(
    { length: n },
    (_, i) => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[(i * seed + 3) % 62],
  ).join('');
const base64url = (n: number) =>
  Array.from({ length: n }, (_, i) => `${alnum(62)}-_`[(i * 11 + 5) % 64]).join('');

test('the README rules are SPEC 1 scanning pattern, keyed on sk-', () => {
  for (const [tool, rule] of Object.entries(rules)) {
    assert.equal(rule.regex, TOKEN_PATTERN.source, tool);
    assert.deepEqual(rule.keywords, ['sk-'], tool);
  }
  assert.match(gitleaks, /^id = "tokend-api-token"$/m);
  assert.match(gitleaks, /^useDefault = true/m);
  assert.match(trufflehog, /^ {2}- name: tokend-api-token$/m);
});

for (const [tool, rule] of Object.entries(rules)) {
  const regex = toJs(rule.regex ?? '');
  const matches = (text: string) => [...text.matchAll(regex)].map((m) => m[0]);

  test(`${tool}: finds real tokens, with and without a slug, key- slugs included, in any context`, () => {
    for (const token of REAL) {
      assert.ok(
        rule.keywords.some((k) => token.includes(k)),
        token,
      );
      for (const text of [token, `TOKEN=${token}\n`, `"${token}"`, `?token=${token}&x=1`, `é${token}é`])
        assert.deepEqual(matches(text), [token], text);
    }
    assert.deepEqual(matches(REAL.join('\n')), REAL);
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ minLength: 32, maxLength: 32 }), (name, bytes) => {
        const { token } = generateToken(name, () => bytes);
        assert.deepEqual(matches(`Authorization: Bearer ${token}\r\n`), [token]);
      }),
      { numRuns: 500 },
    );
  });

  test(`${tool}: near-misses do not match: wrong length, inside a longer word, other vendors' keys`, () => {
    const token = REAL[3]!;
    const misses = [
      `sk-${alnum(48)}`,
      `sk-${alnum(50)}`,
      `sk-hubspot-${alnum(48)}`,
      `sk-hubspot-${alnum(50)}`,
      `x${token}`,
      `${token}x`,
      `_${token}`,
      `${token}_`,
      `Sk-${alnum(49)}`,
      `sk-Hub-${alnum(49)}`,
      // OpenAI's keys: legacy, project and service-account ones (with `_` and `-` in the secret).
      `sk-${alnum(20)}T3BlbkFJ${alnum(20, 5)}`,
      `sk-proj-${base64url(74)}T3BlbkFJ${base64url(74)}`,
      `sk-svcacct-${base64url(74)}T3BlbkFJ${base64url(74)}`,
      // Anthropic's: sk-ant-api03-<93 base64url>AA.
      `sk-ant-api03-${base64url(93)}AA`,
    ];
    for (const text of misses) assert.deepEqual(matches(` ${text} `), [], text);
  });

  test(`${tool}: what only has the shape matches; the checksum tells real tokens (tokend scan)`, () => {
    const shaped = [
      `sk-${alnum(49)}`,
      `sk-proj-${alnum(49)}`,
      `sk-ant-${alnum(49)}`,
      REAL[3]!.slice(0, -1) + 'x',
    ];
    for (const text of shaped) {
      assert.deepEqual(matches(text), [text]);
      assert.equal(isWellFormed(text), false);
      assert.deepEqual(findTokens(text), []);
    }
  });
}
