// Routes an integration calls with its token: its own view (`GET /apis/v1/token`) and forward auth
// for a gateway (`GET /apis/v1/auth`, with the permissions the gateway requires). CORS for token routes lives here too: any origin, no
// credentials, preflight answered without authentication — a gateway's forwarded preflight included.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, onSendHookHandler } from 'fastify';
import type { VerifiedToken } from '../../tokens/verdict.js';
import type { RouteDeps } from '../route-deps.js';
import { CORS, empty, failures, HEADERS, json, TOKEN_CHECK } from '../responses.js';
import { OwnTokenSchema, ref, TOKEN_SECURITY, TokenQuery } from '../schemas.js';
import { fromTrustedProxy } from '../client-address.js';
import { andThen, authenticate } from '../token-auth.js';

// The bench loads TokenQuery from here (bench/tokend-bench.ts).
export { TokenQuery };

export const TOKEN_ROUTES = ['/apis/v1/token', '/apis/v1/auth', '/apis/v1/files/:id/download'];

export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'FF-Auth-Token-Valid-Until',
};

/** Forward auth's query is the gateway's request's own (Caddy keeps the client's): any field passes. */
const ForwardQuery = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 8192 })) },
  { additionalProperties: true },
);

/** What a gateway tells forward auth (the URI and method only count from a trusted proxy). */
const ForwardHeaders = Type.Object({
  'X-Tokend-Permission': Type.Optional(
    Type.String({ description: 'Permissions the token must hold, separated by commas or spaces' }),
  ),
  'X-Original-URI': Type.Optional(Type.String({ description: 'The client’s URI (nginx), for ?token=' })),
  'X-Forwarded-Uri': Type.Optional(Type.String({ description: 'The client’s URI (Traefik, Caddy)' })),
  'X-Forwarded-Method': Type.Optional(
    Type.String({ description: '`OPTIONS`: the client’s preflight, answered without a token' }),
  ),
});

/** What tokend's own preflight answers, beside the scope's CORS headers. */
function preflight(reply: FastifyReply) {
  return reply.headers({
    'access-control-allow-methods': 'GET, OPTIONS',
    'access-control-allow-headers': 'FF_AUTH, FF-Auth, Authorization',
    'access-control-max-age': '600',
  });
}

/**
 * Forward auth's refusals name their code in X-Tokend-Error: nginx's auth_request drops the body, and
 * a client behind it could not tell a suspended token from an expired one. Read back from the answer so
 * that every refusal has it, those of the scope's hook (unknown host, plain HTTP) and 503 included.
 */
const nameRefusal: onSendHookHandler = (_request, reply, payload, done) => {
  if (reply.statusCode >= 400 && typeof payload === 'string') {
    try {
      const code = (JSON.parse(payload) as { error?: unknown }).error;
      if (typeof code === 'string') void reply.header('x-tokend-error', code);
    } catch {
      // not the catalogue's JSON: nothing to name
    }
  }
  done(null, payload);
};

/**
 * X-Tokend-Permission's keys, separated by commas or spaces (SPEC 8): the token needs all of them, and
 * the first it lacks is named in their order. No header (or an empty one) requires nothing.
 */
export function requiredPermissions(header: string | string[] | undefined): string[] | null {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return null;
  const keys = text.split(/[\s,]+/).filter((k) => k !== '');
  return keys.length > 0 ? keys : null;
}

// What a verified token sees of itself: only active tokens pass the check, so the view is always active.
const ownView = (token: VerifiedToken) => token.ownView;

export const tokenRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    for (const url of TOKEN_ROUTES) {
      app.options(url, { schema: { hide: true } }, (_request, reply) => preflight(reply).status(204).send());
    }

    // The answer is the verified token's own view, serialised once per cache fill (Reply: that JSON
    // text); openapi-document.test.ts checks it against OwnToken.
    app.get<{ Reply: string }>(
      '/apis/v1/token',
      {
        schema: {
          tags: ['token'],
          operationId: 'getOwnToken',
          summary: 'The calling token’s own view',
          security: TOKEN_SECURITY,
          querystring: TokenQuery,
          response: {
            200: json('The token', ref(OwnTokenSchema), {
              ...HEADERS.validUntil,
              ...HEADERS.noStore,
              ...CORS,
            }),
            // No permission is needed for the own view; the network rule still applies.
            ...failures('token', { ...TOKEN_CHECK, 403: ['ip_not_allowed', 'https_required'] }),
          },
        },
      },
      // Not async: a cached token is answered without a promise (this is the hot path), and from the
      // verified (cached) facts: the token's own view costs no query of its own.
      (request, reply) => {
        void reply.type('application/json; charset=utf-8');
        return andThen(authenticate(deps, request, reply, null), ownView);
      },
    );

    app.get(
      '/apis/v1/auth',
      {
        schema: {
          tags: ['token'],
          operationId: 'forwardAuth',
          summary: 'Forward auth for a gateway (nginx auth_request, Traefik forwardAuth, Envoy ext_authz)',
          description:
            'Checks the token of the request the gateway forwards; name the permissions it needs in X-Tokend-Permission (separated by commas or spaces; all are needed).',
          security: TOKEN_SECURITY,
          querystring: ForwardQuery,
          headers: ForwardHeaders,
          response: {
            200: empty('The token may pass', { ...HEADERS.forwarded, ...HEADERS.validUntil, ...CORS }),
            ...failures('forward', TOKEN_CHECK),
          },
        },
        onSend: nameRefusal,
      },
      (request, reply) => {
        const proxied = fromTrustedProxy(request);
        // A gateway asks about a client's preflight too (Caddy sends it as GET with X-Forwarded-Method):
        // it carries no token by design, so it is answered as tokend answers its own, with forward auth's
        // 200 (Envoy's ext_authz takes nothing else as a yes).
        if (proxied && request.headers['x-forwarded-method']?.toUpperCase() === 'OPTIONS') {
          preflight(reply);
          void reply.status(200).send(undefined);
          return;
        }
        const required = requiredPermissions(request.headers['x-tokend-permission']);
        return andThen(authenticate(deps, request, reply, required, proxied), (verified) => {
          void reply.header('x-tokend-token-id', verified.id);
          void reply.header('x-tokend-institution', request.institution.slug);
          void reply.header('x-tokend-permissions', verified.permissions.join(','));
          void reply.status(200).send(undefined);
        });
      },
    );
    done();
  };
