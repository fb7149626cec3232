// Login and logout for the page and for staff automation: POST creates a database session and sets
// an HttpOnly, SameSite=Strict cookie (Secure over HTTPS); failed logins count against the address.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { login, logout, type Session } from '../../accounts/sessions.js';
import { userView } from '../../accounts/users.js';
import type { RouteDeps } from '../app.js';
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
      // The attempt is counted before the password check and forgiven if it succeeds: checking first
      // and counting after would let a burst of parallel guesses all pass the check.
      const key = `login:${clientKey(request.ip)}`;
      const wait = await limiter.fail(key, config.loginFailureLimit);
      if (wait > 0)
        throw new ApiError('rate_limited', 'too many failed logins; try later', undefined, {
          'retry-after': String(wait),
        });
      const { email, password } = request.body as { email: string; password: string };
      const result = await login(services.db, services.clock, request.institution.id, email, password);
      if (!result) throw new ApiError('invalid_credentials', 'wrong email or password');
      await limiter.forgive(key);
      void reply.setCookie(SESSION_COOKIE, result.sessionId, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
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
        response: { 200: SessionView, ...errors(401) },
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
    { schema: { tags: ['session'], security: SESSION_SECURITY, response: { ...errors(401, 403) } } },
    async (request, reply) => {
      const session = await requireSession(deps, request, null);
      await logout(services.db, session);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );
};
