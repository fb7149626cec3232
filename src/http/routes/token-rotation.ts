// Self-rotation (SPEC 7): `POST /apis/v1/token/rotate`, the one write a token can make, for tokens
// holding tokens.self_rotate. It sits with the token routes in their scope (CORS, no session); the
// service guards the write on the presented secret being the current one, so of two concurrent calls
// by one secret exactly one gets a new secret.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SELF_ROTATE } from '../../permissions/rules.js';
import type { RouteDeps } from '../route-deps.js';
import { clientAddress } from '../client-address.js';
import { CORS, failures, HEADERS, JSON_BODY, json, TOKEN_CHECK } from '../responses.js';
import { ref, SelfRotatedSchema, SelfRotateRequest, TOKEN_SECURITY, TokenQuery } from '../schemas.js';
import { answer } from '../staff-route.js';
import { authenticate, presentedToken } from '../token-auth.js';

const ROTATE_URL = '/apis/v1/token/rotate';

/** Its preflight: a JSON body, so Content-Type beside the carriers. */
function preflight(reply: FastifyReply) {
  return reply.headers({
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'FF_AUTH, FF-Auth, Authorization, Content-Type',
    'access-control-max-age': '600',
  });
}

/** The token and the secret that asked, as preValidation verified them. */
const callers = new WeakMap<FastifyRequest, { id: string; secret: string }>();

async function verifyCaller(deps: RouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const verified = await authenticate(deps, request, reply, [SELF_ROTATE]);
  const presented = presentedToken(request);
  // authenticate refuses anything but one token, the one it verified.
  if (presented.kind !== 'one') throw new Error('a verified request presents one token');
  callers.set(request, { id: verified.id, secret: presented.token });
}

const earlier = (a: string | null, b: string) => (a !== null && a < b ? a : b);

export const tokenRotationRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { tokens } = deps.services;
    app.options(ROTATE_URL, { schema: { hide: true } }, (_request, reply) =>
      preflight(reply).status(204).send(),
    );

    app.post(
      ROTATE_URL,
      {
        // Authentication before validation, as on staff routes: an anonymous caller learns nothing of
        // the schema. An absent body is `{}`, so that `curl -X POST` with the token alone rotates.
        preValidation: async (request, reply) => {
          await verifyCaller(deps, request, reply);
          if (request.body === undefined || request.body === null) request.body = {};
        },
        schema: {
          tags: ['token'],
          operationId: 'rotateOwnToken',
          summary: 'A new secret for the calling token (it needs tokens.self_rotate)',
          description:
            'Only the current secret may rotate itself: a previous secret in its grace period, or the loser of two concurrent calls, gets 409.',
          security: TOKEN_SECURITY,
          querystring: TokenQuery,
          body: ref(SelfRotateRequest),
          response: {
            200: json(
              'The new secret, the token’s own view, and the old secret’s end',
              ref(SelfRotatedSchema),
              {
                ...HEADERS.validUntil,
                ...HEADERS.secret,
                ...CORS,
              },
            ),
            ...failures('token', {
              ...TOKEN_CHECK,
              ...JSON_BODY,
              409: ['invalid_transition'],
            }),
          },
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        const caller = callers.get(request);
        if (!caller) throw new Error('self-rotation without a verified caller');
        const ip = clientAddress(request);
        const rotated = answer(
          await tokens.selfRotate(request.institution, caller.id, caller.secret, ip, request.body),
        );
        // The secret that asked now stops at its grace end (or its expiry, if that comes first).
        const until = earlier(rotated.token.expiresAt, rotated.previousSecretValidUntil);
        void reply.header('ff-auth-token-valid-until', until);
        return rotated;
      },
    );
    done();
  };
