// The applications view (SPEC 12, seed 000's "app-based grouping"): the institution's tokens grouped
// by what they are issued for, for staff with the tokens feature. The page links each group to the
// token list filtered by it.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { ApplicationListSchema, ApplicationsQuery } from '../inventory-schemas.js';
import { failures, HEADERS, json, STAFF_READ } from '../responses.js';
import { ref, SESSION_SECURITY } from '../schemas.js';
import { answer, tokensStaff } from '../staff-route.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const applicationRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { inventory } = deps.services;
    app.addHook('preValidation', tokensStaff(deps));

    app.get(
      '/apis/v1/applications',
      {
        schema: {
          tags: ['api-tokens'],
          security: SESSION_SECURITY,
          operationId: 'listApplications',
          summary: 'The tokens grouped by what they are issued for (trimmed, case-insensitive)',
          querystring: ApplicationsQuery,
          response: {
            200: json(
              'Every group by name, tokens issued for none last',
              ref(ApplicationListSchema),
              HEADERS.noStore,
            ),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async (request) => {
        const groups = answer(await inventory.applications(request.institution, request.query.q));
        return {
          items: groups.map((g) => ({
            ...g,
            lastUsedAt: iso(g.lastUsedAt),
            nextExpiresAt: iso(g.nextExpiresAt),
          })),
        };
      },
    );

    done();
  };
