// The token export (SPEC 12): every token the list's filters match, in the list's order, streamed as
// CSV or NDJSON for an auditor's spreadsheet, with the Token fields (never a secret). Staff with the
// tokens feature, like the list; the filters are the list's own (inventory-schemas.ts, list-query.ts).
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { exportAnswer, sendExport } from '../export-format.js';
import { TokenExportQuery } from '../inventory-schemas.js';
import { failures, STAFF_READ } from '../responses.js';
import { readIntegers, SESSION_SECURITY, TokenSchema } from '../schemas.js';
import { answer, tokensStaff } from '../staff-route.js';
import { tokenAnswer } from '../views.js';

const COLUMNS = Object.keys(TokenSchema.properties);

export const tokenExportRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { inventory, clock } = deps.services;
    app.addHook('preValidation', tokensStaff(deps));

    app.get(
      '/apis/v1/api-tokens/export',
      {
        preValidation: (request, _reply, next) => {
          readIntegers(request, ['limit']);
          next();
        },
        schema: {
          tags: ['api-tokens'],
          security: SESSION_SECURITY,
          operationId: 'exportTokens',
          summary: 'Every token the list’s filters match, as a CSV or NDJSON file (limit and cursor ignored)',
          querystring: TokenExportQuery,
          response: {
            200: exportAnswer('The tokens, users as their email and lists `;`-joined'),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async (request, reply) => {
        const { state, permission, format, ...query } = request.query;
        const states = state === undefined ? [] : [state].flat();
        const permissions = permission === undefined ? [] : [permission].flat();
        const tokens = answer(inventory.exportTokens(request.institution, { ...query, states, permissions }));
        async function* views() {
          for await (const t of tokens) yield tokenAnswer(t);
        }
        return sendExport(reply, format, 'api-tokens', clock(), COLUMNS, views());
      },
    );

    done();
  };
