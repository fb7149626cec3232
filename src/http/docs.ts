// The OpenAPI document (/apis/v1/openapi.json) and its browsable pages (/apis/v1/docs), registered by
// buildApp: the document's plugin at the root, to see every route; the pages among the open routes.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerDocs(app: FastifyInstance) {
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
}

export async function registerDocsUi(app: FastifyInstance) {
  await app.register(swaggerUi, { routePrefix: '/apis/v1/docs' });
  app.get('/apis/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
