// Tenant isolation (SPEC section 5): with two institutions, every management and token route tried
// with the other institution's session, token or ids answers 401, 403 or 404 — and changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { body, TokenSchema } from '../../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../../test-support/harness.js';
import { ROUTES, type Targets, upload, withHeaders } from '../../test-support/security-fixtures.js';

// The routes that name one of A's ids; the others act on the caller's own institution.
const ID_ROUTES = /^(get token|update token|events|usage|suspend|reactivate|revoke|rotate|renew|download)$/;

for (const kind of databaseKinds()) {
  describe(`tenant isolation (${kind})`, () => {
    let env: Env;
    before(async () => {
      env = await createEnv(kind, { authFailureLimit: 100_000, loginFailureLimit: 100_000 });
    });
    after(() => env.close());

    /** Everything of a tenant an attack could change, as one comparable value. */
    async function snapshot(t: Tenant) {
      const q = (sql: string) => env.db.query(sql, [t.institution.id]);
      return JSON.stringify([
        await q(`SELECT id, state, token_hash, expires_at, state_reason FROM api_tokens
                 WHERE institution_id = $1 ORDER BY id`),
        // A failed login on A's host is A's own record of the attempt (SPEC 11), not a change B made.
        await q(`SELECT id, type FROM audit_events WHERE institution_id = $1 AND type <> 'session.login_failed'
                 ORDER BY id`),
        await q('SELECT id, name, size FROM files WHERE institution_id = $1 ORDER BY id'),
        await q(`SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE u.institution_id = $1 ORDER BY s.user_id`),
      ]);
    }

    test("another institution's session, token and ids reach nothing and change nothing", async () => {
      const a = await env.tenant();
      const b = await env.tenant();
      const aAdmin = await a.adminAgent();
      const bAdmin = await b.adminAgent();
      const { secret: bSecret } = await bAdmin.createToken({ name: 'B integration' });
      const aFile = await upload(a);
      const aTokens = {
        active: (await aAdmin.createToken({ name: 'A active' })).token.id,
        suspended: (await aAdmin.createToken({ name: 'A suspended' })).token.id,
      };
      await aAdmin.request({ method: 'POST', url: `/apis/v1/api-tokens/${aTokens.suspended}/suspend` });
      const before = await snapshot(a);
      const aTargets = (needs: 'active' | 'suspended' | null): Targets => ({
        tokenId: aTokens[needs ?? 'active'],
        fileId: aFile.id,
      });
      const bSession = { cookie: bAdmin.cookie, 'x-csrf-token': bAdmin.csrf };
      const attempts = [
        // B's session and B's token sent to A's host, aimed at A's ids.
        { who: "B's session on A's host", tenant: a, headers: bSession },
        { who: "B's token on A's host", tenant: a, headers: { FF_AUTH: bSecret } },
        // B on its own host, with valid credentials, aimed at A's ids.
        { who: "B's session with A's ids", tenant: b, headers: bSession },
        { who: "B's token with A's ids", tenant: b, headers: { FF_AUTH: bSecret } },
      ];
      for (const { who, tenant, headers } of attempts) {
        for (const route of ROUTES) {
          const options = route.request(aTargets(route.needs));
          const res = await tenant.request(withHeaders(options, headers));
          const what = `${route.name}: ${who} → ${said(res)}`;
          if (tenant === b && route.name === 'bulk' && headers === bSession) {
            // A bulk action names A's id only to hear it refused as unknown (it is counted, never changed).
            assert.equal(res.statusCode, 200, what);
            assert.deepEqual(JSON.parse(res.body), {
              matched: 1,
              changed: 0,
              refused: [{ id: aTokens.active, error: 'not_found' }],
            });
          } else if (tenant === b && !route.name.match(ID_ROUTES)) {
            // On its own host B may act on its own things (log in, list, create); never see A's.
            assert.ok(!res.body.includes(aTokens.active) && !res.body.includes(aFile.id), what);
          } else {
            assert.ok([401, 403, 404].includes(res.statusCode), what);
          }
          if (route.name === 'DELETE session' && res.statusCode === 204) {
            // B logged itself out on its own host: log in again for the next attempts.
            const again = await b.user('admin');
            bSession.cookie = again.cookie;
            bSession['x-csrf-token'] = again.csrf;
          }
        }
      }
      await env.services.usage.flush(); // failures of B's token become events: B's, never A's
      assert.equal(await snapshot(a), before, "A's tokens, events, files and sessions are untouched");
      const own = await aAdmin.request({ method: 'GET', url: `/apis/v1/api-tokens/${aTokens.active}` });
      assert.equal(body(own, TokenSchema).state, 'active', said(own));
    });
  });
}
