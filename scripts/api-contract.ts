// The API contract as files: the OpenAPI document of the real app (built as main.ts builds it, with a
// database that refuses every query: making the document asks none, so no server and no data are needed),
// and the
// TypeScript types openapi-typescript makes of it. The build, `npm run generate` and the contract tests
// all take both from here, so they cannot disagree on how either is made.
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import pino from 'pino';
import prettier from 'prettier';
import { loadConfig } from '../src/config.js';
import type { Db, Queryable } from '../src/db/db.js';
import { buildApp } from '../src/http/app.js';
import { memoryLimiter } from '../src/http/rate-limit.js';
import { buildServices } from '../src/services.js';

/** The committed types, the page's source of API shapes (SPEC section 5). */
export const TYPES_FILE = 'src/http/generated/api.ts';

/** What `/apis/v1/openapi.json` serves, from the routes' own schemas. */
export async function apiDocument(): Promise<unknown> {
  const config = loadConfig({});
  const services = buildServices(config, NO_DATABASE, () => new Date());
  const logger = pino({ level: 'silent' });
  const app = await buildApp({ config, services, logger, limiter: memoryLimiter(config.failureWindowMs) });
  try {
    await app.ready();
    // A JSON round trip: the document as a client receives it (no undefined, no shared objects).
    const document: unknown = JSON.parse(JSON.stringify(app.swagger()));
    return document;
  } finally {
    await app.close();
  }
}

// Opening even an in-memory PGlite takes seconds (initdb in WASM); building the app needs no query.
const refuse = () => Promise.reject(new Error('the API document is made without a database'));
const NOT_CONNECTED: Queryable = { query: refuse, exec: refuse };
const NO_DATABASE: Db = {
  kind: 'pglite',
  ...NOT_CONNECTED,
  lookups: NOT_CONNECTED,
  transaction: refuse,
  withAdvisoryLock: refuse,
  tryAdvisoryLock: refuse,
  close: () => Promise.resolve(),
};

/** The document's types as openapi-typescript writes them, formatted like the rest of the tree. */
export async function apiTypes(document: unknown): Promise<string> {
  if (!isObject(document)) throw new Error('the OpenAPI document is not an object');
  const nodes = await openapiTS(JSON.stringify(document), { silent: true });
  const header =
    COMMENT_HEADER.replace(
      ' */',
      ' * Made from /apis/v1/openapi.json by `npm run generate` (scripts/generate-api.ts).\n */',
    ) + '\n';
  const options = (await prettier.resolveConfig(TYPES_FILE)) ?? {};
  return prettier.format(header + astToString(nodes), { ...options, parser: 'typescript' });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
