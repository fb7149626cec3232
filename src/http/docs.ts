// The OpenAPI document (/apis/v1/openapi.json) and its browsable pages (/apis/v1/docs), registered by
// buildApp: the document's plugin at the root, to see every route; the pages among the open routes.
// The document is made from the routes' own schemas; the named ones (schemas.ts) become
// components.schemas under their `$id`s.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

const TAGS = [
  { name: 'session', description: 'Log in and out: the page and staff automation (a cookie)' },
  { name: 'api-tokens', description: 'Manage the institution’s tokens (a session with the feature)' },
  { name: 'files', description: 'Files: staff upload and list them; tokens download them' },
  { name: 'token', description: 'What a token asks about itself, and forward auth for gateways' },
  { name: 'health', description: 'Probes and metrics, for operators (no institution)' },
];

const SECURITY_SCHEMES = {
  ffAuth: { type: 'apiKey', in: 'header', name: 'FF_AUTH', description: 'The token' },
  ffAuthHyphen: {
    type: 'apiKey',
    in: 'header',
    name: 'FF-Auth',
    description: 'The token, for proxies that drop headers with underscores',
  },
  bearer: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <token>`' },
  tokenQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: 'The token in the URL (an institution may refuse it)',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tokend_session',
    description: 'Set by POST /apis/v1/session; state-changing requests also send X-CSRF-Token',
  },
} as const;

export async function registerDocs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tokend',
        version: '1',
        description:
          'API tokens: management (session) and use (token). Each institution answers on its own hostnames.',
      },
      // Relative: each institution answers on its own hostnames, where its clients fetch this document.
      servers: [{ url: '/', description: 'The host this document was fetched from' }],
      tags: TAGS,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Components are named by their schemas' `$id`s (Token, Error, ...), not def-0, def-1, ...
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transformObject: (doc) => ('openapiObject' in doc ? withEnums(doc.openapiObject) : doc.swaggerObject),
  });
}

export async function registerDocsUi(app: FastifyInstance) {
  await app.register(swaggerUi, { routePrefix: '/apis/v1/docs' });
  app.get('/apis/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

/**
 * The document with each union of same-typed literals (Enum in schema-kit.ts: an anyOf of one-value
 * enums once @fastify/swagger has converted the consts) written as the one enum it means, so that
 * clients and readers see `{type, enum}`. The routes validate by the unions, which accept the same.
 */
function withEnums<T>(node: T): T {
  if (Array.isArray(node)) return node.map(withEnums) as T;
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = withEnums(value);
  const members = out.anyOf;
  if (!Array.isArray(members) || members.length < 2) return out as T;
  const values: unknown[] = [];
  let type: unknown;
  for (const m of members) {
    if (!isLiteral(m) || (type !== undefined && m.type !== type)) return out as T;
    type = m.type;
    values.push(m.enum[0]);
  }
  const integers = type === 'number' && values.every((v) => Number.isInteger(v));
  const { anyOf: _anyOf, ...rest } = out;
  return { ...rest, type: integers ? 'integer' : type, enum: values } as T;
}

const isLiteral = (m: unknown): m is { type: string; enum: [unknown] } =>
  typeof m === 'object' &&
  m !== null &&
  Object.keys(m).length === 2 &&
  'type' in m &&
  typeof m.type === 'string' &&
  'enum' in m &&
  Array.isArray(m.enum) &&
  m.enum.length === 1;
