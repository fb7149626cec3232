// Input that used to answer 500 (issue 14): NUL, lone surrogates, control and bidirectional characters in
// text, broken multipart bodies, cursors that hold impossible values, over-long ids, and unknown query
// parameters. Each is a 400 invalid_request naming the field, through the real API, and writes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { InjectOptions } from 'fastify';
import { encodeCursor } from '../pagination.js';
import { body, ErrorSchema, FileSchema, parsed, TokenPage, TokenSchema } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../test-support/harness.js';

type Agent = Awaited<ReturnType<Tenant['adminAgent']>>;
type Reply = Awaited<ReturnType<Agent['request']>>;
/** A request to a path (InjectOptions also takes a URL object, which the messages below could not name). */
type Request = InjectOptions & { url: string };

const refused = (res: Reply, field: string, what: string) => {
  assert.equal(res.statusCode, 400, `${what} → ${said(res)}`);
  const answer = body(res, ErrorSchema);
  assert.equal(answer.error, 'invalid_request', `${what} → ${said(res)}`);
  assert.equal(answer.field, field, `${what} → ${said(res)}`);
};

const json = (method: 'POST' | 'GET', url: string, payload?: string): Request => ({
  method,
  url,
  ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }),
});

const form = (payload: string, contentType = 'multipart/form-data; boundary=xx'): Request => ({
  method: 'POST',
  url: '/apis/v1/files',
  headers: { 'content-type': contentType },
  payload,
});

const filePart = (disposition: string, content = 'abc') =>
  `--xx\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--xx--\r\n`;

for (const kind of databaseKinds()) {
  describe(`bad input answers 400, never 500 (${kind})`, () => {
    let env: Env;
    let t: Tenant;
    let admin: Agent;
    let tokenId: string;
    before(async () => {
      env = await createEnv(kind);
      t = await env.tenant();
      admin = await t.adminAgent();
      tokenId = (await admin.createToken({ name: 'Target' })).token.id;
    });
    after(() => env.close());

    const rows = async (table: 'api_tokens' | 'files') =>
      (
        await env.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE institution_id = $1`,
          [t.institution.id],
        )
      )[0]?.n;

    test('NUL in every text input: body fields, query parameters, the login email', async () => {
      const tokens = await rows('api_tokens');
      const nul = JSON.stringify('a\u0000b');
      const cases: [Request, string][] = [
        [json('POST', '/apis/v1/api-tokens', `{"name":${nul}}`), 'name'],
        [json('POST', '/apis/v1/api-tokens', `{"name":"ok","description":${nul}}`), 'description'],
        [json('POST', '/apis/v1/api-tokens', `{"name":"ok","issuedFor":${nul}}`), 'issuedFor'],
        [json('POST', `/apis/v1/api-tokens/${tokenId}/suspend`, `{"reason":${nul}}`), 'reason'],
        [json('POST', `/apis/v1/api-tokens/${tokenId}/revoke`, `{"reason":${nul}}`), 'reason'],
        [
          json('POST', `/apis/v1/api-tokens/${tokenId}/rotate`, `{"expectedDisplay":${nul}}`),
          'expectedDisplay',
        ],
        [json('GET', '/apis/v1/api-tokens?q=a%00b'), 'q'],
        [json('GET', '/apis/v1/api-tokens?issuedFor=a%00b'), 'issuedFor'],
      ];
      for (const [request, field] of cases) refused(await admin.request(request), field, request.url);
      const login = await t.request(
        json('POST', '/apis/v1/session', `{"email":"a\\u0000@example.test","password":"p"}`),
      );
      refused(login, 'email', 'login');
      assert.equal(await rows('api_tokens'), tokens, 'nothing was created');
      const still = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${tokenId}` });
      assert.equal(body(still, TokenSchema).state, 'active', said(still));
    });

    test('a lone surrogate in a reason, invalid UTF-8 in a query string', async () => {
      const lone = '{"reason":"why \\ud800"}';
      refused(
        await admin.request(json('POST', `/apis/v1/api-tokens/${tokenId}/suspend`, lone)),
        'reason',
        'lone',
      );
      const low = '{"reason":"\\udc00 why"}';
      refused(
        await admin.request(json('POST', `/apis/v1/api-tokens/${tokenId}/suspend`, low)),
        'reason',
        'low',
      );
      for (const q of ['%FF', 'a%ED%A0%80b', '%C3']) {
        refused(await admin.request(json('GET', `/apis/v1/api-tokens?q=${q}`)), 'q', q);
      }
      // A paired surrogate (an emoji) and non-ASCII letters are text like any other.
      const fine = await admin.request(
        json('POST', `/apis/v1/api-tokens/${tokenId}/suspend`, '{"reason":"ok 😀 ü"}'),
      );
      assert.equal(fine.statusCode, 200, said(fine));
      assert.equal(body(fine, TokenSchema).stateReason, 'ok 😀 ü');
      const search = await admin.request(json('GET', `/apis/v1/api-tokens?q=${encodeURIComponent('ü😀')}`));
      assert.equal(search.statusCode, 200, said(search));
      await admin.request(json('POST', `/apis/v1/api-tokens/${tokenId}/reactivate`, '{}'));
    });

    test('C0 and C1 controls in single-line fields; a description keeps tab and newline', async () => {
      for (const c of ['\u0001', '\u0007', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b']) {
        const name = JSON.stringify(`a${c}b`);
        refused(await admin.request(json('POST', '/apis/v1/api-tokens', `{"name":${name}}`)), 'name', name);
        const reason = json('POST', `/apis/v1/api-tokens/${tokenId}/suspend`, `{"reason":${name}}`);
        refused(await admin.request(reason), 'reason', name);
      }
      const bell = JSON.stringify('line\u0007');
      refused(
        await admin.request(json('POST', '/apis/v1/api-tokens', `{"name":"ok","description":${bell}}`)),
        'description',
        'bell',
      );
      const created = await admin.createToken({ name: 'Multi-line', description: 'one\n\ttwo\nthree' });
      assert.equal(created.token.description, 'one\n\ttwo\nthree');
    });

    test('bidirectional overrides and isolates in a name and in an uploaded file name', async () => {
      for (const c of [
        '\u202a',
        '\u202b',
        '\u202c',
        '\u202d',
        '\u202e',
        '\u2066',
        '\u2067',
        '\u2068',
        '\u2069',
      ]) {
        const name = JSON.stringify(`invoice${c}fdp.exe`);
        refused(await admin.request(json('POST', '/apis/v1/api-tokens', `{"name":${name}}`)), 'name', name);
      }
      const before = await rows('files');
      const spoof = await admin.request(form(filePart("filename*=UTF-8''invoice%E2%80%AEfdp.exe")));
      refused(spoof, 'filename', 'bidi filename*');
      const plain = await admin.request(form(filePart('filename="invoice\u202efdp.exe"')));
      refused(plain, 'filename', 'bidi filename');
      const nul = await admin.request(form(filePart("filename*=UTF-8''a%00b.txt")));
      refused(nul, 'filename', 'NUL filename*');
      const bell = await admin.request(form(filePart("filename*=UTF-8''a%07b.txt")));
      refused(bell, 'filename', 'BEL filename*');
      assert.equal(await rows('files'), before, 'no file was stored');
      const fine = await admin.request(form(filePart("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")));
      assert.equal(fine.statusCode, 201, said(fine));
      assert.equal(body(fine, FileSchema).name, 'résumé.pdf');
    });

    test('malformed multipart: no boundary, a truncated part, no part', async () => {
      const before = await rows('files');
      const cases: [string, InjectOptions][] = [
        ['no boundary', form(filePart('filename="a.txt"'), 'multipart/form-data')],
        [
          'truncated part',
          form('--xx\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nab'),
        ],
        ['truncated headers', form('--xx\r\nContent-Disposition: form-da')],
        ['no part', form('--xx--\r\n')],
        ['empty body', form('')],
      ];
      for (const [what, request] of cases) refused(await admin.request(request), 'file', what);
      assert.equal(await rows('files'), before, 'no file was stored');
    });

    test('cursors that pass the format check but hold impossible values', async () => {
      await admin.createToken({ name: 'Second' });
      const first = await admin.request(json('GET', '/apis/v1/api-tokens?limit=1'));
      const real = body(first, TokenPage).nextCursor;
      assert.ok(real, `a second page: ${said(first)}`);
      // A cursor is base64url JSON [key, id, bound]; the test reuses the list's bound.
      const [, , tokensBound] = parsed(
        Buffer.from(real, 'base64url').toString('utf8'),
        Type.Tuple([Type.Unknown(), Type.Unknown(), Type.String()]),
        'the cursor',
      );
      const at = new Date().toISOString();
      const uuid = '00000000-0000-4000-8000-000000000000';
      const impossible = (id: string) => [
        { key: '9999-99-99T99:99:99.999Z', id },
        { key: '2023-02-30T00:00:00.000Z', id },
        { key: '0000-01-01T00:00:00.000Z', id },
        { key: at, id: '-'.repeat(36) },
        { key: at, id: '9'.repeat(19) },
      ];
      const routes: [string, string, string][] = [
        ['/apis/v1/api-tokens?limit=1&cursor=', tokensBound, uuid],
        [`/apis/v1/api-tokens/${tokenId}/events?cursor=`, `events:${tokenId}`, '1'],
        ['/apis/v1/files?cursor=', 'files', uuid],
      ];
      for (const [url, bound, goodId] of routes) {
        for (const c of [...impossible(goodId), { key: at, id: goodId === uuid ? '1' : uuid }]) {
          const res = await admin.request(json('GET', url + encodeCursor(c, bound)));
          refused(res, 'cursor', `${url} ${JSON.stringify(c)}`);
        }
        const fine = await admin.request(json('GET', url + encodeCursor({ key: at, id: goodId }, bound)));
        assert.equal(fine.statusCode, 200, `${url} → ${said(fine)}`);
      }
    });

    test('a malformed id of any length is 400 with field id, on every id route', async () => {
      const ids = ['x'.repeat(101), 'a'.repeat(5000), `${'0'.repeat(36)}`, `urn:uuid:${tokenId}`];
      for (const id of ids) {
        for (const request of [
          json('GET', `/apis/v1/api-tokens/${id}`),
          json('GET', `/apis/v1/api-tokens/${id}/events`),
          json('GET', `/apis/v1/api-tokens/${id}/usage`),
          json('POST', `/apis/v1/api-tokens/${id}/suspend`, '{}'),
          json('POST', `/apis/v1/api-tokens/${id}/rotate`, '{}'),
          json('POST', `/apis/v1/api-tokens/${id}/renew`, '{"expiresInDays":30}'),
        ])
          refused(await admin.request(request), 'id', `${request.method} ${id.length}`);
      }
      const { secret } = await admin.createToken({ name: 'Downloader' });
      const download = await t.request({
        method: 'GET',
        url: `/apis/v1/files/${'f'.repeat(101)}/download`,
        headers: { FF_AUTH: secret },
      });
      refused(download, 'id', 'download');
      // Authentication still comes first: an anonymous caller learns nothing about ids.
      const anonymous = await t.request(json('GET', `/apis/v1/api-tokens/${'x'.repeat(101)}`));
      assert.equal(anonymous.statusCode, 401, said(anonymous));
    });

    test('unknown query parameters are refused on every session route', async () => {
      const tokens = await rows('api_tokens');
      const cases: Request[] = [
        json('GET', `/apis/v1/api-tokens/${tokenId}?debug=1`),
        json('GET', `/apis/v1/api-tokens/${tokenId}/usage?debug=1`),
        json('POST', '/apis/v1/api-tokens?debug=1', '{"name":"x"}'),
        json('POST', `/apis/v1/api-tokens/${tokenId}/suspend?debug=1`, '{}'),
        json('POST', `/apis/v1/api-tokens/${tokenId}/reactivate?debug=1`, '{}'),
        json('POST', `/apis/v1/api-tokens/${tokenId}/revoke?debug=1`, '{}'),
        json('POST', `/apis/v1/api-tokens/${tokenId}/rotate?debug=1`, '{}'),
        json('POST', `/apis/v1/api-tokens/${tokenId}/renew?debug=1`, '{"expiresInDays":30}'),
        json('GET', `/apis/v1/api-tokens/${tokenId}/events?debug=1`),
        json('GET', '/apis/v1/api-tokens?debug=1'),
        json('GET', '/apis/v1/files?debug=1'),
        { ...form(filePart('filename="a.txt"')), url: '/apis/v1/files?debug=1' },
        json('GET', '/apis/v1/session?debug=1'),
        // Refused before it logs out: the requests after it still have their session.
        { method: 'DELETE', url: '/apis/v1/session?debug=1' },
      ];
      for (const request of cases) refused(await admin.request(request), 'debug', request.url);
      const login = await t.request(
        json('POST', '/apis/v1/session?debug=1', '{"email":"nobody@example.test","password":"p"}'),
      );
      refused(login, 'debug', 'login');
      const still = await admin.request(json('GET', `/apis/v1/api-tokens/${tokenId}`));
      assert.equal(body(still, TokenSchema).state, 'active', 'no action ran');
      assert.equal(await rows('api_tokens'), tokens, 'nothing was created');
    });
  });
}
