// buildApp(deps): the HTTP face of tokend as one Fastify instance. It owns transport rules (HTTPS,
// institution by Host, security headers), the single error handler, and registers each route module
// by name. It starts no timers and opens no sockets: main.ts owns the process.
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Session } from '../accounts/sessions.js';
import type { Institution } from '../accounts/store.js';
import type { Config } from '../config.js';
import { scrub } from '../log.js';
import type { Services } from '../services.js';
import { ApiError, isUnavailable } from './errors.js';
import { Metrics } from './metrics.js';
import type { FailureLimiter } from './rate-limit.js';
import { apiTokenRoutes } from './routes/api-tokens.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { sessionRoutes } from './routes/session.js';
import { tokenRoutes } from './routes/token.js';
import { webRoutes } from './routes/web.js';
import { clientErrorHandler, frameworkErrors, strictTransport, transportPolicy } from './transport.js';

export interface AppDeps {
  config: Config;
  services: Services;
  logger: Logger;
  limiter: FailureLimiter;
  /** Extra readiness checks (the NOTIFY listener): name → ok. */
  readiness?: () => Record<string, boolean>;
  https?: { cert: string; key: string };
}

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
    ...(deps.https ? { https: deps.https } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  const transport = transportPolicy(config);
  const metrics = new Metrics();
  app.decorateRequest('institution', null as unknown as Institution);
  app.decorateRequest('session', null as unknown as Session);

  await app.register(helmet, {
    referrerPolicy: { policy: 'no-referrer' },
    hsts: false, // strictTransport: only over HTTPS
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        upgradeInsecureRequests: null,
      },
    },
  });
  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: config.maxFileBytes, files: 1, fields: 5 } });
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

  app.addHook('onRequest', (request, reply, done) => {
    strictTransport(request, reply);
    done();
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
    if (request.url.startsWith('/apis/') || request.method !== 'GET') {
      return reply.status(404).send({ error: 'not_found', message: 'no such route' });
    }
    return reply.callNotFound();
  });

  const routeDeps = { ...deps, metrics };
  await app.register(healthRoutes(routeDeps));
  // The API's routes share one scope whose hook is bound to the routes themselves, not to paths: a
  // %-escaped path that the router decodes to an API route cannot slip past it, and probes, docs and
  // the page pay nothing for it.
  await app.register(async (api) => {
    // Callback style with a synchronous path while the institutions are cached: this runs on every
    // token check, and a promise per request is measurable there.
    api.addHook('onRequest', (request, reply, done) => {
      // API answers carry tokens' metadata, secrets and CSRF tokens: no cache keeps them.
      void reply.header('cache-control', 'no-store');
      if (!transport.isSecure(request)) return done(new ApiError('https_required', 'use HTTPS'));
      const found = (institution: Institution | null) => {
        if (!institution)
          return done(new ApiError('unknown_institution', 'no institution answers on this host'));
        request.institution = institution;
        done();
      };
      const cached = services.institutions.cached(request.host);
      if (cached !== undefined) return found(cached);
      services.institutions.resolve(request.host).then(found, done);
    });
    // Action routes accept an absent body as `{}` so that `curl -X POST .../suspend` works.
    api.addHook('preValidation', (request, _reply, done) => {
      if (request.method === 'POST' && (request.body === undefined || request.body === null))
        request.body = {};
      done();
    });
    await api.register(sessionRoutes(routeDeps));
    await api.register(apiTokenRoutes(routeDeps));
    await api.register(tokenRoutes(routeDeps));
    await api.register(fileRoutes(routeDeps));
  });
  await app.register(webRoutes());
  return app;
}

export type RouteDeps = AppDeps & { metrics: Metrics };

function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  if (error.validation) {
    const v = error.validation[0];
    const params = (v?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
    const path = (v?.instancePath ?? '').split('/').filter(Boolean)[0];
    const field =
      params.missingProperty ?? params.additionalProperty ?? path ?? error.validationContext ?? 'body';
    const message = params.additionalProperty
      ? `unknown field ${field}`
      : `${field} ${v?.message ?? 'is invalid'}`;
    // A field name is the client's own text: a token sent as a name is not echoed back.
    return new ApiError('invalid_request', scrub(message).slice(0, 300), scrub(field).slice(0, 100));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError('payload_too_large', 'body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError('unsupported_media_type', 'unsupported content type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', 'body is not valid JSON', 'body');
  }
  if (isUnavailable(error))
    return new ApiError('unavailable', 'the database is unavailable; try again shortly');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('invalid_request', 'the request is not valid');
  }
  return new ApiError('internal', 'internal error');
}

async function registerDocs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'tokend',
        version: '1',
        description: 'API tokens: management (session) and use (token).',
      },
      components: {
        securitySchemes: {
          ffAuth: { type: 'apiKey', in: 'header', name: 'FF_AUTH' },
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'tokend_session' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/apis/v1/docs' });
  app.get('/apis/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
