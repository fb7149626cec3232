// What requests may carry, as TypeBox schemas: text built from Line, Name and Text (SPEC 5's character
// rules; no route adds its own), ids, the queries that take nothing or only a token, and the raw-query
// checks a schema cannot make. schemas.ts re-exports these beside the answers' shapes.
import { type StringOptions, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { scrub } from '../log.js';
import { TEXT_RULES } from '../text-rules.js';
import { ApiError } from './errors.js';

/** One line of text: no NUL, lone surrogate or other control character. */
export const Line = (options: StringOptions = {}) => Type.String({ ...options, pattern: TEXT_RULES.line });
/** A name: a line without bidirectional overrides or isolates, which would make it read as another. */
export const Name = (options: StringOptions = {}) => Type.String({ ...options, pattern: TEXT_RULES.name });
/** Free text: a line's rules, but tab and newline allowed. */
export const Text = (options: StringOptions = {}) => Type.String({ ...options, pattern: TEXT_RULES.text });

// ajv's `uuid` format also takes `urn:uuid:…`, which the database would not: the pattern decides, the
// format tells clients what an id is.
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const Id = (description: string) => Type.String({ format: 'uuid', pattern: UUID, description });
export const IdParams = Type.Object({ id: Id('The id') }, { additionalProperties: false });

/** The query of a route that takes no parameters: any one is refused, not ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/**
 * The header a state-changing session request carries: the session's CSRF token. Checked with the
 * session, before validation, so that without it the answer is 403 csrf.
 */
export const CsrfHeader = Type.Object({
  'X-CSRF-Token': Type.String({ description: 'The session’s csrfToken (GET /apis/v1/session)' }),
});

/** A page's cursor: the opaque `nextCursor` of the page before, bound to its query. */
export const Cursor = Type.String({
  maxLength: 300,
  description: 'The `nextCursor` of the previous page (opaque, bound to the query)',
});

/** The query of a token route: only the `token` carrier (documented as a security scheme). */
export const TokenQuery = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 8192 })) },
  { additionalProperties: false },
);

/**
 * Refuses a query string whose %-escapes are not UTF-8 (a lone surrogate's only way into a URL). The
 * parser keeps such a value as typed, `%FF`, which a schema cannot tell from the text `%FF`; so this
 * looks at the raw query, before validation.
 */
export function refuseMalformedQuery(request: FastifyRequest): void {
  const at = request.url.indexOf('?');
  if (at === -1) return;
  for (const pair of request.url.slice(at + 1).split('&')) {
    const [key = '', value = ''] = pair.replace(/\+/g, ' ').split(/=(.*)/s);
    const name = decoded(key);
    if (name === null || decoded(value) === null) {
      // A parameter's name is the client's own text: a token sent as one is not echoed back.
      const field = name === null ? 'query' : scrub(name).slice(0, 100);
      throw new ApiError('invalid_request', `${field} holds a %-escape that is not UTF-8`, field);
    }
  }
}

const decoded = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

const DIGITS = /^[0-9]{1,3}$/;

/**
 * Reads the named query parameters written as plain digits (at most three) as numbers, before
 * validation: their schema is an integer's, and anything else (`1e2`, ` 5`, `ten`) stays text for the
 * schema to refuse. Coercing the whole query instead would accept those too.
 */
export function readIntegers(request: FastifyRequest, names: readonly string[]): void {
  const query: unknown = request.query;
  if (typeof query !== 'object' || query === null) return;
  for (const name of names) {
    const value: unknown = Reflect.get(query, name);
    if (typeof value === 'string' && DIGITS.test(value)) Reflect.set(query, name, Number(value));
  }
}
