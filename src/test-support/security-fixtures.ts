// Shared pieces of the security suites: every route of the API with the ids it needs, a file upload,
// and the documented answers (SPEC section 5) that a refusal may use.
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { said, type Tenant } from './harness.js';

export const FILES_DOWNLOAD = 'core.core.files_download';

export async function upload(t: Tenant, content = 'a,b\n1,2\n'): Promise<{ id: string }> {
  const admin = await t.adminAgent();
  const boundary = '----tokendsecurity';
  const res = await admin.request({
    method: 'POST',
    url: '/apis/v1/files',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: multipart(boundary, content),
  });
  assert.equal(res.statusCode, 201, said(res));
  return res.json();
}

export const multipart = (boundary: string, content: string) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`;

/** What a route needs: a token in some state and a file, all of one institution. */
export interface Targets {
  tokenId: string;
  fileId: string;
}

export type Need = 'active' | 'suspended' | null;

export interface RouteCase {
  name: string;
  /** The state the target token must be in before the call (a fresh token per call when set). */
  needs: Need;
  request(targets: Targets): InjectOptions;
}

const MP = '----tokendmatrix';
const post = (url: string, payload: object = {}): InjectOptions => ({ method: 'POST', url, payload });
const get = (url: string): InjectOptions => ({ method: 'GET', url });

/** Every route of SPEC sections 4, 5 and 7 (the probes and the page excepted). */
export const ROUTES: RouteCase[] = [
  {
    name: 'POST session',
    needs: null,
    request: () => post('/apis/v1/session', { email: 'nobody@example.test', password: 'wrong password' }),
  },
  { name: 'GET session', needs: null, request: () => get('/apis/v1/session') },
  { name: 'DELETE session', needs: null, request: () => ({ method: 'DELETE', url: '/apis/v1/session' }) },
  { name: 'list tokens', needs: null, request: () => get('/apis/v1/api-tokens') },
  { name: 'create token', needs: null, request: () => post('/apis/v1/api-tokens', { name: 'Matrix' }) },
  {
    name: 'update token',
    needs: 'active',
    request: (t) => ({
      method: 'PATCH',
      url: `/apis/v1/api-tokens/${t.tokenId}`,
      payload: { name: 'Renamed' },
    }),
  },
  { name: 'permissions', needs: null, request: () => get('/apis/v1/permissions') },
  { name: 'get token', needs: 'active', request: (t) => get(`/apis/v1/api-tokens/${t.tokenId}`) },
  { name: 'events', needs: 'active', request: (t) => get(`/apis/v1/api-tokens/${t.tokenId}/events`) },
  { name: 'usage', needs: 'active', request: (t) => get(`/apis/v1/api-tokens/${t.tokenId}/usage`) },
  { name: 'suspend', needs: 'active', request: (t) => post(`/apis/v1/api-tokens/${t.tokenId}/suspend`) },
  {
    name: 'reactivate',
    needs: 'suspended',
    request: (t) => post(`/apis/v1/api-tokens/${t.tokenId}/reactivate`),
  },
  { name: 'revoke', needs: 'suspended', request: (t) => post(`/apis/v1/api-tokens/${t.tokenId}/revoke`) },
  { name: 'rotate', needs: 'active', request: (t) => post(`/apis/v1/api-tokens/${t.tokenId}/rotate`) },
  {
    name: 'renew',
    needs: 'active',
    request: (t) => post(`/apis/v1/api-tokens/${t.tokenId}/renew`, { expiresInDays: 30 }),
  },
  {
    name: 'upload file',
    needs: null,
    request: () => ({
      method: 'POST',
      url: '/apis/v1/files',
      headers: { 'content-type': `multipart/form-data; boundary=${MP}` },
      payload: multipart(MP, 'x'),
    }),
  },
  { name: 'list files', needs: null, request: () => get('/apis/v1/files') },
  { name: 'download', needs: null, request: (t) => get(`/apis/v1/files/${t.fileId}/download`) },
  { name: 'own view', needs: null, request: () => get('/apis/v1/token') },
  { name: 'forward auth', needs: null, request: () => get('/apis/v1/auth') },
  // The matrix's token holds only the default permission: it may not rotate itself.
  { name: 'self-rotate', needs: null, request: () => post('/apis/v1/token/rotate') },
  // Inventory, bulk and the audit log (SPEC 12); the bulk action is a dry run on an id nobody has.
  { name: 'applications', needs: null, request: () => get('/apis/v1/applications') },
  { name: 'export tokens', needs: null, request: () => get('/apis/v1/api-tokens/export?format=csv') },
  { name: 'audit log', needs: null, request: () => get('/apis/v1/audit-events') },
  {
    name: 'bulk',
    needs: null,
    request: (t) => post('/apis/v1/api-tokens/bulk', { action: 'suspend', ids: [t.tokenId], dryRun: true }),
  },
  // Webhooks (SPEC 10), people and the institution's settings (SPEC 11).
  { name: 'list webhooks', needs: null, request: () => get('/apis/v1/webhooks') },
  { name: 'list users', needs: null, request: () => get('/apis/v1/users') },
  { name: 'institution', needs: null, request: () => get('/apis/v1/institution') },
  {
    name: 'update institution',
    needs: null,
    request: () => ({ method: 'PATCH', url: '/apis/v1/institution', payload: {} }),
  },
];

/** A status with its documented error code (none for a success). */
export type Expect = [number, ErrorCode?];

export function assertAnswer(
  res: { statusCode: number; body: string },
  [status, code]: Expect,
  what: string,
) {
  assert.equal(res.statusCode, status, `${what} → ${res.statusCode} ${res.body}`);
  if (code) {
    assert.equal(ERROR_STATUS[code], status, `${code} is documented with ${status}`);
    assert.equal((JSON.parse(res.body) as { error: string }).error, code, `${what} → ${res.body}`);
  }
}

/** Merges credentials into a request without losing its own headers (content type). */
export const withHeaders = (o: InjectOptions, headers: Record<string, string>): InjectOptions => ({
  ...o,
  headers: { ...(o.headers ?? {}), ...headers },
});
