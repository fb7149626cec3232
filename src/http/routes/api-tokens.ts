// The management API (SPEC sections 5 and 12): staff with the tokens feature list (with the inventory's
// filters), create and inspect tokens of their own institution (the changes are api-token-changes.ts). Each handler parses, calls one service
// function, maps the result; the schemas type what it reads and what it answers.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { cursorHolds } from '../../pagination.js';
import { ApiError } from '../errors.js';
import { TokenListQuery } from '../inventory-schemas.js';
import { BY_ID, failures, HEADERS, json, STAFF_READ, STAFF_WRITE } from '../responses.js';
import {
  CreatedSchema,
  CsrfHeader,
  CreateTokenRequest,
  Cursor,
  EventListSchema,
  IdParams,
  NoQuery,
  readIntegers,
  ref,
  SESSION_SECURITY,
  TokenListSchema,
  TokenSchema,
  UsageSchema,
} from '../schemas.js';
import { actor, answer, tokensStaff } from '../staff-route.js';
import { eventAnswer, tokenAnswer } from '../views.js';

const TOKEN = ref(TokenSchema);
const CREATED = ref(CreatedSchema);
const read = { tags: ['api-tokens'], security: SESSION_SECURITY, querystring: NoQuery };
const byId = { ...read, params: IdParams };

export const apiTokenRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { tokens } = deps.services;
    app.addHook('preValidation', tokensStaff(deps));

    app.get(
      '/apis/v1/api-tokens',
      {
        preValidation: (request, _reply, next) => {
          readIntegers(request, ['limit']);
          next();
        },
        schema: {
          ...read,
          operationId: 'listTokens',
          summary: 'List the institution’s tokens, filtered, sorted and a page at a time',
          querystring: TokenListQuery,
          response: {
            200: json('A page of tokens', ref(TokenListSchema), HEADERS.noStore),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async (request) => {
        const { state, permission, ...query } = request.query;
        const states = state === undefined ? [] : [state].flat();
        const permissions = permission === undefined ? [] : [permission].flat();
        const page = answer(await tokens.list(request.institution, { ...query, states, permissions }));
        return { items: page.items.map(tokenAnswer), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/apis/v1/api-tokens',
      {
        schema: {
          ...read,
          headers: CsrfHeader,
          operationId: 'createToken',
          summary: 'Create a token: its secret is in this answer only',
          body: ref(CreateTokenRequest),
          response: {
            201: json('The token and its secret', CREATED, HEADERS.secret),
            ...failures('session', STAFF_WRITE),
          },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        void reply.header('cache-control', 'no-store');
        const created = answer(await tokens.create(request.institution, who, request.body), reply, 201);
        return { ...created, token: tokenAnswer(created.token) };
      },
    );

    app.get(
      '/apis/v1/api-tokens/:id',
      {
        schema: {
          ...byId,
          operationId: 'getToken',
          summary: 'A token',
          response: {
            200: json('The token', TOKEN, HEADERS.noStore),
            ...failures('session', { ...STAFF_READ, ...BY_ID }),
          },
        },
      },
      async (request) => tokenAnswer(answer(await tokens.get(request.institution, request.params.id))),
    );

    app.get(
      '/apis/v1/api-tokens/:id/events',
      {
        schema: {
          ...byId,
          operationId: 'listTokenEvents',
          summary: 'A token’s audit history, newest first',
          querystring: Type.Object({ cursor: Type.Optional(Cursor) }, { additionalProperties: false }),
          response: {
            200: json('A page of events', ref(EventListSchema), HEADERS.noStore),
            ...failures('session', { ...STAFF_READ, ...BY_ID }),
          },
        },
      },
      async (request) => {
        const { cursor } = request.query;
        // An event cursor's id is a sequence number: a token's uuid there would reach the database.
        if (cursor !== undefined && !cursorHolds(cursor, 'seq'))
          throw new ApiError('invalid_request', 'cursor is not valid for this query', 'cursor');
        const page = answer(await tokens.events(request.institution, request.params.id, cursor));
        return { items: page.items.map(eventAnswer), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/apis/v1/api-tokens/:id/usage',
      {
        schema: {
          ...byId,
          operationId: 'getTokenUsage',
          summary: 'A token’s requests per UTC day, the last 90 days',
          response: {
            200: json('Daily counts', ref(UsageSchema), HEADERS.noStore),
            ...failures('session', { ...STAFF_READ, ...BY_ID }),
          },
        },
      },
      async (request) => answer(await tokens.usage(request.institution, request.params.id)),
    );

    done();
  };
