// The process-wide response serializers: one function per distinct schema (and shared schemas), which
// serializes as fast-json-stringify does — unknown fields dropped, a $ref resolved against the shared ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { cachedSerializers } from './serializers.js';

const shared = { Name: Type.Object({ name: Type.String() }, { $id: 'Name' }) };
const route = (schema: unknown) => ({ method: 'GET', url: '/x', httpStatus: '200', schema });

test('equal schemas share one serializer; another schema or other shared schemas get their own', () => {
  const first = cachedSerializers(shared, {});
  const second = cachedSerializers(structuredClone(shared), {});
  const schema = () => Type.Object({ id: Type.String(), who: Type.Ref('Name') });
  const a = first(route(schema()));
  assert.equal(second(route(schema())), a, 'the same JSON, another app: the function already made');
  assert.equal(
    a({ id: 'x', who: { name: 'Ada', secret: 's' }, extra: 1 }),
    '{"id":"x","who":{"name":"Ada"}}',
  );
  assert.notEqual(first(route(Type.Object({ id: Type.Integer() }))), a, 'another schema compiles anew');
  const renamed = { Name: Type.Object({ label: Type.String() }, { $id: 'Name' }) };
  const b = cachedSerializers(renamed, {})(route(schema()));
  assert.notEqual(b, a, 'other shared schemas compile anew');
  assert.equal(b({ id: 'x', who: { label: 'L', name: 'Ada' } }), '{"id":"x","who":{"label":"L"}}');
});
