// The answers each route states in the OpenAPI document: its success with the headers it carries, and
// each failure as an Error naming the codes it can hold, with the headers that go with it on that kind
// of route (CORS on token routes, WWW-Authenticate on their 401s, Retry-After on a 429, X-Tokend-Error
// from forward auth). Fastify serialises each answer by the same schema.
import { type TSchema, Type } from '@sinclair/typebox';
import type { ErrorCode } from '../errors.js';
import { ref } from './schema-kit.js';
import { ErrorSchema } from './schemas.js';

interface Header {
  type: 'string' | 'integer';
  format?: string;
  description: string;
}
type Headers = Record<string, Header>;

const text = (description: string): Header => ({ type: 'string', description });

export const HEADERS = {
  noStore: { 'Cache-Control': text('`no-store`: nothing keeps an API answer') },
  secret: { 'Cache-Control': text('`no-store`: the answer holds a secret') },
  validUntil: {
    'FF-Auth-Token-Valid-Until': {
      type: 'string',
      format: 'date-time',
      description:
        'When the presented secret stops working: the expiry, or an old secret’s earlier grace end; absent without expiry',
    },
  },
  setCookie: { 'Set-Cookie': text('The session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS)') },
  clearCookie: { 'Set-Cookie': text('The session cookie, expired') },
  download: { 'Content-Disposition': text('`attachment` with the file’s name') },
  forwarded: {
    'X-Tokend-Token-Id': text('The token’s id'),
    'X-Tokend-Institution': text('The institution’s slug'),
    'X-Tokend-Permissions': text('The token’s permissions, comma-separated, no spaces'),
  },
} satisfies Record<string, Headers>;

/** What every answer of a token route carries (SPEC section 4). */
export const CORS: Headers = {
  'Access-Control-Allow-Origin': text('`*`: any origin, without credentials'),
  'Access-Control-Expose-Headers': text('`FF-Auth-Token-Valid-Until`'),
};

/** A JSON success answer. */
export const json = <T extends TSchema>(description: string, schema: T, headers: Headers = {}) => ({
  description,
  ...(Object.keys(headers).length > 0 ? { headers } : {}),
  content: { 'application/json': { schema } },
});

/** A success answer without a body (the handler sends nothing; the document writes no content). */
export const empty = (description: string, headers: Headers = {}) =>
  Type.Unsafe<undefined>({ type: 'null', description, headers });

/** What each code means, in a failure's description. */
const MEANS: Record<ErrorCode, string> = {
  invalid_request: 'a value, query parameter, id or cursor is not valid (`field` names it)',
  ambiguous_credentials: 'two carriers hold different tokens',
  missing_token: 'no token was sent',
  unauthenticated: 'no session: log in first',
  invalid_token: 'malformed, bad checksum, unknown, or another institution’s',
  token_suspended: 'the token is suspended',
  token_revoked: 'the token is revoked',
  token_expired: 'the token has expired',
  token_rotated: 'an old secret past its grace period',
  invalid_credentials: 'wrong email or password',
  insufficient_permission:
    'lacks the permission or feature (a token on a staff route, too); on a token route `permission` names the first missing one',
  ip_not_allowed: 'the token’s network rule does not allow the client’s address',
  invalid_signature: 'a leak report’s signature or revocation token does not verify',
  csrf: 'a state-changing request without the session’s X-CSRF-Token',
  https_required: 'plain HTTP where HTTPS is required',
  not_found: 'no such resource in this institution',
  unknown_institution: 'no institution answers on this host',
  request_timeout: 'the body did not arrive in time',
  invalid_transition: 'the token’s state does not allow it',
  payload_too_large: 'the body is too large',
  unsupported_media_type: 'the content type is not accepted',
  rate_limited: 'too many failures from this address or for this account',
  internal: 'a fault of tokend',
  unavailable: 'the database cannot be reached: try again shortly',
};

const STATUSES = [400, 401, 403, 404, 408, 409, 413, 415, 429, 431, 503] as const;
export type Status = (typeof STATUSES)[number];
export type Failures = Partial<Record<Status, readonly ErrorCode[]>>;

/** Where a route sits: its failures carry that scope's headers. */
type Scope = 'session' | 'token' | 'forward';

function failureHeaders(scope: Scope, status: Status): Headers {
  const headers: Headers = scope === 'session' ? {} : { ...CORS };
  if (scope !== 'session' && status === 401)
    headers['WWW-Authenticate'] = text('`Bearer realm="tokend"`, with `error="invalid_token"` and the code');
  if (status === 429) headers['Retry-After'] = { type: 'integer', description: 'Seconds to wait' };
  if (scope === 'forward')
    headers['X-Tokend-Error'] = text('The error code, for gateways that drop the body');
  return headers;
}

const ErrorRef = ref(ErrorSchema);

type ErrorAnswer = ReturnType<typeof json<typeof ErrorRef>>;

/** The failures of a route, each status with the codes it can answer. */
export function failures<const F extends Failures>(scope: Scope, codes: F) {
  const out: Partial<Record<Status, ErrorAnswer>> = {};
  for (const status of STATUSES) {
    const list = codes[status];
    if (!list) continue;
    const description = list.map((c) => `\`${c}\`: ${MEANS[c]}`).join('; ');
    out[status] = json(description, ErrorRef, failureHeaders(scope, status));
  }
  return out as { [S in keyof F & Status]: ErrorAnswer };
}

// The failures every route of a kind shares, for routes to extend.
const EDGE = { 431: ['invalid_request'], 503: ['unavailable'] } as const;
/** A route that takes a JSON body: too slow, too large, not JSON. */
export const JSON_BODY = {
  408: ['request_timeout'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
} as const;

/** A staff route's (a session with the tokens feature): GET. */
export const STAFF_READ = {
  ...EDGE,
  400: ['invalid_request'],
  401: ['unauthenticated'],
  403: ['insufficient_permission', 'https_required'],
  404: ['unknown_institution'],
} as const satisfies Failures;

/** A staff route that changes something: a body, and the CSRF header. */
export const STAFF_WRITE = {
  ...STAFF_READ,
  ...JSON_BODY,
  403: ['insufficient_permission', 'csrf', 'https_required'],
} as const satisfies Failures;

/** A token route's: the token check's refusals. */
export const TOKEN_CHECK = {
  ...EDGE,
  400: ['invalid_request', 'ambiguous_credentials'],
  401: [
    'missing_token',
    'invalid_token',
    'token_suspended',
    'token_revoked',
    'token_expired',
    'token_rotated',
  ],
  403: ['insufficient_permission', 'ip_not_allowed', 'https_required'],
  404: ['unknown_institution'],
  429: ['rate_limited'],
} as const satisfies Failures;

/** The id of a resource that may not exist (or be another institution's). */
export const BY_ID = { 404: ['not_found', 'unknown_institution'] } as const;
