// Login and logout for the page and for staff automation: POST creates a database session and sets
// an HttpOnly, SameSite=Strict cookie (Secure over HTTPS), DELETE clears it with the same attributes;
// failed logins count against the client's address and against the account.
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Session } from '../../accounts/service.js';
import { userView } from '../../accounts/users.js';
import type { RouteDeps } from '../route-deps.js';
import { clientAddress, requestProtocol } from '../client-address.js';
import { ApiError } from '../errors.js';
import { clientKey } from '../rate-limit.js';
import { errors, Line, NoQuery, SESSION_SECURITY } from '../schemas.js';
import { currentSession, requireSession, SESSION_COOKIE } from '../session-auth.js';

const SessionView = Type.Object({
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

const view = (request: FastifyRequest, s: Session) => ({
  user: {
    ...userView(s.user),
    institution: { slug: request.institution.slug, name: request.institution.name },
  },
  csrfToken: s.csrfToken,
});

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

export const sessionRoutes = (deps: RouteDeps) => async (app: FastifyInstance) => {
  const { services, limiter, config } = deps;

  app.post(
    '/apis/v1/session',
    {
      schema: {
        tags: ['session'],
        querystring: NoQuery,
        body: Type.Object(
          {
            email: Line({ minLength: 1, maxLength: 320 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SessionView, ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body as { email: string; password: string };
      const keys = await countAttempt(deps, request, email);
      const result = await services.accounts.login(request.institution.id, email, password);
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
        security: SESSION_SECURITY,
        querystring: NoQuery,
        response: { 200: SessionView, ...errors(400, 401) },
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
      schema: {
        tags: ['session'],
        security: SESSION_SECURITY,
        querystring: NoQuery,
        response: { ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const session = await requireSession(deps, request, null);
      await services.accounts.logout(session);
      // The same attributes as the login's: a browser only replaces a cookie that matches it.
      void reply.clearCookie(SESSION_COOKIE, cookieAttributes(request));
      return reply.status(204).send();
    },
  );
};
