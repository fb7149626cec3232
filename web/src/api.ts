// The page's only door to the server: relative `/apis/v1` requests with the session cookie, the CSRF
// header on every state-changing request, and errors turned into ApiError. Any 401 `unauthenticated`
// means the session lapsed; the app is told once through `onSessionLost` and returns to the login page.
import type { Page, Session, Token, TokenEvent, TokenWithSecret, UsageDay } from './types.js';

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

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/apis/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (response.ok) return payload as T;
  const error = (payload ?? {}) as { error?: string; message?: string; field?: string };
  const failure = new ApiError(
    response.status,
    error.error ?? 'unknown',
    error.message ?? `The server answered ${response.status}.`,
    error.field,
  );
  // The login request itself answers 401 invalid_credentials, which is not a lapsed session.
  if (response.status === 401 && failure.code === 'unauthenticated' && path !== '/session') onSessionLost();
  throw failure;
}

export interface TokenQuery {
  states: string[];
  q: string;
  issuedFor: string;
  sort: 'createdAt' | 'expiresAt';
  order: 'asc' | 'desc';
  limit: number;
  cursor: string | null;
}

function listParams(query: TokenQuery): string {
  const params = new URLSearchParams();
  for (const state of query.states) params.append('state', state);
  if (query.q) params.set('q', query.q);
  if (query.issuedFor) params.set('issuedFor', query.issuedFor);
  params.set('sort', query.sort);
  params.set('order', query.order);
  params.set('limit', String(query.limit));
  if (query.cursor) params.set('cursor', query.cursor);
  return params.toString();
}

export type ExpiryChoice = { expiresInDays: 30 | 90 | 365 } | { expiresAt: string } | Record<string, never>;

export interface NewToken {
  name: string;
  description?: string;
  issuedFor?: string;
}

const tokenPath = (id: string) => `/api-tokens/${encodeURIComponent(id)}`;

export const api = {
  getSession: () => request<Session>('GET', '/session'),
  login: (email: string, password: string) => request<Session>('POST', '/session', { email, password }),
  logout: () => request<void>('DELETE', '/session'),
  listTokens: (query: TokenQuery) => request<Page<Token>>('GET', `/api-tokens?${listParams(query)}`),
  createToken: (token: NewToken, expiry: ExpiryChoice) =>
    request<TokenWithSecret>('POST', '/api-tokens', { ...token, ...expiry }),
  getToken: (id: string) => request<Token>('GET', tokenPath(id)),
  listEvents: (id: string, cursor: string | null) =>
    request<Page<TokenEvent>>(
      'GET',
      `${tokenPath(id)}/events${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
    ),
  getUsage: (id: string) => request<{ items: UsageDay[] }>('GET', `${tokenPath(id)}/usage`),
  transition: (id: string, action: 'suspend' | 'reactivate' | 'revoke', reason?: string) =>
    request<Token>('POST', `${tokenPath(id)}/${action}`, reason ? { reason } : {}),
  rotate: (id: string, graceSeconds: number, expectedDisplay: string) =>
    request<TokenWithSecret>('POST', `${tokenPath(id)}/rotate`, { graceSeconds, expectedDisplay }),
  renew: (id: string, expiry: ExpiryChoice) => request<Token>('POST', `${tokenPath(id)}/renew`, expiry),
};
