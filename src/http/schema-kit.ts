// The few TypeBox builders the API's schemas share: nullable values, enums, "exactly one of", and typed
// references to named schemas.
import { Kind, type Static, type TSchema, type TUnsafe, Type, TypeRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * One of a list of values: a union of literals, which TypeBox, ajv and fast-json-stringify all take as
 * it is. The OpenAPI document writes it as an enum (docs.ts).
 */
export const Enum = <const T extends readonly (string | number)[]>(values: T, options: object = {}) =>
  Type.Union(
    values.map((v: T[number]) => Type.Literal(v)),
    options,
  );

/**
 * A reference to a named schema, typed as the schema it names. Its kind is TypeBox's own Ref, so
 * Value.Check follows it when given the named schemas as references.
 */
export function ref<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('ref() takes a named schema (one with an $id)');
  return Type.Unsafe<Static<T>>({ [Kind]: 'Ref', $ref: schema.$id });
}

// "Exactly one of", which TypeBox has no builder for: registered so that Value.Check knows it too.
TypeRegistry.Set<{ oneOf: TSchema[] }>(
  'OneOf',
  (schema, value) => schema.oneOf.filter((s) => Value.Check(s, value)).length === 1,
);

export const OneOf = <T extends TSchema[]>(schemas: [...T], options: object = {}) =>
  Type.Unsafe<Static<T[number]>>({ ...options, [Kind]: 'OneOf', oneOf: schemas });
