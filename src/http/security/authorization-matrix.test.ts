// Who may call what (SPEC sections 4, 5, 7 and 10-12) as one table: every route against every kind of caller.
// Tokens never reach staff routes, sessions never stand in for tokens, the tokens feature gates the
// management API, and each refusal uses its documented code.
import { after, before, describe, test } from 'node:test';
import { createEnv, databaseKinds, type Env, TOKENS_FEATURE } from '../../test-support/harness.js';
import {
  assertAnswer,
  type Expect,
  ROUTES,
  type Targets,
  upload,
  withHeaders,
} from '../../test-support/security-fixtures.js';

type Actor = 'anonymous' | 'token' | 'staff' | 'staff+feature' | 'admin';
const ACTORS: Actor[] = ['anonymous', 'token', 'staff', 'staff+feature', 'admin'];

const U: Expect = [401, 'unauthenticated'];
const MISSING: Expect = [401, 'missing_token'];
const FORBIDDEN: Expect = [403, 'insufficient_permission'];
// [anonymous, token, staff, staff+feature, admin]
const staffRoute = (ok: number): Expect[] => [U, FORBIDDEN, FORBIDDEN, [ok], [ok]];
// People and the institution's settings: administrators only (staff read the settings).
const adminRoute = (ok: number): Expect[] => [U, FORBIDDEN, FORBIDDEN, FORBIDDEN, [ok]];
const tokenRoute: Expect[] = [MISSING, [200], MISSING, MISSING, MISSING];

const TABLE: Record<string, Expect[]> = {
  'POST session': Array(5).fill([401, 'invalid_credentials']),
  'GET session': [U, U, [200], [200], [200]],
  'DELETE session': [U, FORBIDDEN, [204], [204], [204]],
  'list tokens': staffRoute(200),
  'create token': staffRoute(201),
  'update token': staffRoute(200),
  permissions: staffRoute(200),
  'get token': staffRoute(200),
  events: staffRoute(200),
  usage: staffRoute(200),
  suspend: staffRoute(200),
  reactivate: staffRoute(200),
  revoke: staffRoute(200),
  rotate: staffRoute(200),
  renew: staffRoute(200),
  'upload file': staffRoute(201),
  'list files': staffRoute(200),
  download: tokenRoute,
  'own view': tokenRoute,
  'forward auth': tokenRoute,
  'self-rotate': [MISSING, FORBIDDEN, MISSING, MISSING, MISSING],
  applications: staffRoute(200),
  'export tokens': staffRoute(200),
  'audit log': staffRoute(200),
  bulk: staffRoute(200),
  'list webhooks': staffRoute(200),
  'list users': adminRoute(200),
  institution: [U, FORBIDDEN, [200], [200], [200]],
  'update institution': adminRoute(200),
};

for (const kind of databaseKinds()) {
  describe(`authorization matrix (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 100_000, loginFailureLimit: 100_000 });
    });
    after(() => env.close());

    test('every route × {anonymous, token, staff, staff with the feature, admin} answers as the SPEC says', async () => {
      const t = await env.tenant();
      const admin = await t.adminAgent();
      const { secret } = await admin.createToken({ name: 'Matrix caller' });
      const file = await upload(t);
      // One session per kind of caller, but a fresh one for DELETE session, which ends the one it is given.
      const agents = new Map<Actor, Record<string, string>>();
      const credentials = async (actor: Actor, fresh: boolean): Promise<Record<string, string>> => {
        if (actor === 'anonymous') return {};
        if (actor === 'token') return { FF_AUTH: secret };
        const known = agents.get(actor);
        if (known && !fresh) return known;
        const agent =
          actor === 'admin'
            ? await t.user('admin')
            : await t.user('staff', actor === 'staff+feature' ? [TOKENS_FEATURE] : []);
        const headers = { cookie: agent.cookie, 'x-csrf-token': agent.csrf };
        if (!fresh) agents.set(actor, headers);
        return headers;
      };
      const target = async (needs: 'active' | 'suspended' | null): Promise<Targets> => {
        if (!needs) return { tokenId: '00000000-0000-4000-8000-000000000000', fileId: file.id };
        const { token } = await admin.createToken({ name: `Target ${needs}` });
        if (needs === 'suspended')
          await admin.request({ method: 'POST', url: `/apis/v1/api-tokens/${token.id}/suspend` });
        return { tokenId: token.id, fileId: file.id };
      };
      for (const route of ROUTES) {
        const row = TABLE[route.name];
        if (!row) throw new Error(`the table has no row for ${route.name}`);
        for (const [i, actor] of ACTORS.entries()) {
          const targets = await target(route.needs);
          const res = await t.request(
            withHeaders(route.request(targets), await credentials(actor, route.name === 'DELETE session')),
          );
          assertAnswer(res, row[i] as Expect, `${route.name} as ${actor}`);
        }
      }
    });
  });
}
