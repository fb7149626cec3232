// GET /apis/v1/permissions on both databases: staff with the tokens feature read the catalogue in key
// order as {items}; no session, no feature, a token or a query parameter are refused as on the
// management API; the OpenAPI document names the operation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { LightMyRequestResponse } from 'fastify';
import { createEnv, databaseKinds, type Env, said, TOKENS_FEATURE } from '../test-support/harness.js';

const Permission = Type.Object(
  { key: Type.String(), description: Type.String(), deprecated: Type.Boolean(), builtIn: Type.Boolean() },
  { additionalProperties: false },
);
const List = Type.Object({ items: Type.Array(Permission) }, { additionalProperties: false });
const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
});
const Operation = Type.Object({
  operationId: Type.String(),
  summary: Type.String(),
  tags: Type.Array(Type.String()),
});
const Document = Type.Object({
  paths: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())),
});

/** A response body must have the documented shape before a test reads it. */
function body<T extends TSchema>(schema: T, res: LightMyRequestResponse): Static<T> {
  const value: unknown = res.json();
  Value.Assert(schema, value);
  return value;
}

for (const kind of databaseKinds()) {
  describe(`GET /apis/v1/permissions (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind);
    });
    after(() => env.close());
    const get = { method: 'GET' as const, url: '/apis/v1/permissions' };

    test('staff with the feature read the catalogue in key order, as the CLI adds to it', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      for (const [key, description] of [
        ['route.zeta', 'Last'],
        ['route.alpha', 'First'],
        ['route_b.read', 'After route.*'],
      ] as const)
        assert.ok((await env.services.permissions.add(key, description)).ok);
      assert.ok((await env.services.permissions.deprecate('route.zeta')).ok);
      const res = await admin.request(get);
      assert.equal(res.statusCode, 200, said(res));
      const { items } = body(List, res);
      assert.deepEqual(
        items.map((p) => p.key).filter((k) => k.startsWith('route')),
        ['route.alpha', 'route.zeta', 'route_b.read'],
      );
      assert.deepEqual(
        items.find((p) => p.key === 'route.zeta'),
        { key: 'route.zeta', description: 'Last', deprecated: true, builtIn: false },
      );
      assert.deepEqual(
        items.filter((p) => p.builtIn).map((p) => [p.key, p.description]),
        [
          ['core.core.files_download', 'Download files through the API'],
          ['tokens.self_rotate', 'Rotate its own secret'],
        ],
      );
      const staff = await t.user('staff', [TOKENS_FEATURE]);
      const asStaff = await staff.request(get);
      assert.equal(asStaff.statusCode, 200, said(asStaff));
      assert.deepEqual(body(List, asStaff), { items });
    });

    test('no session, no feature, a token and a query parameter are refused', async () => {
      const t = await env.tenant();
      const anonymous = await t.request(get);
      assert.equal(anonymous.statusCode, 401, said(anonymous));
      assert.equal(body(ErrorBody, anonymous).error, 'unauthenticated');
      const plain = await t.user('staff');
      const noFeature = await plain.request(get);
      assert.equal(noFeature.statusCode, 403, said(noFeature));
      assert.equal(body(ErrorBody, noFeature).error, 'insufficient_permission');
      const { secret } = await (await t.adminAgent()).createToken({ name: 'Integration' });
      const token = await t.request({ ...get, headers: { authorization: `Bearer ${secret}` } });
      assert.equal(token.statusCode, 403, said(token));
      assert.deepEqual(body(ErrorBody, token), {
        error: 'insufficient_permission',
        message: 'tokens cannot use staff routes',
      });
      const admin = await t.adminAgent();
      const query = await admin.request({ ...get, url: '/apis/v1/permissions?deprecated=false' });
      assert.equal(query.statusCode, 400, said(query));
      assert.equal(body(ErrorBody, query).error, 'invalid_request');
      const other = await env.app.inject({ ...get, headers: { host: 'nobody.example.test' } });
      assert.equal(other.statusCode, 404, said(other));
      assert.equal(body(ErrorBody, other).error, 'unknown_institution');
    });

    test('the OpenAPI document names the operation', async () => {
      const res = await env.app.inject({ method: 'GET', url: '/apis/v1/openapi.json' });
      assert.equal(res.statusCode, 200, said(res));
      const operation = body(Document, res).paths['/apis/v1/permissions']?.get;
      Value.Assert(Operation, operation);
      assert.equal(operation.operationId, 'listPermissions');
      assert.deepEqual(operation.tags, ['permissions']);
    });
  });
}
