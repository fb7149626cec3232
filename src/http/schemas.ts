// The JSON shapes of SPEC section 5 as TypeBox schemas: they validate input (unknown fields refused),
// serialise output and generate the OpenAPI document, so the three cannot disagree. Text inputs are
// built from Line, Name and Text, which carry SPEC 5's character rules; no route adds its own.
import { type StringOptions, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { scrub } from '../log.js';
import { TEXT_RULES } from '../text-rules.js';
import { TOKEN_STATES } from '../tokens/lifecycle.js';
import { ApiError } from './errors.js';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });

export const ErrorSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
});

/** A token's state, from lifecycle's one list (the list filter takes the same). */
export const TokenStateSchema = Type.Union(TOKEN_STATES.map((s) => Type.Literal(s)));

export const UserRef = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() });

export const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  issuedFor: Type.String(),
  display: Type.String(),
  state: TokenStateSchema,
  permissions: Type.Array(Type.String()),
  createdAt: Time,
  createdBy: Nullable(UserRef),
  expiresAt: Nullable(Time),
  expirySetAt: Time,
  lastUsedAt: Nullable(Time),
  lastUsedIp: Nullable(Type.String()),
  lastUsedUserAgent: Nullable(Type.String()),
  lastUsedCarrier: Nullable(Type.String()),
  stateChangedAt: Nullable(Time),
  stateChangedBy: Nullable(UserRef),
  stateReason: Nullable(Type.String()),
  previousSecretValidUntil: Nullable(Time),
});

export const EventSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  at: Time,
  actor: Nullable(UserRef),
  ip: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
});

/** One line of text: no NUL, lone surrogate or other control character. */
export const Line = (options: StringOptions = {}) => Type.String({ ...options, pattern: TEXT_RULES.line });
/** A name: a line without bidirectional overrides or isolates, which would make it read as another. */
export const Name = (options: StringOptions = {}) => Type.String({ ...options, pattern: TEXT_RULES.name });
/** Free text: a line's rules, but tab and newline allowed. */
export const Text = (options: StringOptions = {}) => Type.String({ ...options, pattern: TEXT_RULES.text });

// ajv's `uuid` format also takes `urn:uuid:…`, which the database would not.
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const IdParams = Type.Object({ id: Type.String({ pattern: UUID }) }, { additionalProperties: false });

/** The query of a route that takes no parameters: any one is refused, not ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** The query of a token route: only the `token` carrier. */
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

export const ExpiryFields = {
  expiresInDays: Type.Optional(Type.Integer({ description: '30, 90 or 365' })),
  expiresAt: Type.Optional(
    Type.String({ maxLength: 64, description: 'ISO-8601 time, 1 minute to 5 years ahead' }),
  ),
};

export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));

export const TOKEN_SECURITY: Record<string, string[]>[] = [{ ffAuth: [] }, { bearer: [] }];
export const SESSION_SECURITY: Record<string, string[]>[] = [{ session: [] }];
