// The page's only door to the server: openapi-fetch over the API's generated types (so every path,
// parameter and body here is checked against the document the server serves), relative `/apis/v1`
// requests with the session cookie, the CSRF header on every state-changing request, and errors turned
// into ApiError. Any 401 `unauthenticated` means the session lapsed; the app is told once through
// `onSessionLost` and returns to the login page.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../../src/http/generated/api.js';
import type {
  AuditQuery,
  BulkRequest,
  InstitutionChanges,
  ListQuery,
  NewPersonRequest,
  NewTokenRequest,
  NewWebhook,
  PersonChanges,
  TokenChanges,
  TokenState,
  WebhookChanges,
} from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSessionLost: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setSessionLostHandler(handler: () => void): void {
  onSessionLost = handler;
}

const json: Middleware = {
  onRequest({ request }) {
    request.headers.set('Accept', 'application/json');
    return request;
  },
};
const client = createClient<paths>({ credentials: 'same-origin' });
client.use(json);

/** The CSRF header the document asks for on every state-changing request (none before login: 403). */
const header = () => ({ 'X-CSRF-Token': csrfToken ?? '' });

/** The fetch, with a network failure (no answer at all) as an ApiError. */
async function reach<R>(sent: Promise<R>): Promise<R> {
  try {
    return await sent;
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
}

/** An error answer as an ApiError, from its body whatever its shape (a proxy may answer, not tokend). */
function refusal(response: Response, body: unknown): ApiError {
  const error = typeof body === 'object' && body !== null ? body : {};
  const text = (key: string) => {
    const value: unknown = Object.entries(error).find(([k]) => k === key)?.[1];
    return typeof value === 'string' ? value : undefined;
  };
  const failure = new ApiError(
    response.status,
    text('error') ?? 'unknown',
    text('message') ?? `The server answered ${response.status}.`,
    text('field'),
  );
  // The login request itself answers 401 invalid_credentials, which is not a lapsed session.
  if (response.status === 401 && failure.code === 'unauthenticated' && !response.url.endsWith('/session'))
    onSessionLost();
  return failure;
}

/** The answer's body, typed by the document; a refusal (or an empty success) throws. */
async function answer<D>(sent: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await reach(sent);
  if (response.ok && data !== undefined) return data;
  throw refusal(response, error);
}

/** An answer without a body (204); a refusal throws. */
async function done(sent: Promise<{ error?: unknown; response: Response }>): Promise<void> {
  const { error, response } = await reach(sent);
  if (!response.ok) throw refusal(response, error);
}

/** The token list's query as the page keeps it: the address's filters, a page size and a cursor. */
export interface TokenQuery {
  states: TokenState[];
  q: string;
  issuedFor: string;
  /** Tokens holding any of these. */
  permissions: string[];
  compromised: boolean;
  sort: NonNullable<ListQuery['sort']>;
  order: NonNullable<ListQuery['order']>;
  limit: number;
  cursor: string | null;
}

function listQuery(query: TokenQuery): ListQuery {
  return {
    state: query.states,
    sort: query.sort,
    order: query.order,
    limit: query.limit,
    ...(query.q ? { q: query.q } : {}),
    ...(query.issuedFor ? { issuedFor: query.issuedFor } : {}),
    ...(query.permissions.length > 0 ? { permission: query.permissions } : {}),
    ...(query.compromised ? { compromised: 'true' as const } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  };
}

export type ExpiryChoice = Pick<NewTokenRequest, 'expiresInDays' | 'expiresAt'>;
export type NewToken = Pick<
  NewTokenRequest,
  'name' | 'description' | 'issuedFor' | 'permissions' | 'allowedIps'
>;

const path = (id: string) => ({ params: { path: { id } } });
const change = (id: string) => ({ params: { header: header(), path: { id } } });

/** Renewal takes exactly one of the two (the page offers no "none" there). */
function renewal(expiry: ExpiryChoice) {
  if (expiry.expiresInDays !== undefined) return { expiresInDays: expiry.expiresInDays };
  if (expiry.expiresAt !== undefined) return { expiresAt: expiry.expiresAt };
  throw new ApiError(400, 'invalid_request', 'Choose the new expiry.', 'expiresAt');
}

export const api = {
  getSession: () => answer(client.GET('/apis/v1/session')),
  sessionOptions: () => answer(client.GET('/apis/v1/session/options')),
  login: (email: string, password: string) =>
    answer(client.POST('/apis/v1/session', { body: { email, password } })),
  logout: () => done(client.DELETE('/apis/v1/session', { params: { header: header() } })),
  listTokens: (query: TokenQuery) =>
    answer(client.GET('/apis/v1/api-tokens', { params: { query: listQuery(query) } })),
  createToken: (token: NewToken, expiry: ExpiryChoice) =>
    answer(
      client.POST('/apis/v1/api-tokens', { params: { header: header() }, body: { ...token, ...expiry } }),
    ),
  listPermissions: () => answer(client.GET('/apis/v1/permissions')),
  getToken: (id: string) => answer(client.GET('/apis/v1/api-tokens/{id}', path(id))),
  listEvents: (id: string, cursor: string | null) =>
    answer(
      client.GET('/apis/v1/api-tokens/{id}/events', {
        params: { path: { id }, query: cursor ? { cursor } : {} },
      }),
    ),
  updateToken: (id: string, changes: TokenChanges) =>
    answer(client.PATCH('/apis/v1/api-tokens/{id}', { ...change(id), body: changes })),
  getUsage: (id: string) => answer(client.GET('/apis/v1/api-tokens/{id}/usage', path(id))),
  transition: (id: string, action: 'suspend' | 'reactivate' | 'revoke', reason?: string) =>
    answer(
      client.POST(`/apis/v1/api-tokens/{id}/${action}`, { ...change(id), body: reason ? { reason } : {} }),
    ),
  rotate: (id: string, graceSeconds: number, expectedDisplay: string) =>
    answer(
      client.POST('/apis/v1/api-tokens/{id}/rotate', {
        ...change(id),
        body: { graceSeconds, expectedDisplay },
      }),
    ),
  /** SPEC 12's bulk action: by ids (the list's selection) or by filter (the danger zone). */
  bulk: (request: BulkRequest) =>
    answer(client.POST('/apis/v1/api-tokens/bulk', { params: { header: header() }, body: request })),
  listApplications: () => answer(client.GET('/apis/v1/applications')),
  // The route also answers files (with `format`); the page asks for JSON, so a string is not an answer.
  listAuditEvents: (query: AuditQuery) =>
    answer(client.GET('/apis/v1/audit-events', { params: { query } })).then((page) => {
      if (typeof page === 'string') throw new ApiError(200, 'unknown', 'The server answered a file.');
      return page;
    }),
  renew: (id: string, expiry: ExpiryChoice) =>
    answer(client.POST('/apis/v1/api-tokens/{id}/renew', { ...change(id), body: renewal(expiry) })),
  listWebhooks: () => answer(client.GET('/apis/v1/webhooks')),
  createWebhook: (webhook: NewWebhook) =>
    answer(client.POST('/apis/v1/webhooks', { params: { header: header() }, body: webhook })),
  getWebhook: (id: string) => answer(client.GET('/apis/v1/webhooks/{id}', path(id))),
  updateWebhook: (id: string, changes: WebhookChanges) =>
    answer(client.PATCH('/apis/v1/webhooks/{id}', { ...change(id), body: changes })),
  deleteWebhook: (id: string) => done(client.DELETE('/apis/v1/webhooks/{id}', change(id))),
  rotateWebhookSecret: (id: string) =>
    answer(client.POST('/apis/v1/webhooks/{id}/rotate-secret', change(id))),
  testWebhook: (id: string) => answer(client.POST('/apis/v1/webhooks/{id}/test', change(id))),
  listDeliveries: (id: string, cursor: string | null) =>
    answer(
      client.GET('/apis/v1/webhooks/{id}/deliveries', {
        params: { path: { id }, query: cursor ? { cursor } : {} },
      }),
    ),
  redeliver: (id: string, deliveryId: string) =>
    answer(
      client.POST('/apis/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', {
        params: { header: header(), path: { id, deliveryId } },
      }),
    ),
  // The institution's settings (everyone reads them) and its people (administrators only).
  getInstitution: () => answer(client.GET('/apis/v1/institution')),
  updateInstitution: (changes: InstitutionChanges) =>
    answer(client.PATCH('/apis/v1/institution', { params: { header: header() }, body: changes })),
  listUsers: () => answer(client.GET('/apis/v1/users')),
  createUser: (person: NewPersonRequest) =>
    answer(client.POST('/apis/v1/users', { params: { header: header() }, body: person })),
  updateUser: (id: string, changes: PersonChanges) =>
    answer(client.PATCH('/apis/v1/users/{id}', { ...change(id), body: changes })),
  userAction: (id: string, action: 'deactivate' | 'reactivate') =>
    answer(client.POST(`/apis/v1/users/{id}/${action}`, change(id))),
};
