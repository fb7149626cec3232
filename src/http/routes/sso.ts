// Sign-in with the institution's identity provider (SPEC 11): what the login page offers (options), the
// start that sends the browser to the provider with a short-lived HttpOnly cookie binding the flow to
// it, and the callback that opens a session exactly like a password login. Both redirects end on the
// page: success at `returnTo` (or `/`), any refusal at `/?login_error=<reason>`, which the page words.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FLOW_MS } from '../../accounts/oidc.js';
import type { RouteDeps } from '../route-deps.js';
import { clientAddress, requestProtocol } from '../client-address.js';
import { empty, failures, HEADERS, json } from '../responses.js';
import { NoQuery, PUBLIC, ref } from '../schemas.js';
import { SESSION_COOKIE } from '../session-auth.js';
import { OidcCallbackQuery, OidcStartQuery, SessionOptionsSchema } from '../sso-schemas.js';

/** The cookie of a begun sign-in: sent only to the two SSO paths, also on the provider's redirect. */
export const FLOW_COOKIE = 'tokend_oidc';
const FLOW_PATH = '/apis/v1/session/oidc';

const EDGE = {
  403: ['https_required'],
  404: ['unknown_institution'],
  431: ['invalid_request'],
  503: ['unavailable'],
} as const;

const LOCATION = { Location: { type: 'string' as const, description: 'Where the browser goes next' } };

const secure = (request: FastifyRequest) => requestProtocol(request) === 'https';

/** A refusal: back to the login page with its reason; the flow's cookie is cleared. */
function toLoginPage(request: FastifyRequest, reply: FastifyReply, reason: string) {
  void reply.clearCookie(FLOW_COOKIE, {
    path: FLOW_PATH,
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(request),
  });
  void reply.header('cache-control', 'no-store');
  return reply.redirect(`/?login_error=${encodeURIComponent(reason)}`, 302);
}

export const ssoRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { services, config } = deps;

    app.get(
      '/apis/v1/session/options',
      {
        schema: {
          tags: ['session'],
          operationId: 'getSessionOptions',
          summary: 'How this institution signs in: its identity provider, and whether password login is open',
          security: PUBLIC,
          querystring: NoQuery,
          response: {
            200: json('The sign-in options', ref(SessionOptionsSchema), HEADERS.noStore),
            ...failures('session', { ...EDGE, 400: ['invalid_request'] }),
          },
        },
      },
      async (request, reply) => {
        const { sso, passwordLogin } = request.institution;
        void reply.header('cache-control', 'no-store');
        return { sso: sso !== null, provider: sso ? new URL(sso.issuer).host : null, passwordLogin };
      },
    );

    app.get(
      '/apis/v1/session/oidc',
      {
        schema: {
          tags: ['session'],
          operationId: 'startOidcLogin',
          summary: 'Sign in with the identity provider: redirects there (code flow, PKCE S256, state, nonce)',
          description:
            'Sets a short-lived HttpOnly cookie that binds the sign-in to this browser. Any refusal redirects to `/?login_error=<reason>`.',
          security: PUBLIC,
          querystring: OidcStartQuery,
          response: {
            302: empty('To the provider, or back to the login page with a reason', {
              ...LOCATION,
              'Set-Cookie': { type: 'string', description: 'The sign-in’s cookie (HttpOnly, SameSite=Lax)' },
            }),
            ...failures('session', { ...EDGE, 400: ['invalid_request'] }),
          },
        },
      },
      async (request, reply) => {
        const started = await services.oidc.start(request.institution, request.query.returnTo);
        if (!started.ok) {
          request.log.warn(
            { reason: started.reason, detail: started.detail },
            'sign-in with the provider refused',
          );
          return toLoginPage(request, reply, started.reason);
        }
        void reply.setCookie(FLOW_COOKIE, started.value.cookie, {
          path: FLOW_PATH,
          httpOnly: true,
          // Lax: the provider's redirect back is a top-level navigation from its site.
          sameSite: 'lax',
          secure: secure(request),
          maxAge: Math.floor(FLOW_MS / 1000),
        });
        void reply.header('cache-control', 'no-store');
        return reply.redirect(started.value.location, 302);
      },
    );

    app.get(
      '/apis/v1/session/oidc/callback',
      {
        schema: {
          tags: ['session'],
          operationId: 'finishOidcLogin',
          summary: 'Where the identity provider returns: checks the answer and opens a session',
          description:
            'Register `<TOKEND_PUBLIC_URL scheme>://<the institution’s first hostname>:<port>/apis/v1/session/oidc/callback` at the provider. Success sets the session cookie and redirects to `returnTo` (or `/`); any refusal opens nothing and redirects to `/?login_error=<reason>`.',
          security: PUBLIC,
          querystring: OidcCallbackQuery,
          response: {
            302: empty('To the page, signed in, or back to the login page with a reason', {
              ...LOCATION,
              ...HEADERS.setCookie,
            }),
            ...failures('session', { ...EDGE, 400: ['invalid_request'] }),
          },
        },
      },
      async (request, reply) => {
        const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        const result = await services.oidc.finish(
          request.institution,
          request.cookies[FLOW_COOKIE],
          search,
          clientAddress(request),
        );
        if (!result.ok) {
          request.log.warn(
            { reason: result.reason, detail: result.detail },
            'sign-in with the provider refused',
          );
          return toLoginPage(request, reply, result.reason);
        }
        void reply.clearCookie(FLOW_COOKIE, {
          path: FLOW_PATH,
          httpOnly: true,
          sameSite: 'lax',
          secure: secure(request),
        });
        // The same cookie as a password login's (session.ts).
        void reply.setCookie(SESSION_COOKIE, result.value.sessionId, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: secure(request),
          maxAge: Math.floor(config.sessionMaxMs / 1000),
        });
        void reply.header('cache-control', 'no-store');
        return reply.redirect(result.value.returnTo ?? '/', 302);
      },
    );
    done();
  };
