// People (SPEC 11), administrators only: list the institution's users, add one with a generated password
// (answered once, no-store), change name, role and features, deactivate (their sessions end at once)
// and reactivate. The last active administrator can be neither deactivated nor demoted (409).
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Person } from '../../accounts/service.js';
import { userView } from '../../accounts/users.js';
import { actorOf, adminsOnly, refuseInvalid } from '../admin-route.js';
import {
  CreatePersonRequest,
  PersonCreatedSchema,
  PersonListSchema,
  PersonSchema,
  UpdatePersonRequest,
} from '../people-schemas.js';
import { BY_ID, failures, HEADERS, json, STAFF_READ, STAFF_WRITE } from '../responses.js';
import type { RouteDeps } from '../route-deps.js';
import { CsrfHeader, IdParams, NoQuery, ref, SESSION_SECURITY } from '../schemas.js';
import { answer } from '../staff-route.js';
import { roleOf } from '../views.js';

const personView = (request: FastifyRequest, p: Person) => ({
  ...userView(p),
  role: roleOf(p.role),
  institution: { slug: request.institution.slug, name: request.institution.name },
  active: p.deactivatedAt === null,
  lastLoginAt: p.lastLoginAt?.toISOString() ?? null,
  signIn: p.signIn,
  createdAt: p.createdAt.toISOString(),
});

const PERSON = json('The user', ref(PersonSchema), HEADERS.noStore);
const WRITE = failures('session', { ...STAFF_WRITE, ...BY_ID, 409: ['invalid_transition'] });

export const userRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { accounts } = deps.services;
    const admins = adminsOnly(deps);
    const base = { tags: ['people'], security: SESSION_SECURITY, querystring: NoQuery };

    app.get(
      '/apis/v1/users',
      {
        preValidation: admins,
        schema: {
          ...base,
          operationId: 'listUsers',
          summary: 'The institution’s users (administrators only)',
          response: {
            200: json('The users', ref(PersonListSchema), HEADERS.noStore),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async (request) => ({
        items: (await accounts.listPeople(request.institution.id)).map((p) => personView(request, p)),
      }),
    );

    app.post(
      '/apis/v1/users',
      {
        preValidation: admins,
        attachValidation: true,
        schema: {
          ...base,
          operationId: 'createUser',
          summary: 'Add a user with a generated password, shown once',
          headers: CsrfHeader,
          body: ref(CreatePersonRequest),
          response: {
            201: json('The user and their password', ref(PersonCreatedSchema), HEADERS.secret),
            ...failures('session', STAFF_WRITE),
          },
        },
      },
      async (request, reply) => {
        refuseInvalid(request);
        const made = await accounts.addPerson(request.institution.id, request.body, actorOf(request));
        const { user, password } = answer(made, reply, 201);
        void reply.header('cache-control', 'no-store');
        return { user: personView(request, user), password };
      },
    );

    app.patch(
      '/apis/v1/users/:id',
      {
        preValidation: admins,
        attachValidation: true,
        schema: {
          ...base,
          operationId: 'updateUser',
          summary: 'Change a user’s name, role or features',
          headers: CsrfHeader,
          params: IdParams,
          body: ref(UpdatePersonRequest),
          response: { 200: PERSON, ...WRITE },
        },
      },
      async (request) => {
        refuseInvalid(request);
        const { id } = request.params;
        const changed = await accounts.updatePerson(
          request.institution.id,
          id,
          request.body,
          actorOf(request),
        );
        return personView(request, answer(changed));
      },
    );

    for (const action of ['deactivate', 'reactivate'] as const) {
      app.post(
        `/apis/v1/users/:id/${action}`,
        {
          preValidation: admins,
          attachValidation: true,
          schema: {
            ...base,
            operationId: `${action}User`,
            summary:
              action === 'deactivate'
                ? 'Deactivate a user: no sign-in, and their sessions end at once'
                : 'Reactivate a deactivated user',
            headers: CsrfHeader,
            params: IdParams,
            response: { 200: PERSON, ...WRITE },
          },
        },
        async (request) => {
          refuseInvalid(request);
          const { id } = request.params;
          const institutionId = request.institution.id;
          const active = action === 'reactivate';
          const done = await accounts.setPersonActive(institutionId, id, active, actorOf(request));
          return personView(request, answer(done));
        },
      );
    }
    done();
  };
