// 10,000 hostile credentials (fast-check): random strings and mutations of a real token — truncated,
// extended, wrong checksum, other prefixes, Unicode, 8 kB long — in every carrier of every token route.
// Each answer must be a documented 4xx that does not echo what was sent; none may be a 5xx; and the
// server must still serve the real token afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { ERROR_STATUS } from '../../errors.js';
import { body, ErrorSchema } from '../../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said } from '../../test-support/harness.js';
import { formatToken } from '../../tokens/token.js';
import { upload } from '../../test-support/security-fixtures.js';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Whether an answer's `error` is one of the catalogue's codes. */
const isCode = (error: string): error is keyof typeof ERROR_STATUS => Object.hasOwn(ERROR_STATUS, error);

/** What a client could put in a header: its UTF-8 bytes as Node reads them, without control bytes. */
const asHeader = (s: string) =>
  [...Buffer.from(s, 'utf8').toString('latin1')]
    .filter((c) => c === '\t' || (c >= ' ' && c !== '\x7f'))
    .join('');

/** Credentials that look more or less like `secret` but are not it. */
function hostile(secret: string, others: string[]): fc.Arbitrary<string> {
  const alnum = fc.constantFrom(...ALNUM);
  const at = fc.nat({ max: secret.length - 1 });
  const mutated = fc.oneof(
    at.map((n) => secret.slice(0, n)),
    fc.string({ unit: alnum, minLength: 1, maxLength: 12 }).map((s) => secret + s),
    fc.tuple(fc.integer({ min: 1, max: 6 }), alnum).map(([i, c]) => {
      const p = secret.length - i;
      return secret.slice(0, p) + c + secret.slice(p + 1);
    }),
    fc.tuple(at, alnum).map(([p, c]) => secret.slice(0, p) + c + secret.slice(p + 1)),
    fc
      .constantFrom('pk-', 'SK-', 'sk_', 'sk', 'ghp_', 'xoxb-', '', 'sk--', 'sk-sk-')
      .map((prefix) => prefix + secret.slice(3)),
    fc.tuple(at, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 })).map(([p, u]) => {
      return secret.slice(0, p) + u + secret.slice(p);
    }),
    at.map((p) => secret.slice(0, p) + secret.charAt(p).toUpperCase() + secret.slice(p + 1)),
    fc.integer({ min: 8000, max: 8192 }).map((n) => secret.repeat(Math.ceil(n / secret.length)).slice(0, n)),
    fc.constant(`${secret}\u0000`),
  );
  return fc
    .oneof(
      { weight: 6, arbitrary: mutated },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
      // Well-formed, checksum right, never issued: reaches the database (and its negative cache).
      { weight: 1, arbitrary: fc.constant(null).map(() => formatToken(randomBytes(32), 'integration')) },
      { weight: 1, arbitrary: fc.constantFrom(...others) },
    )
    .map((s) => Buffer.from(s, 'utf8').toString('utf8')) // lone surrogates cannot be sent
    .filter((s) => s.trim() !== secret && asHeader(s).trim() !== secret);
}

type Carrier = (value: string, url: string) => InjectOptions;
const CARRIERS: Carrier[] = [
  (v, url) => ({ url, headers: { FF_AUTH: asHeader(v) } }),
  (v, url) => ({ url, headers: { 'FF-Auth': asHeader(v) } }),
  (v, url) => ({ url, headers: { authorization: asHeader(`Bearer ${v}`) } }),
  (v, url) => ({ url, headers: { authorization: asHeader(v) } }),
  (v, url) => ({ url: `${url}?token=${encodeURIComponent(v)}` }),
  (v, url) => ({ url: `${url}?token=${encodeURIComponent(v)}`, headers: { FF_AUTH: asHeader(`${v}2`) } }),
  (v) => ({ url: '/apis/v1/auth', headers: { 'x-original-uri': `/x?token=${encodeURIComponent(v)}` } }),
];

for (const kind of databaseKinds()) {
  describe(`hostile credentials (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 1_000_000 });
    });
    after(() => env.close());

    test('10,000 random and mutated tokens in every carrier: documented 4xx, never a 5xx', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { secret } = await admin.createToken({ name: 'Fuzz target' });
      const revoked = await admin.createToken({ name: 'Revoked' });
      for (const step of ['suspend', 'revoke'])
        await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${revoked.token.id}/${step}` });
      const foreign = await (await (await env.tenant()).adminAgent()).createToken();
      const file = await upload(t);
      const download = `/apis/v1/files/${file.id}/download`;
      const routes = ['/apis/v1/token', '/apis/v1/auth', download];
      const seen = new Map<number, number>();

      await fc.assert(
        fc.asyncProperty(
          hostile(secret, [revoked.secret, foreign.secret]),
          fc.constantFrom(...CARRIERS),
          fc.constantFrom(...routes),
          async (value, carrier, route) => {
            const res = await t.request({ method: 'GET', ...carrier(value, route) });
            seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
            assert.ok(res.statusCode >= 400 && res.statusCode < 500, said(res));
            const { error } = body(res, ErrorSchema);
            assert.ok(isCode(error), `undocumented answer: ${said(res)}`);
            assert.equal(ERROR_STATUS[error], res.statusCode, `undocumented answer: ${said(res)}`);
            if (value.length >= 12) assert.ok(!res.body.includes(value), `echoed: ${said(res)}`);
          },
        ),
        { numRuns: 10_000 },
      );
      assert.ok((seen.get(401) ?? 0) > 5000, `mostly 401: ${JSON.stringify([...seen])}`);
      for (const headers of [
        { FF_AUTH: secret },
        { 'FF-Auth': secret },
        { authorization: `Bearer ${secret}` },
      ]) {
        const res = await t.request({ method: 'GET', url: download, headers });
        assert.equal(res.statusCode, 200, said(res));
      }
      const query = await t.request({ method: 'GET', url: `/apis/v1/token?token=${secret}` });
      assert.equal(query.statusCode, 200, said(query));
    });
  });
}
