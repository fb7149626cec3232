// The institution's settings (SPEC 11): every signed-in user reads them; administrators change the name,
// the notification addresses and the policy (merged). Hosts and single sign-on stay the operator's. This
// instance sees a change at once; the others within their institution cache's second.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { actorOf, adminsOnly, refuseInvalid, signedIn } from '../admin-route.js';
import { InstitutionSettingsSchema, UpdateInstitutionRequest } from '../people-schemas.js';
import { failures, HEADERS, json, STAFF_READ, STAFF_WRITE } from '../responses.js';
import type { RouteDeps } from '../route-deps.js';
import { CsrfHeader, NoQuery, ref, SESSION_SECURITY } from '../schemas.js';
import { answer } from '../staff-route.js';

const SETTINGS = json('The settings', ref(InstitutionSettingsSchema), HEADERS.noStore);

export const institutionRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { accounts, institutions } = deps.services;
    const base = { tags: ['institution'], security: SESSION_SECURITY, querystring: NoQuery };

    app.get(
      '/apis/v1/institution',
      {
        preValidation: signedIn(deps),
        schema: {
          ...base,
          operationId: 'getInstitution',
          summary: 'The institution’s settings and policy',
          response: { 200: SETTINGS, ...failures('session', STAFF_READ) },
        },
      },
      async (request) => answer(await accounts.settings(request.institution.id)),
    );

    app.patch(
      '/apis/v1/institution',
      {
        preValidation: adminsOnly(deps),
        attachValidation: true,
        schema: {
          ...base,
          operationId: 'updateInstitution',
          summary: 'Change the name, notification addresses or policy (administrators)',
          headers: CsrfHeader,
          body: ref(UpdateInstitutionRequest),
          response: { 200: SETTINGS, ...failures('session', STAFF_WRITE) },
        },
      },
      async (request) => {
        refuseInvalid(request);
        const changed = await accounts.changeSettings(
          request.institution.slug,
          request.body,
          actorOf(request),
        );
        // Requests here resolve their institution from the cache: the next one must see the new policy.
        institutions.invalidate();
        return answer(changed);
      },
    );
    done();
  };
