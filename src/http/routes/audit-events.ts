// The institution's audit log (SPEC 12): every event of the institution, a token's and its own, newest
// first a page at a time, or the whole selection as a CSV or NDJSON file (`format`). Staff with the
// tokens feature, who see every token's history already.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { exportAnswer, sendExport } from '../export-format.js';
import { AuditEventListSchema, AuditEventSchema, AuditQuery } from '../inventory-schemas.js';
import { failures, HEADERS, json, STAFF_READ } from '../responses.js';
import { readIntegers, ref, SESSION_SECURITY } from '../schemas.js';
import { answer, tokensStaff } from '../staff-route.js';
import { eventAnswer } from '../views.js';

const COLUMNS = Object.keys(AuditEventSchema.properties);

export const auditEventRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { audit, clock } = deps.services;
    app.addHook('preValidation', tokensStaff(deps));

    app.get(
      '/apis/v1/audit-events',
      {
        preValidation: (request, _reply, next) => {
          readIntegers(request, ['limit']);
          next();
        },
        schema: {
          tags: ['api-tokens'],
          security: SESSION_SECURITY,
          operationId: 'listAuditEvents',
          summary: 'The institution’s audit log, newest first; with `format`, the whole selection as a file',
          querystring: AuditQuery,
          response: {
            200: pageOrFile(),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async (request, reply) => {
        const { type, format, ...query } = request.query;
        const input = { ...query, types: type === undefined ? [] : [type].flat() };
        if (format) {
          const events = answer(audit.export(request.institution, input));
          async function* rows() {
            // Details are one JSON cell: an object in them is data, not a user to flatten.
            for await (const e of events) yield { ...eventAnswer(e), details: JSON.stringify(e.details) };
          }
          return sendExport(reply, format, 'audit-events', clock(), COLUMNS, rows());
        }
        void reply.header('cache-control', 'no-store');
        const page = answer(await audit.list(request.institution, input));
        return { items: page.items.map(eventAnswer), nextCursor: page.nextCursor };
      },
    );

    done();
  };

/** The JSON page and the export's two file types, as one 200 in the document. */
function pageOrFile() {
  const page = json('A page of events', ref(AuditEventListSchema), HEADERS.noStore);
  const file = exportAnswer('With `format`: every matching event');
  return {
    description: 'A page of events; with `format`, every matching event as a file',
    content: { ...page.content, ...file.content },
    headers: { ...HEADERS.noStore, ...file.headers },
  };
}
