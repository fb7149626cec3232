// An answer's JSON read against the schema that documents it. A test gets a typed value only after
// TypeBox has checked it, so an answer outside its documented shape fails the test, with every mismatch
// listed, instead of passing an `any` along. The schemas are the API's own (http/schemas.ts); the few
// shapes it has no export for are written here from SPEC section 5, as the routes declare them.
import assert from 'node:assert/strict';
import { FormatRegistry, type Static, type TSchema, Type } from '@sinclair/typebox';
import { type ValueError, Value } from '@sinclair/typebox/value';
import { ErrorSchema, EventSchema, Nullable, TokenSchema } from '../http/schemas.js';

export { ErrorSchema, EventSchema, TokenSchema };

// SPEC 5: every timestamp is JavaScript's toISOString() (UTC, milliseconds). TypeBox knows no format
// by itself (an unknown one fails every value), so the schemas' `date-time` is given that meaning here.
const isoTime = (v: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && isoOf(v) === v;
const isoOf = (v: string) => {
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isoTime);
// Ids are lowercase UUIDs as PostgreSQL prints them; usage days are UTC dates (YYYY-MM-DD).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
const isoDate = (v: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) && isoOf(`${v}T00:00:00.000Z`)?.slice(0, 10) === v;
if (!FormatRegistry.Has('date')) FormatRegistry.Set('date', isoDate);

const Time = Type.String({ format: 'date-time' });

/** A page of a list: `{items, nextCursor}`, the cursor `null` on the last page. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
export const TokenPage = Page(TokenSchema);
export const EventPage = Page(EventSchema);

/** What create and rotate answer: the token and its secret, shown this once. */
export const CreatedSchema = Type.Object({ token: TokenSchema, secret: Type.String() });

/** `GET /apis/v1/token`: the calling token's own view, no staff data (SPEC 4). */
export const OwnViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  display: Type.String(),
  state: Type.String(),
  permissions: Type.Array(Type.String()),
  expiresAt: Nullable(Time),
});

/** `GET .../:id/usage`: daily request counts by UTC date. */
export const UsageSchema = Type.Object({
  items: Type.Array(
    Type.Object({ date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), count: Type.Integer() }),
  ),
});

/** A stored file, as upload and the list show it. */
export const FileSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  size: Type.Integer(),
  contentType: Type.String(),
  createdAt: Time,
});
export const FilePage = Page(FileSchema);

/** A session: `{user, csrfToken}` (SPEC 5). */
export const SessionSchema = Type.Object({
  user: Type.Object({
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: Type.String(),
    features: Type.Array(Type.String()),
    institution: Type.Object({ slug: Type.String(), name: Type.String() }),
  }),
  csrfToken: Type.String(),
});

/** What an answer is read from: an inject result (statusCode) or a plain HTTP one (status). */
export interface Answer {
  statusCode?: number;
  status?: number;
  body: string;
}

/** The answer's JSON, checked against `schema`: the test fails (showing the body) if it does not match. */
export function body<T extends TSchema>(res: Answer, schema: T): Static<T> {
  const status = res.statusCode ?? res.status;
  return parsed(res.body, schema, status === undefined ? 'the answer' : `the answer ${status}`);
}

/** `text` as JSON, checked against `schema`; `what` names it in the failure. */
export function parsed<T extends TSchema>(text: string, schema: T, what = 'the text'): Static<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    assert.fail(`${what} is not JSON: ${text}`);
  }
  if (!Value.Check(schema, value)) {
    const problems = [...Value.Errors(schema, value)].map(problem);
    assert.fail(`${what} does not match its schema:\n  ${problems.join('\n  ')}\n${text}`);
  }
  return value;
}

/** One mismatch; for a union (a nullable field) also why each of its branches refused the value. */
const problem = (e: ValueError): string => {
  const branches = e.errors.flatMap((branch) => [...branch].map(problem));
  const where = `${e.path || '/'}: ${e.message}`;
  return branches.length ? `${where} (${branches.join('; ')})` : where;
};

/** The `error` code of an error answer, checked against the catalogue's shape. */
export const errorOf = (res: Answer) => body(res, ErrorSchema).error;
