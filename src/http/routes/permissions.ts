// The permission catalogue for staff (SPEC section 8): GET /apis/v1/permissions lists every permission a
// token may be given, in key order, for the page's choices. The catalogue is the operator's (the CLI
// changes it); staff only read it, with the tokens feature, like the management API.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { failures, HEADERS, json, STAFF_READ } from '../responses.js';
import { NoQuery, PermissionListSchema, ref, SESSION_SECURITY } from '../schemas.js';
import { tokensStaff } from '../staff-route.js';

export const permissionRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { permissions } = deps.services;
    app.get(
      '/apis/v1/permissions',
      {
        preValidation: tokensStaff(deps),
        schema: {
          tags: ['permissions'],
          operationId: 'listPermissions',
          summary: 'The permission catalogue, in key order',
          security: SESSION_SECURITY,
          querystring: NoQuery,
          response: {
            200: json('The catalogue', ref(PermissionListSchema), HEADERS.noStore),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async () => ({ items: await permissions.list() }),
    );
    done();
  };
