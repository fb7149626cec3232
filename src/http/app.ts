// buildApp(deps): the HTTP face of tokend as one Fastify instance. It owns transport rules (HTTPS,
// institution by Host, security headers), the single error handler, and registers each route module
// by name. It starts no timers and opens no sockets: main.ts owns the process.
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type HookHandlerDoneFunction,
  type onRequestHookHandler,
} from 'fastify';
import type { Logger } from 'pino';
import type { Session } from '../accounts/sessions.js';
import type { Institution } from '../accounts/store.js';
import { requestLogger } from '../log.js';
import { fastifyTimeouts, serverOptions } from './edge-server.js';
import { requestHost, trustForwarding } from './client-address.js';
import { registerDocs, registerDocsUi } from './docs.js';
import { ApiError, toApiError } from './errors.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { cachedSerializers } from './serializers.js';
import { Metrics } from './metrics.js';
import { watchTokenChecks } from './token-auth.js';
import type { AppDeps } from './route-deps.js';
import type { Services } from '../services.js';
import { apiTokenBulkRoutes } from './routes/api-token-bulk.js';
import { apiTokenChangeRoutes } from './routes/api-token-changes.js';
import { apiTokenRoutes } from './routes/api-tokens.js';
import { applicationRoutes } from './routes/applications.js';
import { auditEventRoutes } from './routes/audit-events.js';
import { fileDownloadRoutes, fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { institutionRoutes } from './routes/institution.js';
import { leakRoutes } from './routes/leaks.js';
import { permissionRoutes } from './routes/permissions.js';
import { sessionRoutes } from './routes/session.js';
import { ssoRoutes } from './routes/sso.js';
import { CORS_HEADERS, tokenRoutes } from './routes/token.js';
import { tokenExportRoutes } from './routes/token-export.js';
import { tokenRotationRoutes } from './routes/token-rotation.js';
import { userRoutes } from './routes/users.js';
import { webRoutes } from './routes/web.js';
import { webhookRoutes } from './routes/webhooks.js';
import {
  API_HEADERS,
  clientErrorHandler,
  frameworkErrors,
  securityHeaders,
  strictTransport,
  transportPolicy,
  type TransportPolicy,
} from './transport.js';

// main.ts and the bench name the dependencies through app.ts, the module they call.
export type { AppDeps, RouteDeps } from './route-deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    institution: Institution;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, services } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    bodyLimit: 64 * 1024,
    // The router takes an id of any length (the URL is bounded by the 16 kB header limit): its schema
    // answers 400 for a malformed one, where the router's default 100 would fall through to a 404.
    routerOptions: { maxParamLength: 16 * 1024 },
    ...fastifyTimeouts(config),
    ...(deps.https
      ? { https: { ...deps.https, ...serverOptions(config) } }
      : { http: serverOptions(config) }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    schemaController: { compilersFactory: { buildSerializer: cachedSerializers } },
    // main.ts drains before it closes: requests on open connections are answered with Connection: close
    // (SPEC section 5), not with Fastify's 503, whose body is not the catalogue's.
    return503OnClosing: false,
    childLoggerFactory: (logger, bindings, options) => requestLogger(logger as Logger, bindings, options),
    frameworkErrors,
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  const transport = transportPolicy(config);
  const metrics = deps.metrics ?? new Metrics();
  metrics.watchWebhooks(() => ({
    outcomes: services.webhookDelivery.outcomes,
    pending: services.webhookDeliverer.pending,
  }));
  app.decorateRequest('institution', null as unknown as Institution);
  app.decorateRequest('session', null as unknown as Session);
  trustForwarding(app, config.trustProxy);

  const pageHeaders = securityHeaders();
  // The named shapes, for routes to refer to by `$id` (and the document to list as components).
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await registerDocs(app);
  // JSON only (and multipart for files): a text/plain body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      done(new ApiError('invalid_request', 'body is not valid JSON', 'body'), undefined);
    }
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request.routeOptions.url ?? 'unmatched', reply.statusCode);
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.headers(apiError.headers);
    return reply.status(apiError.status).send(apiError.body());
  });
  app.setNotFoundHandler((request, reply) => {
    strictTransport(request, reply);
    if (request.url.startsWith('/apis/') || request.method !== 'GET') {
      void reply.headers(API_HEADERS);
      return reply.status(404).send(NOT_FOUND);
    }
    void reply.headers(pageHeaders);
    return reply.callNotFound();
  });

  const routeDeps = { ...deps, metrics };
  // This app logs and counts the token check's background failures, beside its own requests.
  watchTokenChecks(routeDeps);
  // Every route sits in a scope with one onRequest hook that sets all of its headers: helmet's set on the
  // page and the docs, the API set on JSON answers (probes included), and CORS on token routes. Scopes bind
  // the hooks to the routes themselves, not to paths: a %-escaped path that the router decodes to an API
  // route cannot slip past them. The hooks are in callback style with a synchronous path while the
  // institutions are cached: they run on every token check, where a promise or a second hook per
  // request is measurable.
  const answers =
    (headers: Record<string, string>): onRequestHookHandler =>
    (request, reply, done) => {
      void reply.headers(headers);
      strictTransport(request, reply);
      done();
    };
  await app.register(async (open) => {
    open.addHook('onRequest', answers(API_HEADERS));
    await open.register(healthRoutes(routeDeps));
    await open.register(leakRoutes(routeDeps));
    // An unknown API path is a JSON 404, not the page that a GET of any other path falls back to.
    open.get('/apis/*', { schema: { hide: true } }, async (_request, reply) =>
      reply.status(404).send(NOT_FOUND),
    );
  });
  await app.register(async (page) => {
    page.addHook('onRequest', answers(pageHeaders));
    await registerDocsUi(page);
    await page.register(webRoutes());
  });
  await app.register(async (staff) => {
    staff.addHook('onRequest', apiRequest(services, transport, {}));
    // Sessions (cookies) and uploads (multipart) are staff matters: token routes pay nothing for them.
    await staff.register(cookie);
    await staff.register(multipart, { limits: { fileSize: config.maxFileBytes, files: 1, fields: 5 } });
    // Action routes accept an absent body as `{}` so that `curl -X POST .../suspend` works. Token
    // routes take no body, so they are outside this scope and pay nothing for it.
    staff.addHook('preValidation', (request, _reply, done) => {
      if (request.method === 'POST' && (request.body === undefined || request.body === null))
        request.body = {};
      done();
    });
    await staff.register(sessionRoutes(routeDeps));
    await staff.register(ssoRoutes(routeDeps));
    await staff.register(apiTokenRoutes(routeDeps));
    await staff.register(apiTokenChangeRoutes(routeDeps));
    await staff.register(apiTokenBulkRoutes(routeDeps));
    await staff.register(fileRoutes(routeDeps));
    await staff.register(permissionRoutes(routeDeps));
    await staff.register(webhookRoutes(routeDeps));
    await staff.register(userRoutes(routeDeps));
    await staff.register(institutionRoutes(routeDeps));
    await staff.register(tokenExportRoutes(routeDeps));
    await staff.register(applicationRoutes(routeDeps));
    await staff.register(auditEventRoutes(routeDeps));
  });
  // Token routes answer every origin, errors included (SPEC section 4: CORS on token routes only).
  await app.register(async (integrations) => {
    integrations.addHook('onRequest', apiRequest(services, transport, CORS_HEADERS));
    await integrations.register(tokenRoutes(routeDeps));
    await integrations.register(tokenRotationRoutes(routeDeps));
    await integrations.register(fileDownloadRoutes(routeDeps));
  });
  return app;
}

/**
 * The token routes' onRequest hook (API and CORS headers, HTTPS, institution by Host), for a route that
 * must be served exactly as they are (the bench's baseline registers in a scope of its own with it).
 */
export function tokenRoutesHook(deps: AppDeps): onRequestHookHandler {
  return apiRequest(deps.services, transportPolicy(deps.config), CORS_HEADERS);
}

function apiRequest(
  services: Services,
  transport: TransportPolicy,
  scope: Record<string, string>,
): onRequestHookHandler {
  const headers = { ...API_HEADERS, ...scope };
  return (request, reply, done) => {
    void reply.headers(headers);
    strictTransport(request, reply);
    if (!transport.isSecure(request)) return done(new ApiError('https_required', 'use HTTPS'));
    const host = requestHost(request);
    const cached = services.institutions.cached(host);
    if (cached !== undefined) return answeredBy(request, cached, done);
    services.institutions.resolve(host).then((i) => answeredBy(request, i, done), done);
  };
}

const NOT_FOUND = { error: 'not_found', message: 'no such route' };

function answeredBy(request: FastifyRequest, institution: Institution | null, done: HookHandlerDoneFunction) {
  if (!institution) return done(new ApiError('unknown_institution', 'no institution answers on this host'));
  request.institution = institution;
  done();
}
