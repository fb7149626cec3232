// Permissions and network rules on create, PATCH /apis/v1/api-tokens/:id and the list's permission
// filter (SPEC 8, 12), through the API as staff see them: what is stored (canonical networks, keys in
// order), every bad input a 400 naming its field with nothing written, the token.updated event and its
// changes, 409 on revoked and expired tokens, concurrent edits as one chain, the institution's policy,
// and on PostgreSQL a narrowing on one instance honoured by another within a second.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { updateInstitution } from '../accounts/institutions.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import type { Db } from '../db/db.js';
import { type Running, startServer } from '../main.js';
import { PermissionService } from '../permissions/service.js';
import { body, ErrorSchema, EventPage, TokenPage, TokenSchema } from '../test-support/answers.js';
import {
  type Agent,
  createEnv,
  databaseKinds,
  type Env,
  freshDb,
  said,
  type Tenant,
} from '../test-support/harness.js';
import * as live from '../test-support/live-server.js';

const DEFAULT = 'core.core.files_download';
type Answered = Awaited<ReturnType<Agent['request']>>;

for (const kind of databaseKinds()) {
  describe(`token permissions, network rules and edits (${kind})`, () => {
    let env: Env;
    // The catalogue is shared by every tenant: each test file's database gets these once.
    const legacy = `legacy.reports_${randomBytes(3).toString('hex')}`;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 1000 });
      for (const key of ['contacts.read', 'applications.read', 'contacts.write', legacy]) {
        assert.ok((await env.services.permissions.add(key, `The ${key} permission`)).ok);
      }
      assert.ok((await env.services.permissions.deprecate(legacy)).ok);
    });
    after(() => env.close());

    const patch = (admin: Agent, id: string, payload?: unknown) =>
      admin.request({
        method: 'PATCH',
        url: `/apis/v1/api-tokens/${id}`,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const get = async (admin: Agent, id: string) =>
      body(await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}` }), TokenSchema);
    const events = async (admin: Agent, id: string) =>
      body(await admin.request({ method: 'GET', url: `/apis/v1/api-tokens/${id}/events` }), EventPage).items;
    /** What the tenant's tables hold: a refused request must leave every row and event as it was. */
    const snapshot = async (t: Tenant) => ({
      tokens: await env.db.query(
        'SELECT * FROM api_tokens WHERE institution_id = $1 ORDER BY created_at, id',
        [t.institution.id],
      ),
      events: await env.db.query(
        'SELECT id, type, details FROM audit_events WHERE institution_id = $1 ORDER BY seq',
        [t.institution.id],
      ),
    });
    const refusedWith = (res: Answered, field: string) => {
      assert.equal(res.statusCode, 400, said(res));
      const error = body(res, ErrorSchema);
      assert.equal(error.error, 'invalid_request', said(res));
      assert.equal(error.field, field, said(res));
    };

    test('create stores permissions in key order and addresses as canonical networks', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const created = await admin.createToken({
        permissions: ['contacts.read', DEFAULT, 'applications.read'],
        allowedIps: ['198.51.100.7/24', ' 203.0.113.7 ', '2001:DB8:0:0:0::1/48', '::ffff:192.0.2.1', '::1'],
      });
      const expected = {
        permissions: ['applications.read', 'contacts.read', DEFAULT],
        allowedIps: ['198.51.100.0/24', '203.0.113.7/32', '2001:db8::/48', '192.0.2.1/32', '::1/128'],
      };
      assert.deepEqual(
        { permissions: created.token.permissions, allowedIps: created.token.allowedIps },
        expected,
      );
      const read = await get(admin, created.token.id);
      assert.deepEqual({ permissions: read.permissions, allowedIps: read.allowedIps }, expected);
      const [row] = await env.db.query<{ permissions: string[]; allowed_ips: string[] }>(
        'SELECT permissions, allowed_ips FROM api_tokens WHERE id = $1',
        [created.token.id],
      );
      assert.deepEqual(row, { permissions: expected.permissions, allowed_ips: expected.allowedIps });
      const plain = await admin.createToken();
      assert.deepEqual(plain.token.permissions, [DEFAULT], 'the default of seed 001');
      assert.deepEqual(plain.token.allowedIps, []);
      const open = await admin.createToken({ allowedIps: null });
      assert.deepEqual(open.token.allowedIps, []);
    });

    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    const BAD_PERMISSIONS: [string, unknown][] = [
      ['an unknown key', ['nope.nope']],
      ['a deprecated key', [legacy]],
      ['a duplicate', ['contacts.read', 'contacts.read']],
      ['51 entries', many(51, (i) => `p.k${i}`)],
      ['an empty list', []],
      ['a reserved key', ['core.institutions.settings_api_tokens_change']],
      ['not a list', 'contacts.read'],
    ];
    const BAD_ADDRESSES: [string, unknown][] = [
      ['0.0.0.0/0', ['0.0.0.0/0']],
      ['::/0', ['::/0']],
      ['an IPv4-mapped /0', ['::ffff:0.0.0.0/96']],
      ['an unparsable entry', ['10.0.0.300']],
      ['a hostname', ['example.com']],
      ['a prefix too long', ['10.0.0.0/33']],
      ['a zone id', ['fe80::1%eth0']],
      ['a duplicate after canonical form', ['10.0.0.1', '10.0.0.1/32']],
      ['51 entries', many(51, (i) => `10.0.${i}.0/24`)],
    ];

    test('every bad create answers 400 naming its field and writes nothing', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      await admin.createToken({ name: 'Already there' });
      const before = await snapshot(t);
      const cases: [string, Record<string, unknown>, string][] = [
        ...BAD_PERMISSIONS.map(([what, v]): [string, Record<string, unknown>, string] => [
          what,
          { permissions: v },
          'permissions',
        ]),
        ...BAD_ADDRESSES.map(([what, v]): [string, Record<string, unknown>, string] => [
          what,
          { allowedIps: v },
          'allowedIps',
        ]),
      ];
      for (const [what, fields, field] of cases) {
        const res = await admin.request({
          method: 'POST',
          url: '/apis/v1/api-tokens',
          payload: { name: `Bad: ${what}`, ...fields },
        });
        refusedWith(res, field);
      }
      assert.deepEqual(await snapshot(t), before, 'no token and no event was written');
    });

    test('every bad PATCH answers 400 naming its field and changes nothing', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token } = await admin.createToken({ name: 'Steady', permissions: ['contacts.read'] });
      const before = await snapshot(t);
      const cases: [string, unknown, string][] = [
        ...BAD_PERMISSIONS.map(([what, v]): [string, unknown, string] => [
          what,
          { permissions: v },
          'permissions',
        ]),
        ...BAD_ADDRESSES.map(([what, v]): [string, unknown, string] => [
          what,
          { allowedIps: v },
          'allowedIps',
        ]),
        ['an empty body', {}, 'body'],
        ['no body', undefined, 'body'],
        ['an unknown field', { name: 'New', state: 'active' }, 'state'],
        ['an empty name', { name: '  ' }, 'name'],
        ['a name with a control character', { name: 'a\u0007b' }, 'name'],
        ['a null name', { name: null }, 'name'],
        ['a long description', { description: 'x'.repeat(2001) }, 'description'],
        ['a bad field beside a good one', { name: 'Fine', permissions: ['nope.nope'] }, 'permissions'],
      ];
      for (const [what, payload, field] of cases) {
        const res = await patch(admin, token.id, payload);
        assert.equal(res.statusCode, 400, `${what}: ${said(res)}`);
        refusedWith(res, field);
      }
      assert.deepEqual(await snapshot(t), before, 'the row and its events are as they were');
      const bogus = await patch(admin, 'not-a-uuid', { name: 'x' });
      refusedWith(bogus, 'id');
    });

    test('PATCH of each field answers the token and records its change', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token } = await admin.createToken({ name: 'Original', permissions: ['contacts.read'] });
      const steps: [Record<string, unknown>, Record<string, { from: unknown; to: unknown }>][] = [
        [{ name: ' Renamed ' }, { name: { from: 'Original', to: 'Renamed' } }],
        [{ description: 'nightly sync' }, { description: { from: null, to: 'nightly sync' } }],
        [{ description: null }, { description: { from: 'nightly sync', to: null } }],
        [{ issuedFor: 'CRM' }, { issuedFor: { from: null, to: 'CRM' } }],
        [{ issuedFor: null }, { issuedFor: { from: 'CRM', to: null } }],
        [
          { permissions: ['contacts.write', 'applications.read'] },
          { permissions: { from: ['contacts.read'], to: ['applications.read', 'contacts.write'] } },
        ],
        [
          { allowedIps: ['10.1.2.3/16', '2001:db8::7'] },
          { allowedIps: { from: [], to: ['10.1.0.0/16', '2001:db8::7/128'] } },
        ],
        [{ allowedIps: null }, { allowedIps: { from: ['10.1.0.0/16', '2001:db8::7/128'], to: [] } }],
        [{ allowedIps: ['192.0.2.0/24'] }, { allowedIps: { from: [], to: ['192.0.2.0/24'] } }],
        [{ allowedIps: [] }, { allowedIps: { from: ['192.0.2.0/24'], to: [] } }],
        [
          { name: 'Both', description: 'two at once', permissions: [DEFAULT] },
          {
            name: { from: 'Renamed', to: 'Both' },
            description: { from: null, to: 'two at once' },
            permissions: { from: ['applications.read', 'contacts.write'], to: [DEFAULT] },
          },
        ],
      ];
      for (const [payload, changes] of steps) {
        const res = await patch(admin, token.id, payload);
        assert.equal(res.statusCode, 200, said(res));
        assert.equal(res.headers['cache-control'], 'no-store');
        const answered = body(res, TokenSchema);
        assert.deepEqual(answered, await get(admin, token.id), 'the answer is the token as stored');
        for (const [field, { to }] of Object.entries(changes))
          assert.deepEqual(answered[field as keyof typeof answered], to, field);
        const [latest] = await events(admin, token.id);
        assert.equal(latest?.type, 'token.updated');
        assert.deepEqual(latest?.details, { changes }, JSON.stringify(payload));
        assert.equal(latest?.actor?.id, admin.user.id);
      }
      const all = await events(admin, token.id);
      assert.equal(all.filter((e) => e.type === 'token.updated').length, steps.length);
    });

    test('a PATCH that changes nothing answers the token and records no event', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token } = await admin.createToken({
        name: 'Same',
        description: 'kept',
        permissions: ['contacts.read', DEFAULT],
        allowedIps: ['10.0.0.0/8'],
      });
      const before = await snapshot(t);
      for (const payload of [
        { name: 'Same' },
        { name: ' Same ', description: 'kept' },
        { permissions: [DEFAULT, 'contacts.read'] },
        { allowedIps: ['10.1.2.3/8'] },
        { issuedFor: null },
      ]) {
        const res = await patch(admin, token.id, payload);
        assert.equal(res.statusCode, 200, said(res));
        assert.deepEqual(body(res, TokenSchema), await get(admin, token.id));
      }
      assert.deepEqual(await snapshot(t), before);
    });

    test('a deprecated permission the token holds may stay; it cannot be granted anew', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const key = `old.feed_${randomBytes(3).toString('hex')}`;
      assert.ok((await env.services.permissions.add(key, 'An old feed')).ok);
      const holder = await admin.createToken({ permissions: [key] });
      const other = await admin.createToken();
      assert.ok((await env.services.permissions.deprecate(key)).ok);
      const kept = await patch(admin, holder.token.id, { permissions: ['contacts.read', key] });
      assert.equal(kept.statusCode, 200, said(kept));
      assert.deepEqual(body(kept, TokenSchema).permissions, ['contacts.read', key]);
      refusedWith(await patch(admin, other.token.id, { permissions: [key] }), 'permissions');
      // Once dropped, it is granted anew if asked for again.
      assert.equal((await patch(admin, holder.token.id, { permissions: ['contacts.read'] })).statusCode, 200);
      refusedWith(await patch(admin, holder.token.id, { permissions: [key] }), 'permissions');
    });

    test('PATCH answers 409 on revoked and expired tokens and 404 on another institution’s', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const revoked = await admin.createToken({ name: 'Gone' });
      for (const action of ['suspend', 'revoke']) {
        const res = await admin.request({
          method: 'POST',
          url: `/apis/v1/api-tokens/${revoked.token.id}/${action}`,
        });
        assert.equal(res.statusCode, 200, said(res));
      }
      const expiring = await admin.createToken({
        name: 'Short',
        expiresAt: new Date(env.clock().getTime() + 120_000).toISOString(),
      });
      const suspended = await admin.createToken({ name: 'Paused' });
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${suspended.token.id}/suspend` });
      env.clock.advance(121_000);
      const before = await snapshot(t);
      for (const [id, state] of [
        [revoked.token.id, 'revoked'],
        [expiring.token.id, 'expired'],
      ] as const) {
        const res = await patch(admin, id, { name: 'Edited' });
        assert.equal(res.statusCode, 409, said(res));
        const error = body(res, ErrorSchema);
        assert.equal(error.error, 'invalid_transition');
        assert.match(error.message, new RegExp(`a token that is ${state}`));
      }
      const after = await snapshot(t);
      assert.deepEqual(
        after.events.slice(before.events.length).map((e) => (e as { type: string }).type),
        ['token.expired'],
        'the refusal records the expiry it saw, and nothing else',
      );
      assert.equal((await get(admin, revoked.token.id)).name, 'Gone');
      const edited = await patch(admin, suspended.token.id, { name: 'Edited while paused' });
      assert.equal(edited.statusCode, 200, said(edited));
      assert.equal(body(edited, TokenSchema).state, 'suspended');
      const stranger = await (await env.tenant()).adminAgent();
      const res = await patch(stranger, suspended.token.id, { name: 'Not yours' });
      assert.equal(res.statusCode, 404, said(res));
    });

    test('20 concurrent PATCHes apply one after another: one event each, their from/to one chain', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { token } = await admin.createToken({ name: 'Raced', permissions: [DEFAULT] });
      const sets = [['contacts.read'], ['applications.read'], [DEFAULT, 'contacts.write']];
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          patch(admin, token.id, { name: `Raced ${i}`, permissions: sets[i % 3] }),
        ),
      );
      for (const res of answers) assert.equal(res.statusCode, 200, said(res));
      const final = await get(admin, token.id);
      const updates = (await events(admin, token.id)).filter((e) => e.type === 'token.updated');
      assert.equal(updates.length, 20, 'every PATCH changed the name');
      type Changes = Record<string, { from: unknown; to: unknown }>;
      const changes = updates.map((e) => (e.details as { changes: Changes }).changes);
      // Newest first: each change starts where the one after it (the one before in time) ended.
      const chain = (field: string, start: unknown, end: unknown) => {
        const steps = changes.filter((c) => c[field]).map((c) => c[field]);
        assert.deepEqual(steps[0]?.to, end, `${field}: the newest change ends at the stored value`);
        assert.deepEqual(steps[steps.length - 1]?.from, start, `${field}: the oldest starts at the original`);
        for (let i = 0; i + 1 < steps.length; i++)
          assert.deepEqual(steps[i]?.from, steps[i + 1]?.to, `${field} change ${i}`);
      };
      chain('name', 'Raced', final.name);
      chain('permissions', [DEFAULT], final.permissions);
      const names = changes.map((c) => c.name?.to);
      assert.equal(new Set(names).size, 20, 'each PATCH applied exactly once');
    });

    test('the policy requireAllowedIps: refused on create and when a PATCH leaves the rule empty', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const before = await admin.createToken({ name: 'Before the policy' });
      const set = async (requireAllowedIps: boolean) => {
        const changed = await updateInstitution(env.db, t.institution.slug, { requireAllowedIps });
        assert.ok(changed.ok && changed.value.requireAllowedIps === requireAllowedIps);
      };
      // The request's institution comes from a cache: the policy is read as it stands, without waiting.
      await set(true);
      const rows = await snapshot(t);
      for (const fields of [{}, { allowedIps: null }, { allowedIps: [] }]) {
        const res = await admin.request({
          method: 'POST',
          url: '/apis/v1/api-tokens',
          payload: { name: 'No rule', ...fields },
        });
        refusedWith(res, 'allowedIps');
      }
      for (const payload of [{ allowedIps: null }, { allowedIps: [] }, { name: 'x', allowedIps: [] }])
        refusedWith(await patch(admin, before.token.id, payload), 'allowedIps');
      assert.deepEqual(await snapshot(t), rows);
      const renamed = await patch(admin, before.token.id, { name: 'Renamed under the policy' });
      assert.equal(renamed.statusCode, 200, said(renamed));
      const narrowed = await patch(admin, before.token.id, { permissions: ['contacts.read'] });
      assert.equal(narrowed.statusCode, 200, said(narrowed));
      const ruled = await admin.createToken({ name: 'Ruled', allowedIps: ['10.0.0.0/8'] });
      assert.deepEqual(ruled.token.allowedIps, ['10.0.0.0/8']);
      const moved = await patch(admin, ruled.token.id, { allowedIps: ['10.2.0.0/16'] });
      assert.equal(moved.statusCode, 200, said(moved));
      refusedWith(await patch(admin, ruled.token.id, { allowedIps: null }), 'allowedIps');
      await set(false);
      assert.equal((await patch(admin, ruled.token.id, { allowedIps: null })).statusCode, 200);
      const free = await admin.createToken({ name: 'Free again' });
      assert.deepEqual(free.token.allowedIps, []);
    });

    test('the list filters by permission (any of them), with the other filters, bound into the cursor', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const contacts = await admin.createToken({ name: 'c', permissions: ['contacts.read'] });
      const apps = await admin.createToken({ name: 'a', permissions: ['applications.read', DEFAULT] });
      const both = await admin.createToken({
        name: 'b',
        permissions: ['applications.read', 'contacts.read'],
      });
      await admin.createToken({ name: 'd' });
      await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${both.token.id}/suspend` });
      const list = async (query: string) => {
        const res = await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?${query}` });
        assert.equal(res.statusCode, 200, said(res));
        return body(res, TokenPage);
      };
      const ids = async (query: string) => (await list(query)).items.map((i) => i.id).sort();
      const sorted = (...created: { token: { id: string } }[]) => created.map((c) => c.token.id).sort();
      assert.deepEqual(await ids('permission=contacts.read'), sorted(contacts, both));
      assert.deepEqual(
        await ids('permission=contacts.read&permission=applications.read'),
        sorted(contacts, apps, both),
      );
      assert.deepEqual(await ids('permission=applications.read&state=active'), sorted(apps));
      assert.deepEqual(await ids('permission=nobody.holds_this'), []);
      const first = await list('permission=contacts.read&limit=1');
      assert.ok(first.nextCursor);
      const rest = await list(`permission=contacts.read&limit=1&cursor=${first.nextCursor}`);
      assert.equal(rest.items.length, 1);
      assert.notEqual(rest.items[0]?.id, first.items[0]?.id);
      for (const query of [
        `permission=applications.read&limit=1&cursor=${first.nextCursor}`,
        `limit=1&cursor=${first.nextCursor}`,
      ]) {
        refusedWith(await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?${query}` }), 'cursor');
      }
      for (const bad of ['Not%20a%20key', 'a%00b', '', 'x'.repeat(101)])
        refusedWith(
          await admin.request({ method: 'GET', url: `/apis/v1/api-tokens?permission=${bad}` }),
          'permission',
        );
    });
  });
}

describe(
  'a PATCH on one instance is honoured by another (PostgreSQL)',
  { skip: !process.env.TEST_DATABASE_URL },
  () => {
    const ADMIN = 'admin@example.test';
    const PASSWORD = 'admin-password-123';
    let db: Db;
    const servers: Running[] = [];
    let a: string;
    let b: string;
    let staff: live.Staff;

    before(async () => {
      db = await freshDb('postgres');
      const url = 'url' in db && typeof db.url === 'string' ? db.url : '';
      const dataDir = mkdtempSync(join(tmpdir(), 'tokend-update-'));
      const start = async () => {
        const config = loadConfig({
          DATABASE_URL: url,
          TOKEND_ADMIN_EMAIL: ADMIN,
          TOKEND_ADMIN_PASSWORD: PASSWORD,
          TOKEND_DATA_DIR: dataDir,
          PORT: '0',
          TOKEND_REMINDER_INTERVAL: '0',
          TOKEND_AUTH_FAILURE_LIMIT: '100000',
          // A cache lifetime of a minute: only the change notice can explain a refusal within a second.
          TOKEND_CACHE_TTL: '60s',
        });
        const running = await startServer(config, { logger: pino({ level: 'silent' }) });
        servers.push(running);
        return running.url;
      };
      a = await start();
      b = await start();
      const permissions = new PermissionService(db, systemClock);
      for (const key of ['contacts.read', 'applications.read'])
        assert.ok((await permissions.add(key, `The ${key} permission`)).ok);
      staff = await live.login(a, ADMIN, PASSWORD);
    });
    after(async () => {
      for (const s of servers) await s.stop();
      await db.close();
    });

    const forwardAuth = async (base: string, secret: string, permission: string) => {
      const res = await fetch(`${base}/apis/v1/auth`, {
        headers: { authorization: `Bearer ${secret}`, 'x-tokend-permission': permission },
      });
      await res.arrayBuffer();
      return { status: res.status, error: res.headers.get('x-tokend-error') };
    };

    test('narrowing permissions on A is refused by B for the removed key within 1 s', async () => {
      const { token, secret } = await live.createToken(staff, {
        permissions: ['applications.read', 'contacts.read'],
      });
      assert.deepEqual(await forwardAuth(b, secret, 'contacts.read'), { status: 200, error: null });
      const res = await live.staffCall(staff, 'PATCH', `/apis/v1/api-tokens/${token.id}`, {
        permissions: ['applications.read'],
      });
      assert.equal(res.status, 200, await res.text());
      const since = performance.now();
      let accepted = 0;
      for (;;) {
        const answer = await forwardAuth(b, secret, 'contacts.read');
        if (answer.status !== 200) {
          assert.deepEqual(answer, { status: 403, error: 'insufficient_permission' });
          break;
        }
        accepted++;
        assert.ok(
          performance.now() - since < 1000,
          `B still let contacts.read pass after ${accepted} checks`,
        );
      }
      assert.deepEqual(await forwardAuth(b, secret, 'applications.read'), { status: 200, error: null });
    });
  },
);
