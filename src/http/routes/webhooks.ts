// The webhook routes (SPEC section 10), for staff with the tokens feature: endpoints (create, list,
// read, edit, delete), rotate-secret, test, deliveries and redeliver. The secret is in the answers of
// create and rotate-secret only, with `no-store`.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { BY_ID, empty, failures, HEADERS, json, STAFF_READ, STAFF_WRITE } from '../responses.js';
import { CsrfHeader, Id, IdParams, NoQuery, readIntegers, ref, SESSION_SECURITY } from '../schemas.js';
import { actor, answer, tokensStaff } from '../staff-route.js';
import {
  CreateWebhookRequest,
  DeliveriesQuery,
  DeliveryListSchema,
  DeliverySchema,
  UpdateWebhookRequest,
  WebhookCreatedSchema,
  WebhookListSchema,
  WebhookSchema,
  WebhookSecretSchema,
} from '../webhook-schemas.js';

const read = { tags: ['webhooks'], security: SESSION_SECURITY, querystring: NoQuery };
const write = { ...read, headers: CsrfHeader };
const WEBHOOK = ref(WebhookSchema);
const DELIVERY = ref(DeliverySchema);
const readRefused = failures('session', { ...STAFF_READ, ...BY_ID });
const writeRefused = failures('session', { ...STAFF_WRITE, ...BY_ID });
const DeliveryParams = Type.Object(
  { id: Id('The webhook’s id'), deliveryId: Id('The delivery’s id') },
  { additionalProperties: false },
);

export const webhookRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { webhooks } = deps.services;
    app.addHook('preValidation', tokensStaff(deps));

    app.post(
      '/apis/v1/webhooks',
      {
        schema: {
          ...write,
          operationId: 'createWebhook',
          summary: 'Add an endpoint; its signing secret is answered this once',
          body: ref(CreateWebhookRequest),
          response: {
            201: json('The endpoint and its secret', ref(WebhookCreatedSchema), HEADERS.secret),
            ...failures('session', STAFF_WRITE),
          },
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        return answer(await webhooks.create(request.institution, actor(request), request.body), reply, 201);
      },
    );

    app.get(
      '/apis/v1/webhooks',
      {
        schema: {
          ...read,
          operationId: 'listWebhooks',
          summary: 'The institution’s endpoints',
          response: {
            200: json('The endpoints', ref(WebhookListSchema), HEADERS.noStore),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async (request) => webhooks.list(request.institution),
    );

    app.get(
      '/apis/v1/webhooks/:id',
      {
        schema: {
          ...read,
          params: IdParams,
          operationId: 'getWebhook',
          summary: 'An endpoint',
          response: { 200: json('The endpoint', WEBHOOK, HEADERS.noStore), ...readRefused },
        },
      },
      async (request) => answer(await webhooks.get(request.institution, request.params.id)),
    );

    app.patch(
      '/apis/v1/webhooks/:id',
      {
        schema: {
          ...write,
          params: IdParams,
          operationId: 'updateWebhook',
          summary: 'Edit an endpoint: URL, description, events, enabled',
          body: ref(UpdateWebhookRequest),
          response: { 200: json('The endpoint', WEBHOOK, HEADERS.noStore), ...writeRefused },
        },
      },
      async (request) =>
        answer(await webhooks.update(request.institution, request.params.id, actor(request), request.body)),
    );

    app.delete(
      '/apis/v1/webhooks/:id',
      {
        schema: {
          ...write,
          params: IdParams,
          operationId: 'deleteWebhook',
          summary: 'Delete an endpoint; its pending messages are dropped',
          response: { 204: empty('Deleted'), ...writeRefused },
        },
      },
      async (request, reply) => {
        answer(await webhooks.remove(request.institution, request.params.id, actor(request)));
        return reply.status(204).send(undefined);
      },
    );

    app.post(
      '/apis/v1/webhooks/:id/rotate-secret',
      {
        schema: {
          ...write,
          params: IdParams,
          operationId: 'rotateWebhookSecret',
          summary: 'A new signing secret; for 24 hours the old one signs too',
          response: {
            200: json('The new secret', ref(WebhookSecretSchema), HEADERS.secret),
            ...writeRefused,
          },
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        return answer(await webhooks.rotateSecret(request.institution, request.params.id, actor(request)));
      },
    );

    app.post(
      '/apis/v1/webhooks/:id/test',
      {
        schema: {
          ...write,
          params: IdParams,
          operationId: 'testWebhook',
          summary: 'Send a webhook.test event now and answer its delivery',
          response: {
            200: json('The delivery after its attempt', DELIVERY, HEADERS.noStore),
            ...writeRefused,
          },
        },
      },
      async (request) => {
        const { id, email, name } = request.session.user;
        const who = { ...actor(request), user: { id, email, name } };
        return answer(await webhooks.test(request.institution, request.params.id, who));
      },
    );

    app.get(
      '/apis/v1/webhooks/:id/deliveries',
      {
        preValidation: (request, _reply, next) => {
          readIntegers(request, ['limit']);
          next();
        },
        schema: {
          ...read,
          params: IdParams,
          querystring: DeliveriesQuery,
          operationId: 'listWebhookDeliveries',
          summary: 'An endpoint’s deliveries, newest first',
          response: {
            200: json('A page of deliveries', ref(DeliveryListSchema), HEADERS.noStore),
            ...readRefused,
          },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query;
        return answer(await webhooks.deliveries(request.institution, request.params.id, limit, cursor));
      },
    );

    app.post(
      '/apis/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        schema: {
          ...write,
          params: DeliveryParams,
          operationId: 'redeliverWebhook',
          summary: 'Send a delivery again, now',
          response: { 202: json('The delivery, due now', DELIVERY, HEADERS.noStore), ...writeRefused },
        },
      },
      async (request, reply) => {
        const { id, deliveryId } = request.params;
        return answer(await webhooks.redeliver(request.institution, id, deliveryId), reply, 202);
      },
    );
    done();
  };
