// The OpenAPI document as clients read it: every operation named, summarised, tagged and secured; the
// shapes named once in components and referenced; every failure an Error; and the token's own view,
// which the route serialises ahead of time, valid by the schema the document gives it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { createEnv, databaseKinds, type Env, said } from '../test-support/harness.js';
import { SHARED_SCHEMAS } from './schemas.js';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
  );

for (const kind of databaseKinds()) {
  describe(`the OpenAPI document (${kind})`, () => {
    let env: Env;
    let doc: Document;
    before(async () => {
      env = await createEnv(kind);
      const res = await (await env.tenant()).request({ method: 'GET', url: '/apis/v1/openapi.json' });
      assert.equal(res.statusCode, 200, said(res));
      doc = res.json<Document>();
    });
    after(() => env.close());

    test('names every shape once, by its $id, with the security schemes of every carrier', () => {
      assert.equal(doc.openapi, '3.1.0');
      assert.deepEqual(doc.servers, [{ url: '/', description: 'The host this document was fetched from' }]);
      assert.deepEqual(Object.keys(doc.components.schemas).sort(), SHARED_SCHEMAS.map((s) => s.$id).sort());
      assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), [
        'bearer',
        'ffAuth',
        'ffAuthHyphen',
        'session',
        'tokenQuery',
      ]);
      const token = JSON.stringify(doc.components.schemas.Token);
      assert.match(token, /"state":\{"description":"The state in effect now","type":"string","enum":\[/);
    });

    test('every operation has a unique camelCase operationId, a summary, a tag and its security', () => {
      const ids = new Set<string>();
      const all = operations(doc);
      assert.ok(all.length >= 20, `${all.length} operations`);
      for (const { name, op } of all) {
        assert.match(op.operationId ?? '', /^[a-z][a-zA-Z]+$/, name);
        assert.ok(!ids.has(op.operationId ?? ''), `${name}: ${op.operationId} twice`);
        ids.add(op.operationId ?? '');
        assert.ok(op.summary, `${name} has no summary`);
        assert.equal(op.tags?.length, 1, name);
        assert.ok(Array.isArray(op.security), `${name} has no security`);
      }
      const open = all.filter(({ op }) => op.security?.length === 0).map(({ op }) => op.operationId);
      // The leak routes prove themselves in their own way (SPEC 9): a signature, a revocation token, or none.
      // Sign-in with the identity provider starts and ends without a session (SPEC 11).
      assert.deepEqual(open.sort(), [
        'finishOidcLogin',
        'getHealth',
        'getMetrics',
        'getReadiness',
        'getSessionOptions',
        'gitlabRevocableTokenTypes',
        'gitlabRevokeTokens',
        'login',
        'reportGithubLeaks',
        'reportLeaks',
        'startOidcLogin',
      ]);
    });

    test('JSON answers refer to the named shapes, and every failure is an Error', () => {
      for (const { name, op } of operations(doc)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const json = response.content?.['application/json']?.schema;
          if (Number(status) >= 400 && status !== '503')
            assert.deepEqual(json, { $ref: '#/components/schemas/Error' }, `${name} ${status}`);
          else if (json) assert.match(String(json.$ref), /^#\/components\/schemas\//, `${name} ${status}`);
        }
      }
    });

    test('the upload is a multipart form, renew takes exactly one expiry, the download is bytes', () => {
      const upload = doc.paths['/apis/v1/files']?.post?.requestBody?.content;
      assert.deepEqual(Object.keys(upload ?? {}), ['multipart/form-data']);
      assert.deepEqual(upload?.['multipart/form-data']?.schema.required, ['file']);
      const renew = doc.components.schemas.RenewTokenRequest as { allOf: { oneOf?: unknown[] }[] };
      assert.equal(renew.allOf[1]?.oneOf?.length, 2);
      const download = doc.paths['/apis/v1/files/{id}/download']?.get?.responses['200']?.content;
      assert.deepEqual(Object.keys(download ?? {}), ['application/octet-stream', '*/*']);
    });

    test('the token’s own view, serialised ahead of time, is valid by the documented OwnToken', async () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      // A CommonJS module: its plugin is the default export's `default` under NodeNext.
      ajvFormats.default(ajv);
      ajv.addSchema({ ...doc, $id: 'openapi.json' });
      const valid = ajv.getSchema('openapi.json#/components/schemas/OwnToken');
      assert.ok(valid);
      const t = await env.tenant();
      const admin = await t.adminAgent();
      for (const body of [{ name: 'Never expires' }, { name: 'Expires', expiresInDays: 30 }]) {
        const { secret } = await admin.createToken(body);
        const res = await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
        assert.equal(res.statusCode, 200, said(res));
        const view: unknown = res.json();
        assert.ok(valid(view), `${res.body}: ${JSON.stringify(valid.errors)}`);
      }
    });
  });
}
