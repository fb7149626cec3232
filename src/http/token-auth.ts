// Token authentication for token routes (SPEC section 4): read the carriers, refuse ambiguity, verify,
// then record usage or failure in memory (flushed later). Failed checks count against the client's
// address; once it is limited, failures answer 429 but a valid token still works. Error bodies never
// echo what was presented; every 401 says why in WWW-Authenticate (RFC 6750), for gateways that drop it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Verification, VerifiedToken } from '../tokens/verdict.js';
import type { RouteDeps } from './route-deps.js';
import { clientAddress } from './client-address.js';
import { ApiError } from './errors.js';
import { clientKey } from './rate-limit.js';

export type Carrier = 'FF_AUTH' | 'FF-Auth' | 'Authorization' | 'query';

export interface Presented {
  token: string;
  carrier: Carrier;
}

const header = (request: FastifyRequest, name: string) => {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The `token` query parameter, named literally. A name that only decodes to `token` (`%74oken`) is
 * refused: gateways strip the literal name before the platform, so the secret would travel on to it.
 */
function queryToken(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const query = url.slice(q + 1);
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (name !== 'token' && (name.includes('%') || name.includes('+')) && decodedName(name) === 'token')
      throw new ApiError('invalid_request', 'write the token parameter as token=', 'token');
  }
  return new URLSearchParams(query).get('token') ?? undefined;
}

function decodedName(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

const BEARER = /^Bearer[ \t]/i;

/** The credential of `Authorization: Bearer <token>` (scheme in any case), found without a match array. */
function bearer(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !BEARER.test(authorization)) return undefined;
  let start = 7;
  while (authorization[start] === ' ' || authorization[start] === '\t') start++;
  return authorization.slice(start);
}

/** Adds one carrier's token to what was found so far: two different tokens are refused. */
function offer(found: Presented | undefined, token: string | undefined, carrier: Carrier) {
  if (token === undefined) return found;
  const trimmed = token.trim();
  if (found === undefined) return { token: trimmed, carrier };
  if (found.token !== trimmed)
    throw new ApiError('ambiguous_credentials', 'the request carries two different tokens');
  return found;
}

/**
 * The token a request presents, the same in every carrier it uses (or none). `proxied`: the request
 * comes from a trusted gateway, whose original-URI headers are read too — every one of them, since a
 * gateway that sets one passes the client's own copy of the other on unchanged.
 * Runs on every token check, so it builds no list.
 */
export function presentedToken(request: FastifyRequest, proxied = false): Presented | undefined {
  // Node keeps `FF_AUTH` as `ff_auth`; `FF-Auth` is the alias for proxies that drop underscores.
  let found = offer(undefined, header(request, 'ff_auth'), 'FF_AUTH');
  found = offer(found, header(request, 'ff-auth'), 'FF-Auth');
  found = offer(found, bearer(header(request, 'authorization')), 'Authorization');
  found = offer(found, queryToken(request.url), 'query');
  if (!proxied) return found;
  found = offer(found, queryToken(header(request, 'x-original-uri')), 'query');
  return offer(found, queryToken(header(request, 'x-forwarded-uri')), 'query');
}

/** Whether a request carries any token at all (two different ones included). */
export function hasCarrier(request: FastifyRequest): boolean {
  try {
    return presentedToken(request) !== undefined;
  } catch {
    return true;
  }
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * Applies `fn` now to a value, or later to a promise: the cached path stays free of promises. Not named
 * `then`: a module exporting `then` is a thenable, and `await import()` of it would call it.
 */
export function andThen<T, U>(value: MaybePromise<T>, fn: (t: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/**
 * Authenticates the request's token for `permission`: the verified token — synchronously while it is
 * cached, since this runs on every request — or the catalogued error, thrown or rejected.
 */
export function authenticate(
  deps: RouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  permission: string | null,
  proxied = false,
): MaybePromise<VerifiedToken> {
  const first = presentedToken(request, proxied);
  if (!first)
    throw new ApiError(
      'missing_token',
      'send a token in FF_AUTH, Authorization: Bearer or ?token=',
      undefined,
      {
        'www-authenticate': CHALLENGE,
      },
    );
  const now = deps.services.clock();
  const result = deps.services.verifier.verify(first.token, request.institution.id, permission, now);
  if (result instanceof Promise) return result.then((r) => settle(deps, request, reply, first, now, r));
  return settle(deps, request, reply, first, now, result);
}

function settle(
  deps: RouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  presented: Presented,
  now: Date,
  result: Verification,
): MaybePromise<VerifiedToken> {
  if (!result.ok) return refuse(deps, request, result, now);
  const { token } = result;
  deps.metrics.tokenCheck('ok');
  deps.services.usage.recordUse(
    token.id,
    now.getTime(),
    clientAddress(request),
    (header(request, 'user-agent') ?? '').slice(0, 500),
    presented.carrier,
  );
  if (token.validUntil) void reply.header('ff-auth-token-valid-until', token.validUntil);
  return token;
}

async function refuse(
  deps: RouteDeps,
  request: FastifyRequest,
  result: Extract<Verification, { ok: false }>,
  now: Date,
): Promise<never> {
  const { services, limiter, metrics } = deps;
  const ip = clientAddress(request);
  metrics.tokenCheck(result.reason);
  const known = result.token && result.token.institutionId === request.institution.id ? result.token : null;
  // Known tokens' failures become audit events; another institution's token is reported to its owner.
  if (result.token && result.reason !== 'insufficient_permission') {
    services.usage.recordFailure({
      tokenId: result.token.id,
      institutionId: result.token.institutionId,
      failure: known ? result.reason : 'wrong_institution',
      at: now,
      ip,
    });
  }
  if (result.reason === 'token_expired' && known && known.state !== 'expired') {
    await services.tokens.recordExpiry([known.id]);
  }
  if (result.reason === 'insufficient_permission') {
    throw new ApiError('insufficient_permission', 'this token lacks the permission for this route');
  }
  // Counted after the check, so a valid token from a limited address still passes; only failures pay.
  const retryAfter = await limiter.fail(`token:${clientKey(ip)}`, deps.config.authFailureLimit);
  if (retryAfter > 0) {
    throw new ApiError('rate_limited', 'too many failed attempts; try later', undefined, {
      'retry-after': String(retryAfter),
    });
  }
  throw new ApiError(result.reason, MESSAGES[result.reason], undefined, {
    'www-authenticate': `${CHALLENGE}, error="invalid_token", error_description="${result.reason}"`,
  });
}

const CHALLENGE = 'Bearer realm="tokend"';

const MESSAGES = {
  invalid_token: 'the token is not valid',
  token_suspended: 'the token is suspended',
  token_revoked: 'the token is revoked',
  token_expired: 'the token has expired',
  token_rotated: 'this secret was replaced by a rotation; use the new one',
} as const;
