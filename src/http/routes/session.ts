// Login and logout for the page and for staff automation: POST creates a database session and sets
// an HttpOnly, SameSite=Strict cookie (Secure over HTTPS), DELETE clears it with the same attributes;
// failed logins count against the client's address and against the account.
import { createHash } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Session } from '../../accounts/service.js';
import { userView } from '../../accounts/users.js';
import type { RouteDeps } from '../route-deps.js';
import { clientAddress, requestProtocol } from '../client-address.js';
import { ApiError } from '../errors.js';
import { clientKey } from '../rate-limit.js';
import { empty, failures, HEADERS, JSON_BODY, json, STAFF_READ, STAFF_WRITE } from '../responses.js';
import {
  CsrfHeader,
  LoginRequest,
  NoQuery,
  PUBLIC,
  ref,
  SESSION_SECURITY,
  SessionSchema,
} from '../schemas.js';
import { roleOf } from '../views.js';
import { currentSession, requireSession, SESSION_COOKIE } from '../session-auth.js';

const view = (request: FastifyRequest, s: Session) => {
  const user = userView(s.user);
  return {
    user: {
      ...user,
      role: roleOf(user.role),
      institution: { slug: request.institution.slug, name: request.institution.name },
    },
    csrfToken: s.csrfToken,
  };
};

// A login takes a JSON body on a staff scope's connection: its edge failures, without a session's.
const LOGIN = {
  400: ['invalid_request'],
  403: ['https_required'],
  404: ['unknown_institution'],
  ...JSON_BODY,
  431: ['invalid_request'],
  503: ['unavailable'],
} as const;

/** The session cookie's attributes, at login and at logout. */
const cookieAttributes = (request: FastifyRequest) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'strict' as const,
  secure: requestProtocol(request) === 'https',
});

/**
 * Counts a login attempt against the client's address and against the account (its email in this
 * institution, whatever the address: a guesser with many addresses meets the second). Counted before
 * the password check and forgiven after a success: checking first and counting after would let a burst
 * of parallel guesses all pass the check. Returns the keys to forgive; throws 429 when over a limit.
 */
async function countAttempt(deps: RouteDeps, request: FastifyRequest, email: string): Promise<string[]> {
  const { limiter, config } = deps;
  // Hashed: the counters (in Redis too) hold no email address.
  const name = createHash('sha256').update(`${request.institution.id}\n${email.trim().toLowerCase()}`);
  const address = `login:${clientKey(clientAddress(request))}`;
  const account = `account:${name.digest('base64url')}`;
  const waits = await Promise.all([
    limiter.fail(address, config.loginFailureLimit),
    limiter.fail(account, config.loginAccountLimit),
  ]);
  const wait = Math.max(...waits);
  if (wait > 0)
    throw new ApiError('rate_limited', 'too many failed logins; try later', undefined, {
      'retry-after': String(wait),
    });
  return [address, account];
}

const SESSION = ref(SessionSchema);

export const sessionRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { services, limiter, config } = deps;

    app.post(
      '/apis/v1/session',
      {
        schema: {
          tags: ['session'],
          operationId: 'login',
          summary: 'Log in with email and password: sets the session cookie',
          security: PUBLIC,
          querystring: NoQuery,
          body: ref(LoginRequest),
          response: {
            200: json('Logged in', SESSION, { ...HEADERS.setCookie, ...HEADERS.noStore }),
            ...failures('session', {
              ...LOGIN,
              401: ['invalid_credentials'],
              429: ['rate_limited'],
            }),
          },
        },
      },
      async (request, reply) => {
        const { email, password } = request.body;
        const keys = await countAttempt(deps, request, email);
        const ip = clientAddress(request);
        const result = await services.accounts.login(request.institution, email, password, ip);
        if (!result) throw new ApiError('invalid_credentials', 'wrong email or password');
        await Promise.all(keys.map((key) => limiter.forgive(key)));
        void reply.setCookie(SESSION_COOKIE, result.sessionId, {
          ...cookieAttributes(request),
          maxAge: Math.floor(config.sessionMaxMs / 1000),
        });
        void reply.header('cache-control', 'no-store');
        return view(request, result.session);
      },
    );

    app.get(
      '/apis/v1/session',
      {
        schema: {
          tags: ['session'],
          operationId: 'getSession',
          summary: 'The signed-in user and the CSRF token',
          security: SESSION_SECURITY,
          querystring: NoQuery,
          response: {
            200: json('The session', SESSION, HEADERS.noStore),
            ...failures('session', { ...STAFF_READ, 403: ['https_required'] }),
          },
        },
      },
      async (request, reply) => {
        const session = await currentSession(deps, request);
        if (!session) throw new ApiError('unauthenticated', 'no session');
        void reply.header('cache-control', 'no-store');
        return view(request, session);
      },
    );

    app.delete(
      '/apis/v1/session',
      {
        // Authentication runs before validation, as on every staff route: an anonymous caller learns
        // nothing about the schema, and a refused request logs nobody out.
        preValidation: async (request) => {
          request.session = await requireSession(deps, request, null);
        },
        schema: {
          tags: ['session'],
          operationId: 'logout',
          summary: 'Log out: ends the session and clears its cookie',
          security: SESSION_SECURITY,
          querystring: NoQuery,
          headers: CsrfHeader,
          response: {
            204: empty('Logged out', HEADERS.clearCookie),
            ...failures('session', STAFF_WRITE),
          },
        },
      },
      async (request, reply) => {
        await services.accounts.logout(request.session, clientAddress(request));
        // The same attributes as the login's: a browser only replaces a cookie that matches it.
        void reply.clearCookie(SESSION_COOKIE, cookieAttributes(request));
        return reply.status(204).send(undefined);
      },
    );
    done();
  };
