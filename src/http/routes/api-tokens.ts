// The management API (SPEC section 5): staff with the tokens feature list, create, inspect and change
// tokens of their own institution. Each handler parses, calls one service function, maps the result.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TOKENS_FEATURE } from '../../accounts/users.js';
import type { Result } from '../../errors.js';
import { TOKEN_STATES, type Transition } from '../../tokens/lifecycle.js';
import type { RouteDeps } from '../route-deps.js';
import { cursorHolds } from '../../pagination.js';
import { clientAddress } from '../client-address.js';
import { ApiError, fromFailure } from '../errors.js';
import {
  EventSchema,
  ExpiryFields,
  errors,
  IdParams,
  Line,
  Name,
  NoQuery,
  refuseMalformedQuery,
  SESSION_SECURITY,
  Text,
  TokenSchema,
  TokenStateSchema,
} from '../schemas.js';
import { requireSession } from '../session-auth.js';

const ListQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union([TokenStateSchema, Type.Array(TokenStateSchema, { maxItems: TOKEN_STATES.length })]),
    ),
    q: Type.Optional(Line({ maxLength: 200 })),
    issuedFor: Type.Optional(Line({ maxLength: 200 })),
    sort: Type.Optional(Type.Union([Type.Literal('createdAt'), Type.Literal('expiresAt')])),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
    cursor: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
const CreateBody = Type.Object(
  {
    name: Name({ maxLength: 200 }),
    description: Type.Optional(Text({ maxLength: 2000 })),
    issuedFor: Type.Optional(Line({ maxLength: 200 })),
    ...ExpiryFields,
  },
  { additionalProperties: false },
);
const RotateBody = Type.Object(
  {
    graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800 })),
    expectedDisplay: Type.Optional(Line({ maxLength: 64 })),
    ...ExpiryFields,
  },
  { additionalProperties: false },
);
const RenewBody = Type.Object(ExpiryFields, { additionalProperties: false });
const ReasonBody = Type.Object(
  { reason: Type.Optional(Line({ maxLength: 500 })) },
  { additionalProperties: false },
);
const Page = <T extends typeof TokenSchema | typeof EventSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
const WithSecret = Type.Object({ token: TokenSchema, secret: Type.String() });

export const apiTokenRoutes = (deps: RouteDeps) => async (app: FastifyInstance) => {
  const { tokens } = deps.services;
  const actor = (request: FastifyRequest) => ({
    userId: request.session.user.id,
    ip: clientAddress(request),
  });
  const answer = <T>(result: Result<T>, reply?: FastifyReply, status = 200): T => {
    if (!result.ok) throw fromFailure(result);
    if (reply) void reply.status(status);
    return result.value;
  };
  const base = { tags: ['api-tokens'], security: SESSION_SECURITY };
  // Authentication runs before validation: an anonymous caller learns nothing about the schema.
  app.addHook('preValidation', async (request) => {
    request.session = await requireSession(deps, request, TOKENS_FEATURE);
    refuseMalformedQuery(request);
  });

  app.get(
    '/apis/v1/api-tokens',
    {
      schema: {
        ...base,
        querystring: ListQuery,
        response: { 200: Page(TokenSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const query = request.query as { state?: string | string[]; limit?: string } & Record<string, string>;
      const states = query.state === undefined ? [] : ([] as string[]).concat(query.state);
      const limit = query.limit === undefined ? undefined : Number(query.limit);
      return answer(await tokens.list(request.institution, { ...query, states, limit }));
    },
  );

  app.post(
    '/apis/v1/api-tokens',
    {
      schema: {
        ...base,
        querystring: NoQuery,
        body: CreateBody,
        response: { 201: WithSecret, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const who = actor(request);
      void reply.header('cache-control', 'no-store');
      return answer(
        await tokens.create(request.institution, who, request.body as typeof CreateBody.static),
        reply,
        201,
      );
    },
  );

  const idSchema = { ...base, params: IdParams, querystring: NoQuery };
  app.get<{ Params: { id: string } }>(
    '/apis/v1/api-tokens/:id',
    { schema: { ...idSchema, response: { 200: TokenSchema, ...errors(400, 401, 403, 404) } } },
    async (request) => {
      return answer(await tokens.get(request.institution, request.params.id));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { cursor?: string } }>(
    '/apis/v1/api-tokens/:id/events',
    {
      schema: {
        ...idSchema,
        querystring: Type.Object(
          { cursor: Type.Optional(Type.String({ maxLength: 300 })) },
          { additionalProperties: false },
        ),
        response: { 200: Page(EventSchema), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { cursor } = request.query;
      // An event cursor's id is a sequence number: a token's uuid there would reach the database.
      if (cursor !== undefined && !cursorHolds(cursor, 'seq'))
        throw new ApiError('invalid_request', 'cursor is not valid for this query', 'cursor');
      return answer(await tokens.events(request.institution, request.params.id, cursor));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/apis/v1/api-tokens/:id/usage',
    {
      schema: {
        ...idSchema,
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ date: Type.String(), count: Type.Integer() })),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      return answer(await tokens.usage(request.institution, request.params.id));
    },
  );

  for (const t of ['suspend', 'reactivate', 'revoke'] as const satisfies readonly Transition[]) {
    app.post<{ Params: { id: string }; Body: { reason?: string } }>(
      `/apis/v1/api-tokens/:id/${t}`,
      {
        schema: {
          ...idSchema,
          body: ReasonBody,
          response: { 200: TokenSchema, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const who = actor(request);
        return answer(
          await tokens.transition(request.institution, request.params.id, t, who, request.body.reason),
        );
      },
    );
  }

  app.post<{ Params: { id: string }; Body: typeof RotateBody.static }>(
    '/apis/v1/api-tokens/:id/rotate',
    {
      schema: {
        ...idSchema,
        body: RotateBody,
        response: { 200: WithSecret, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return answer(
        await tokens.rotate(request.institution, request.params.id, actor(request), request.body),
      );
    },
  );

  app.post<{ Params: { id: string }; Body: typeof RenewBody.static }>(
    '/apis/v1/api-tokens/:id/renew',
    {
      schema: {
        ...idSchema,
        body: RenewBody,
        response: { 200: TokenSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      answer(await tokens.renew(request.institution, request.params.id, actor(request), request.body)),
  );
};
