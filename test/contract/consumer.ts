// A consumer of tokend written as a platform team would write one: openapi-fetch over the types that
// openapi-typescript makes of /apis/v1/openapi.json, no casts, no hand-written shapes. consumer.test.ts
// compiles this file under `tsc --strict` next to types generated from the served document, then runs
// it against a live tokend; here `./api.js` is the committed copy of the same types.
import assert from 'node:assert/strict';
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

type NewToken = paths['/apis/v1/api-tokens']['post']['requestBody']['content']['application/json'];
type Expiry = Pick<NewToken, 'expiresInDays' | 'expiresAt'>;

const DAY = 86_400_000;
const CSV = 'id,name\n1,CRM\n';

/** Runs every step against `base`; returns the steps it saw succeed, in order. */
export async function consume(base: string, email: string, password: string): Promise<string[]> {
  const done: string[] = [];
  const anonymous = createClient<paths>({ baseUrl: base });

  const login = await anonymous.POST('/apis/v1/session', { body: { email, password } });
  if (!login.data) throw new Error(`login: ${login.response.status} ${JSON.stringify(login.error)}`);
  assert.equal(login.data.user.email, email);
  const cookie = login.response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const staff = createClient<paths>({ baseUrl: base, headers: { cookie } });
  // The document names the CSRF header on every state-changing request: the types ask for it there.
  const header = { 'X-CSRF-Token': login.data.csrfToken };
  done.push('login');

  const ahead = new Date(Date.now() + 3 * DAY).toISOString();
  const expiries: Expiry[] = [
    {},
    { expiresInDays: 30 },
    { expiresInDays: 90 },
    { expiresInDays: 365 },
    { expiresAt: ahead },
  ];
  const created = [];
  for (const expiry of expiries) {
    const { data, error } = await staff.POST('/apis/v1/api-tokens', {
      params: { header },
      body: {
        name: 'Consumer token',
        description: 'made by the consumer check',
        issuedFor: 'CRM',
        ...expiry,
      },
    });
    if (!data) throw new Error(`create: ${JSON.stringify(error)}`);
    assert.equal(data.token.state, 'active');
    assert.match(data.secret, /^sk-consumer-token-/);
    created.push(data);
  }
  assert.equal(created[0]?.token.expiresAt, null);
  const thirty = created[1]?.token.expiresAt;
  assert.ok(thirty !== null && thirty !== undefined && Date.parse(thirty) > Date.now() + 29 * DAY);
  assert.equal(created[4]?.token.expiresAt, ahead);
  done.push('create with every expiry option');

  const query = {
    state: ['active'],
    q: 'consumer',
    issuedFor: 'CRM',
    sort: 'expiresAt',
    order: 'asc',
    limit: 2,
  } satisfies NonNullable<paths['/apis/v1/api-tokens']['get']['parameters']['query']>;
  const first = await staff.GET('/apis/v1/api-tokens', { params: { query } });
  if (!first.data) throw new Error(`list: ${JSON.stringify(first.error)}`);
  assert.equal(first.data.items.length, 2);
  const cursor = first.data.nextCursor;
  assert.ok(cursor !== null);
  const next = await staff.GET('/apis/v1/api-tokens', { params: { query: { ...query, cursor } } });
  if (!next.data) throw new Error(`list, next page: ${JSON.stringify(next.error)}`);
  assert.equal(next.data.items.length, 2);
  done.push('list with filters and a cursor');

  const token = created[1]?.token;
  if (!token) throw new Error('no token to use');
  const path = { id: token.id };
  const detail = await staff.GET('/apis/v1/api-tokens/{id}', { params: { path } });
  assert.equal(detail.data?.name, 'Consumer token');
  const events = await staff.GET('/apis/v1/api-tokens/{id}/events', { params: { path } });
  assert.equal(events.data?.items[0]?.type, 'token.created');
  const usage = await staff.GET('/apis/v1/api-tokens/{id}/usage', { params: { path } });
  assert.ok(Array.isArray(usage.data?.items));
  done.push('detail, events, usage');

  const suspended = await staff.POST('/apis/v1/api-tokens/{id}/suspend', {
    params: { header, path },
    body: { reason: 'check' },
  });
  assert.equal(suspended.data?.state, 'suspended');
  const reactivated = await staff.POST('/apis/v1/api-tokens/{id}/reactivate', {
    params: { header, path },
    body: {},
  });
  assert.equal(reactivated.data?.state, 'active');
  const other = { id: created[0]?.token.id ?? '' };
  await staff.POST('/apis/v1/api-tokens/{id}/suspend', { params: { header, path: other }, body: {} });
  const revoked = await staff.POST('/apis/v1/api-tokens/{id}/revoke', {
    params: { header, path: other },
    body: { reason: 'done' },
  });
  assert.equal(revoked.data?.state, 'revoked');
  const refused = await staff.POST('/apis/v1/api-tokens/{id}/reactivate', {
    params: { header, path: other },
    body: {},
  });
  assert.equal(refused.error?.error, 'invalid_transition');
  done.push('suspend, reactivate, revoke, a refused transition');

  const rotated = await staff.POST('/apis/v1/api-tokens/{id}/rotate', {
    params: { header, path },
    body: { graceSeconds: 0, expectedDisplay: token.display },
  });
  if (!rotated.data) throw new Error(`rotate: ${JSON.stringify(rotated.error)}`);
  assert.equal(rotated.data.token.id, token.id);
  const secret = rotated.data.secret;
  const renewed = await staff.POST('/apis/v1/api-tokens/{id}/renew', {
    params: { header, path },
    body: { expiresInDays: 90 },
  });
  const renewedTo = renewed.data?.expiresAt;
  assert.ok(typeof renewedTo === 'string' && Date.parse(renewedTo) > Date.now() + 89 * DAY);
  done.push('rotate, renew');

  const uploaded = await staff.POST('/apis/v1/files', {
    params: { header },
    body: { file: CSV },
    bodySerializer: (body) => {
      const form = new FormData();
      form.append('file', new Blob([body.file], { type: 'text/csv' }), 'report.csv');
      return form;
    },
  });
  if (!uploaded.data) throw new Error(`upload: ${JSON.stringify(uploaded.error)}`);
  assert.equal(uploaded.data.size, CSV.length);
  done.push('upload');

  const integration = createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${secret}` } });
  const download = await integration.GET('/apis/v1/files/{id}/download', {
    params: { path: { id: uploaded.data.id } },
    parseAs: 'text',
  });
  if (download.data === undefined) throw new Error(`download: ${download.response.status}`);
  assert.equal(download.data.length, CSV.length);
  assert.equal(download.data, CSV);
  const own = await integration.GET('/apis/v1/token');
  assert.equal(own.data?.id, token.id);
  assert.equal(own.data?.state, 'active');
  assert.ok(own.response.headers.get('FF-Auth-Token-Valid-Until'));
  const gateway = await integration.GET('/apis/v1/auth', {
    headers: { 'X-Tokend-Permission': 'core.core.files_download' },
  });
  assert.equal(gateway.response.status, 200);
  assert.equal(gateway.response.headers.get('X-Tokend-Token-Id'), token.id);
  done.push('download, own view, forward auth');

  const logout = await staff.DELETE('/apis/v1/session', { params: { header } });
  assert.equal(logout.response.status, 204);
  done.push('logout');
  return done;
}
