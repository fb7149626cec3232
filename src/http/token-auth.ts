// Token authentication for token routes (SPEC section 4): read the carriers, refuse ambiguity, hand the
// token to the check service (tokens/check.ts: the decision and what it records), map its answer to
// HTTP. Failed checks (an address outside the token's network rule too) count against the client's
// address; once it is limited, failures answer 429 but a valid token still works. Error bodies never echo what was presented; every 401 says why in
// WWW-Authenticate (RFC 6750), for gateways that drop it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CheckContext, CheckResult } from '../tokens/check.js';
import type { Carrier } from '../tokens/usage.js';
import type { RequiredPermissions, TokenRefusal, VerifiedToken } from '../tokens/verdict.js';
import { scrub } from '../log.js';
import type { RouteDeps } from './route-deps.js';
import { clientAddress } from './client-address.js';
import { ApiError } from './errors.js';
import { clientKey } from './rate-limit.js';

export type { Carrier };

/**
 * What a request presents: no token, one (the same in every carrier it uses), two different ones, or a
 * `token` query parameter whose name is %-escaped. Only `one` is built per request; the rest are constants.
 */
export type Presented =
  | { kind: 'none' }
  | { kind: 'one'; token: string; carrier: Carrier }
  | { kind: 'ambiguous' }
  | { kind: 'misnamed' };

const NONE: Presented = { kind: 'none' };
const AMBIGUOUS: Presented = { kind: 'ambiguous' };
const MISNAMED = { kind: 'misnamed' } as const;

const header = (request: FastifyRequest, name: string) => {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The `token` query parameter, named literally. A name that only decodes to `token` (`%74oken`) is
 * refused: gateways strip the literal name before the platform, so the secret would travel on to it.
 */
function queryToken(url: string | undefined): string | undefined | typeof MISNAMED {
  if (!url) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const query = url.slice(q + 1);
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (name !== 'token' && (name.includes('%') || name.includes('+')) && decodedName(name) === 'token')
      return MISNAMED;
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

/** Adds one carrier's token to what was found so far: two different tokens are ambiguous. */
function offer(found: Presented, token: string | undefined | typeof MISNAMED, carrier: Carrier): Presented {
  // The first refusal found stands, as it would have had the carriers been read one by one.
  if (found.kind === 'ambiguous' || found.kind === 'misnamed' || token === undefined) return found;
  if (typeof token !== 'string') return MISNAMED;
  const trimmed = token.trim();
  if (found.kind === 'none') return { kind: 'one', token: trimmed, carrier };
  return found.token === trimmed ? found : AMBIGUOUS;
}

/**
 * The token a request presents. `proxied`: the request comes from a trusted gateway, whose original-URI
 * headers are read too — every one of them, since a gateway that sets one passes the client's own copy
 * of the other on unchanged. Runs on every token check, so it builds no list.
 */
export function presentedToken(request: FastifyRequest, proxied = false): Presented {
  // Node keeps `FF_AUTH` as `ff_auth`; `FF-Auth` is the alias for proxies that drop underscores.
  let found = offer(NONE, header(request, 'ff_auth'), 'FF_AUTH');
  found = offer(found, header(request, 'ff-auth'), 'FF-Auth');
  found = offer(found, bearer(header(request, 'authorization')), 'Authorization');
  found = offer(found, queryToken(request.url), 'query');
  if (!proxied) return found;
  found = offer(found, queryToken(header(request, 'x-original-uri')), 'query');
  return offer(found, queryToken(header(request, 'x-forwarded-uri')), 'query');
}

/** Whether a request carries any token at all (two different ones, or a misnamed one, included). */
export function hasCarrier(request: FastifyRequest): boolean {
  return presentedToken(request).kind !== 'none';
}

/**
 * The check's context, one object refilled for every check: check() reads it before returning (and copies
 * it when it must look the token up), so the cached path allocates none. It never holds the token.
 */
const CONTEXT: CheckContext = {
  institutionId: '',
  required: null,
  ip: '',
  userAgent: '',
  carrier: 'FF_AUTH',
};

export type MaybePromise<T> = T | Promise<T>;

/**
 * Applies `fn` now to a value, or later to a promise: the cached path stays free of promises. Not named
 * `then`: a module exporting `then` is a thenable, and `await import()` of it would call it.
 */
export function andThen<T, U>(value: MaybePromise<T>, fn: (t: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/**
 * Authenticates the request's token for `required` (every permission listed, or null for none beyond an
 * active token), from the client's address (client-address.ts): the verified token — synchronously while it is
 * cached, since this runs on every request — or the catalogued error, thrown or rejected. The check
 * decides and records (tokens/check.ts); this maps its answer to HTTP and counts failures per address.
 */
export function authenticate(
  deps: RouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  required: RequiredPermissions,
  proxied = false,
): MaybePromise<VerifiedToken> {
  const presented = presentedToken(request, proxied);
  if (presented.kind !== 'one') throw unusable(presented.kind);
  // SPEC 11: an institution may refuse `?token=` (URLs end up in logs). Refused before any lookup and
  // not counted as a failure: the token may well be good, only its carrier is not allowed.
  if (presented.carrier === 'query' && !request.institution.allowQueryToken) throw queryRefused();
  const ip = clientAddress(request);
  const context = CONTEXT;
  context.institutionId = request.institution.id;
  context.required = required;
  context.ip = ip;
  context.userAgent = (header(request, 'user-agent') ?? '').slice(0, 500);
  context.carrier = presented.carrier;
  const result = deps.services.tokenCheck.check(presented.token, context, deps.services.clock());
  if (result instanceof Promise) return result.then((r) => answer(deps, reply, ip, r));
  return answer(deps, reply, ip, result);
}

const queryRefused = () =>
  new ApiError(
    'invalid_request',
    'this institution does not take tokens in ?token=: send it in the FF_AUTH header or Authorization: Bearer',
    'token',
  );

function unusable(kind: 'none' | 'ambiguous' | 'misnamed'): ApiError {
  if (kind === 'ambiguous')
    return new ApiError('ambiguous_credentials', 'the request carries two different tokens');
  if (kind === 'misnamed')
    return new ApiError('invalid_request', 'write the token parameter as token=', 'token');
  return new ApiError(
    'missing_token',
    'send a token in FF_AUTH, Authorization: Bearer or ?token=',
    undefined,
    {
      'www-authenticate': CHALLENGE,
    },
  );
}

function answer(
  deps: RouteDeps,
  reply: FastifyReply,
  ip: string,
  result: CheckResult,
): MaybePromise<VerifiedToken> {
  if (!result.ok) return refuse(deps, ip, result);
  const { token } = result;
  deps.metrics.tokenCheck('ok');
  if (token.validUntil) void reply.header('ff-auth-token-valid-until', token.validUntil);
  return token;
}

async function refuse(deps: RouteDeps, ip: string, refusal: CheckResult & { ok: false }): Promise<never> {
  const { reason } = refusal;
  deps.metrics.tokenCheck(reason);
  if (reason === 'insufficient_permission') {
    // Forward auth's keys are the gateway's text, echoed: masked and cut like any echoed input.
    const permission = refusal.permission && scrub(refusal.permission).slice(0, 100);
    throw new ApiError(
      'insufficient_permission',
      'this token lacks a permission this route needs',
      undefined,
      {},
      permission,
    );
  }
  // Counted after the check, so a valid token from a limited address still passes; only failures pay.
  const retryAfter = await deps.limiter.fail(`token:${clientKey(ip)}`, deps.config.authFailureLimit);
  if (retryAfter > 0) {
    throw new ApiError('rate_limited', 'too many failed attempts; try later', undefined, {
      'retry-after': String(retryAfter),
    });
  }
  // A 403, so no challenge: the token is good, the address it came from is not.
  if (reason === 'ip_not_allowed') throw new ApiError(reason, MESSAGES[reason]);
  throw new ApiError(reason, MESSAGES[reason], undefined, {
    'www-authenticate': `${CHALLENGE}, error="invalid_token", error_description="${reason}"`,
  });
}

/**
 * Logs and counts the token check's background failures through this app: a failed cache refresh is
 * counted every time and logged once per run of failures (an outage would otherwise log twice per
 * cache lifetime); a failed expiry write is logged, and the next check of the token tries it again.
 */
export function watchTokenChecks(deps: RouteDeps): void {
  deps.services.tokenCheck.watch({
    refreshFailed: (err, streak) => {
      deps.metrics.cacheRefreshFailed();
      if (streak === 1)
        deps.logger.warn({ err }, 'token cache refresh failed; entries run out their lifetime');
    },
    expiryFailed: (err) =>
      deps.logger.warn({ err }, 'recording a token expiry failed; the next check retries'),
  });
}

const CHALLENGE = 'Bearer realm="tokend"';

const MESSAGES: Record<TokenRefusal, string> = {
  invalid_token: 'the token is not valid',
  token_suspended: 'the token is suspended',
  token_revoked: 'the token is revoked',
  token_expired: 'the token has expired',
  token_rotated: 'this secret was replaced by a rotation; use the new one',
  ip_not_allowed: 'the token may not be used from this address',
};
