// The management API's changes to a token (SPEC sections 2, 7 and 8): suspend, reactivate, revoke,
// rotate, renew and edit, by staff with the tokens feature. Each is a guarded change in the service; here, the
// request is read, the change asked for, and the token (with its new secret, for rotate) answered.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { Transition } from '../../tokens/lifecycle.js';
import type { RouteDeps } from '../route-deps.js';
import { BY_ID, failures, HEADERS, json, STAFF_WRITE } from '../responses.js';
import {
  CreatedSchema,
  CsrfHeader,
  IdParams,
  NoQuery,
  ReasonRequest,
  ref,
  RenewTokenRequest,
  RotateTokenRequest,
  SESSION_SECURITY,
  TokenSchema,
  UpdateTokenRequest,
} from '../schemas.js';
import { actor, answer, tokensStaff } from '../staff-route.js';
import { tokenAnswer } from '../views.js';

const TOKEN = ref(TokenSchema);
const write = {
  tags: ['api-tokens'],
  security: SESSION_SECURITY,
  querystring: NoQuery,
  params: IdParams,
  headers: CsrfHeader,
};
const refused = failures('session', { ...STAFF_WRITE, ...BY_ID, 409: ['invalid_transition'] });

export const apiTokenChangeRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { tokens } = deps.services;
    app.addHook('preValidation', tokensStaff(deps));

    const TRANSITIONS = {
      suspend: ['suspendToken', 'Suspend an active token: it stops working until reactivated'],
      reactivate: ['reactivateToken', 'Reactivate a suspended token'],
      revoke: ['revokeToken', 'Revoke a suspended token, for good'],
    } as const satisfies Record<Transition, readonly [string, string]>;
    for (const t of ['suspend', 'reactivate', 'revoke'] as const) {
      const [operationId, summary] = TRANSITIONS[t];
      app.post(
        `/apis/v1/api-tokens/:id/${t}`,
        {
          schema: {
            ...write,
            operationId,
            summary,
            body: ref(ReasonRequest),
            response: {
              200: json('The token in its new state', TOKEN, HEADERS.noStore),
              ...refused,
            },
          },
        },
        async (request) => {
          const who = actor(request);
          const { reason } = request.body;
          return tokenAnswer(
            answer(await tokens.transition(request.institution, request.params.id, t, who, reason)),
          );
        },
      );
    }

    app.post(
      '/apis/v1/api-tokens/:id/rotate',
      {
        schema: {
          ...write,
          operationId: 'rotateToken',
          summary: 'A new secret for the same token; the old one may work for a grace period',
          body: ref(RotateTokenRequest),
          response: {
            200: json('The token and its new secret', ref(CreatedSchema), HEADERS.secret),
            ...refused,
          },
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        const { institution, params, body } = request;
        const rotated = answer(await tokens.rotate(institution, params.id, actor(request), body));
        return { ...rotated, token: tokenAnswer(rotated.token) };
      },
    );

    app.post(
      '/apis/v1/api-tokens/:id/renew',
      {
        schema: {
          ...write,
          operationId: 'renewToken',
          summary: 'A new expiry, without a new secret',
          body: ref(RenewTokenRequest),
          response: {
            200: json('The token with its new expiry', TOKEN, HEADERS.noStore),
            ...refused,
          },
        },
      },
      async (request) => {
        const { institution, params, body } = request;
        return tokenAnswer(answer(await tokens.renew(institution, params.id, actor(request), body)));
      },
    );

    app.patch(
      '/apis/v1/api-tokens/:id',
      {
        schema: {
          ...write,
          operationId: 'updateToken',
          summary: 'Edit an active or suspended token: name, description, issued for, permissions, addresses',
          body: ref(UpdateTokenRequest),
          response: {
            200: json('The token as edited', TOKEN, HEADERS.noStore),
            ...refused,
          },
        },
      },
      async (request) => {
        const { institution, params, body } = request;
        return tokenAnswer(answer(await tokens.update(institution, params.id, actor(request), body)));
      },
    );
    done();
  };
