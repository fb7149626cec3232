// The bulk action (SPEC 12): suspend, reactivate or revoke many tokens at once, by ids or by the list's
// filters, by staff with the tokens feature; the emergency "suspend every active token" is this with
// `filter: {state: ['active']}`. The service applies it chunk by chunk; here, the request and its answer.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { BulkAnswerSchema, BulkRequest } from '../bulk-schemas.js';
import { failures, HEADERS, json, STAFF_WRITE } from '../responses.js';
import { CsrfHeader, NoQuery, ref, SESSION_SECURITY } from '../schemas.js';
import { actor, answer, tokensStaff } from '../staff-route.js';

export const apiTokenBulkRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { tokens } = deps.services;
    app.addHook('preValidation', tokensStaff(deps));

    app.post(
      '/apis/v1/api-tokens/bulk',
      {
        schema: {
          tags: ['api-tokens'],
          security: SESSION_SECURITY,
          querystring: NoQuery,
          headers: CsrfHeader,
          operationId: 'bulkTokens',
          summary: 'Suspend, reactivate or revoke the tokens named by ids or by the list’s filters',
          body: ref(BulkRequest),
          response: {
            200: json(
              'How many matched and changed, and the refusals',
              ref(BulkAnswerSchema),
              HEADERS.noStore,
            ),
            ...failures('session', STAFF_WRITE),
          },
        },
      },
      async (request) => answer(await tokens.bulk(request.institution, actor(request), request.body)),
    );
    done();
  };
