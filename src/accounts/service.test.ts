// The accounts service on both databases, as HTTP and the CLI reach it: a login's session is found
// again by its cookie value in its own institution only, ends after the idle time the service was given
// and at logout; users and institutions are created, found and listed through it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEnv, databaseKinds, type Env, PASSWORD, type Tenant } from '../test-support/harness.js';
import type { AccountService } from './service.js';

const HOUR = 3_600_000;

for (const kind of databaseKinds()) {
  describe(`accounts service (${kind})`, () => {
    let env: Env;
    let t: Tenant;
    let other: Tenant;
    let accounts: AccountService;
    before(async () => {
      env = await createEnv(kind, { sessionIdleMs: 2 * HOUR });
      t = await env.tenant();
      other = await env.tenant();
      accounts = env.services.accounts;
    });
    after(() => env.close());

    const sessions = async () =>
      Number((await env.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions'))[0]?.n);

    test('a login is found by its cookie value in its institution only, and logout ends it', async () => {
      assert.equal(await accounts.login(t.institution, t.admin.email, 'wrong password!'), null);
      const before = await sessions();
      const made = await accounts.login(t.institution, t.admin.email.toUpperCase(), PASSWORD);
      assert.ok(made);
      assert.equal(await sessions(), before + 1);
      const found = await accounts.session(t.institution.id, made.sessionId);
      assert.equal(found?.user.id, t.admin.id);
      assert.equal(found?.csrfToken, made.session.csrfToken);
      assert.equal(await accounts.session(other.institution.id, made.sessionId), null);
      assert.equal(await accounts.session(t.institution.id, `${made.sessionId.slice(0, -1)}x`), null);
      await accounts.logout(made.session);
      assert.equal(await accounts.session(t.institution.id, made.sessionId), null);
      assert.equal(await sessions(), before);
    });

    test('a session ends after the idle time the service holds, and its row is deleted', async () => {
      const made = await accounts.login(t.institution, t.admin.email, PASSWORD);
      assert.ok(made);
      const before = await sessions();
      env.clock.advance(HOUR);
      assert.ok(await accounts.session(t.institution.id, made.sessionId));
      env.clock.advance(2 * HOUR);
      assert.equal(await accounts.session(t.institution.id, made.sessionId), null);
      assert.equal(await sessions(), before - 1);
    });

    test('users and institutions: created, found by email in their institution, listed, picked', async () => {
      const email = `Staff-${Date.now()}@example.test`;
      const created = await accounts.createUser({
        institutionId: t.institution.id,
        email,
        name: 'Staff',
        role: 'staff',
        features: [],
        password: PASSWORD,
      });
      assert.ok(created.ok);
      assert.equal((await accounts.findUser(t.institution.id, email.toLowerCase()))?.id, created.value.id);
      assert.equal(await accounts.findUser(other.institution.id, email), null);
      const again = await accounts.createUser({
        ...created.value,
        role: 'staff',
        features: [],
        password: PASSWORD,
      });
      assert.deepEqual(again.ok ? null : [again.code, again.field], ['invalid_request', 'email']);
      const slugs = (await accounts.listInstitutions()).map((i) => i.slug);
      assert.ok(slugs.includes(t.institution.slug) && slugs.includes(other.institution.slug));
      const picked = await accounts.pickInstitution(other.institution.slug);
      assert.equal(picked.ok && picked.value.id, other.institution.id);
      const several = await accounts.pickInstitution(undefined);
      assert.deepEqual(several.ok ? null : [several.code, several.field], ['invalid_request', 'institution']);
      const changed = await accounts.updateInstitution(t.institution.slug, { requireExpiry: true });
      assert.equal(changed.ok && changed.value.requireExpiry, true);
    });
  });
}
