// The permission catalogue for staff (SPEC section 8): GET /apis/v1/permissions lists every permission a
// token may be given, in key order, for the page's choices. The catalogue is the operator's (the CLI
// changes it); staff only read it, with the tokens feature, like the management API.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallback } from 'fastify';
import { TOKENS_FEATURE } from '../../accounts/users.js';
import type { RouteDeps } from '../route-deps.js';
import { errors, NoQuery, refuseMalformedQuery, SESSION_SECURITY } from '../schemas.js';
import { requireSession } from '../session-auth.js';

export const PermissionSchema = Type.Object(
  {
    key: Type.String({ description: 'e.g. contacts.read: 2 to 5 dot-separated segments' }),
    description: Type.String(),
    deprecated: Type.Boolean({ description: 'not granted anew; tokens holding it keep it' }),
    builtIn: Type.Boolean(),
  },
  { title: 'Permission' },
);

export const PermissionListSchema = Type.Object(
  { items: Type.Array(PermissionSchema) },
  { title: 'PermissionList' },
);

export const permissionRoutes =
  (deps: RouteDeps): FastifyPluginCallback =>
  (app, _options, done) => {
    const { permissions } = deps.services;
    app.get(
      '/apis/v1/permissions',
      {
        // Authentication runs before validation: an anonymous caller learns nothing about the schema.
        preValidation: async (request) => {
          request.session = await requireSession(deps, request, TOKENS_FEATURE);
          refuseMalformedQuery(request);
        },
        schema: {
          tags: ['permissions'],
          operationId: 'listPermissions',
          summary: 'The permission catalogue, in key order',
          security: SESSION_SECURITY,
          querystring: NoQuery,
          response: { 200: PermissionListSchema, ...errors(400, 401, 403) },
        },
      },
      async () => ({ items: await permissions.list() }),
    );
    done();
  };
