// Sign-in with the institution's identity provider (SPEC 11) on both databases, against a real OpenID
// provider (oidc-provider over HTTPS with a self-signed certificate, trusted through TOKEND_OIDC_CA_FILE):
// the redirects driven with fetch and a cookie jar, the callback answered by the real app. The groups
// decide the role at every sign-in; refusals open nothing; forged state, a replayed code, a wrong nonce,
// another issuer's or client's code and an expired ID token are refused; password login closes for all
// but break-glass administrators; the client secret appears in no answer and no log line.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { LightMyRequestResponse } from 'fastify';
import { createEnv, databaseKinds, type Env, PASSWORD, TOKENS_FEATURE } from '../test-support/harness.js';
import {
  CookieJar,
  signInAtProvider,
  startProvider,
  type TestProvider,
} from '../test-support/oidc-provider.js';
import { institutionView } from '../cli/accounts.js';
import type { Institution } from './records.js';
import { createUser } from './users.js';

const HOST = 'sso.example.test';
const PUBLIC_URL = `http://${HOST}:3000`;
const CALLBACK = `${PUBLIC_URL}/apis/v1/session/oidc/callback`;
const SECRET = `client-secret-${randomBytes(12).toString('hex')}`;
const OTHER_SECRET = `other-secret-${randomBytes(12).toString('hex')}`;
const clients = [
  { clientId: 'tokend', clientSecret: SECRET, redirectUris: [CALLBACK] },
  { clientId: 'other-app', clientSecret: OTHER_SECRET, redirectUris: [CALLBACK] },
];

let provider: TestProvider;
let second: TestProvider;

before(async () => {
  provider = await startProvider({ clients });
  second = await startProvider({ clients });
});
after(async () => {
  await provider?.stop();
  await second?.stop();
});

for (const kind of databaseKinds()) {
  describe(`sign-in with the identity provider (${kind})`, () => {
    let env: Env;
    let institution: Institution;
    const logLines: string[] = [];
    const id = (name: string) => `${kind}-${name}-${randomBytes(3).toString('hex')}`;

    before(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString());
          done();
        },
      });
      env = await createEnv(
        kind,
        { publicUrl: PUBLIC_URL, oidcCaFile: provider.caFile },
        { logger: pino({ level: 'debug' }, sink) },
      );
      const made = await env.services.accounts.createInstitution({
        slug: 'sso',
        name: 'SSO University',
        hosts: [HOST],
        notify: [],
        requireExpiry: false,
        maxLifetimeDays: null,
      });
      assert.ok(made.ok);
      institution = await setSso({ issuer: provider.issuer, clientId: 'tokend', clientSecret: SECRET });
    });
    after(() => env.close());

    async function setSso(
      sso: { issuer: string; clientId: string; clientSecret: string } | null,
      passwordLogin?: boolean,
    ): Promise<Institution> {
      const changed = await env.services.accounts.updateInstitution('sso', {
        sso: sso && { ...sso, adminGroup: 'tokend-admins', staffGroup: 'tokend-staff' },
        passwordLogin,
      });
      assert.ok(changed.ok, changed.ok ? '' : changed.message);
      env.services.institutions.invalidate();
      return changed.value;
    }

    const get = (url: string, cookie?: string) =>
      env.app.inject({ method: 'GET', url, headers: { host: HOST, ...(cookie ? { cookie } : {}) } });

    /** GET /apis/v1/session/oidc: the provider's URL and the flow's cookie. */
    async function begin(returnTo?: string) {
      const res = await get(
        `/apis/v1/session/oidc${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`,
      );
      assert.equal(res.statusCode, 302, res.body);
      const flow = res.cookies.find((c) => c.name === 'tokend_oidc');
      assert.ok(flow, 'the start sets the flow cookie');
      assert.equal(flow.httpOnly, true);
      assert.equal(flow.sameSite, 'Lax');
      return { location: String(res.headers.location), cookie: `tokend_oidc=${flow.value}` };
    }

    /** The provider's redirect back, answered by tokend with this browser's cookie. */
    const callback = (url: string, cookie: string) => {
      const u = new URL(url);
      assert.equal(`${u.origin}${u.pathname}`, CALLBACK);
      return get(`${u.pathname}${u.search}`, cookie);
    };

    const sessionCookie = (res: LightMyRequestResponse) => {
      const c = res.cookies.find((x) => x.name === 'tokend_session');
      return c && c.value ? `tokend_session=${c.value}` : null;
    };

    const sessionCount = async () =>
      Number((await env.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions'))[0]?.n);

    /** A whole sign-in as `login`; the callback's answer. */
    async function signIn(login: string, returnTo?: string) {
      const { location, cookie } = await begin(returnTo);
      const back = await signInAtProvider(provider, new CookieJar(), location, login);
      return callback(back, cookie);
    }

    function refusedWith(res: LightMyRequestResponse, reason: string) {
      assert.equal(res.statusCode, 302, res.body);
      assert.equal(res.headers.location, `/?login_error=${reason}`);
      assert.equal(sessionCookie(res), null, 'no session cookie');
    }

    test('the login page learns that SSO is set, by the provider’s host', async () => {
      const res = await get('/apis/v1/session/options');
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        sso: true,
        provider: new URL(provider.issuer).host,
        passwordLogin: true,
      });
      assert.ok(!res.body.includes(SECRET));
    });

    test('an admin-group member is created at first sign-in as admin and lands at returnTo', async () => {
      const login = id('admin');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-admins'],
        name: 'Ada Admin',
      });
      const res = await signIn(login, '/settings/api-tokens?q=x');
      assert.equal(res.statusCode, 302, res.body);
      assert.equal(res.headers.location, '/settings/api-tokens?q=x');
      const cookie = sessionCookie(res);
      assert.ok(cookie);
      const session = await get('/apis/v1/session', cookie);
      assert.equal(session.statusCode, 200);
      const { user } = session.json<{ user: { role: string; email: string; name: string } }>();
      assert.deepEqual([user.role, user.email, user.name], ['admin', `${login}@uni.example`, 'Ada Admin']);
      const [row] = await env.db.query<{
        oidc_issuer: string;
        oidc_subject: string;
        break_glass: boolean;
        last_login_at: Date | null;
      }>('SELECT oidc_issuer, oidc_subject, break_glass, last_login_at FROM users WHERE email = $1', [
        `${login}@uni.example`,
      ]);
      assert.equal(row?.oidc_issuer, provider.issuer);
      assert.equal(row?.oidc_subject, login);
      assert.equal(row?.break_glass, false);
      assert.ok(row?.last_login_at);
      const events = await env.db.query<{ type: string; details: { method?: string } }>(
        "SELECT type, details FROM audit_events WHERE type = 'session.login' AND actor_id = (SELECT id FROM users WHERE email = $1)",
        [`${login}@uni.example`],
      );
      assert.deepEqual(
        events.map((e) => [e.type, e.details.method]),
        [['session.login', 'oidc']],
      );
    });

    test('a staff-group member signs in as staff with the tokens feature; returnTo elsewhere is ignored', async () => {
      const login = id('staff');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-staff'],
      });
      const res = await signIn(login, 'https://evil.example/phish');
      assert.equal(res.headers.location, '/');
      const cookie = sessionCookie(res);
      assert.ok(cookie);
      const { user } = (await get('/apis/v1/session', cookie)).json<{
        user: { role: string; features: string[] };
      }>();
      assert.equal(user.role, 'staff');
      assert.deepEqual(user.features, [TOKENS_FEATURE]);
      for (const bad of ['//evil.example/x', '/\\evil.example']) {
        const again = await signIn(login, bad);
        assert.equal(again.headers.location, '/', bad);
      }
    });

    test('someone in neither group is refused and nothing is opened', async () => {
      const login = id('neither');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['students'],
      });
      const before = await sessionCount();
      refusedWith(await signIn(login), 'not_allowed');
      assert.equal(await sessionCount(), before);
      const users = await env.db.query('SELECT id FROM users WHERE email = $1', [`${login}@uni.example`]);
      assert.equal(users.length, 0, 'no user is created');
      const failed = await env.db.query<{ details: { method?: string; reason?: string } }>(
        "SELECT details FROM audit_events WHERE type = 'session.login_failed' AND institution_id = $1",
        [institution.id],
      );
      assert.ok(failed.some((e) => e.details.method === 'oidc' && e.details.reason === 'not_allowed'));
    });

    test('moved out of the groups, a user is refused and their open session ends', async () => {
      const login = id('leaver');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-admins'],
      });
      const first = sessionCookie(await signIn(login));
      assert.ok(first);
      assert.equal((await get('/apis/v1/session', first)).statusCode, 200);
      provider.accounts.set(login, { email: `${login}@uni.example`, email_verified: true, groups: [] });
      refusedWith(await signIn(login), 'not_allowed');
      assert.equal((await get('/apis/v1/session', first)).statusCode, 401, 'the old session ended');
    });

    test('a role change at sign-in ends the user’s other sessions', async () => {
      const login = id('promoted');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-staff'],
      });
      const asStaff = sessionCookie(await signIn(login));
      assert.ok(asStaff);
      const again = sessionCookie(await signIn(login));
      assert.ok(again);
      assert.equal((await get('/apis/v1/session', asStaff)).statusCode, 200, 'same role: sessions stay');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-admins'],
      });
      const asAdmin = sessionCookie(await signIn(login));
      assert.ok(asAdmin);
      assert.equal((await get('/apis/v1/session', asStaff)).statusCode, 401);
      assert.equal((await get('/apis/v1/session', again)).statusCode, 401);
      const { user } = (await get('/apis/v1/session', asAdmin)).json<{ user: { role: string } }>();
      assert.equal(user.role, 'admin');
    });

    test('an unverified or missing email is refused', async () => {
      const unverified = id('unverified');
      provider.accounts.set(unverified, {
        email: `${unverified}@uni.example`,
        email_verified: false,
        groups: ['tokend-admins'],
      });
      refusedWith(await signIn(unverified), 'email_unverified');
      const noEmail = id('noemail');
      provider.accounts.set(noEmail, { groups: ['tokend-admins'] });
      refusedWith(await signIn(noEmail), 'email_unverified');
    });

    test('an existing user’s email without this identity is refused, never linked', async () => {
      const login = id('taken');
      const email = `${login}@uni.example`;
      const made = await createUser(env.db, env.clock, {
        institutionId: institution.id,
        email,
        name: 'Password person',
        role: 'admin',
        features: [],
        password: PASSWORD,
      });
      assert.ok(made.ok);
      provider.accounts.set(login, { email, email_verified: true, groups: ['tokend-admins'] });
      refusedWith(await signIn(login), 'ask_admin');
      const [row] = await env.db.query<{ oidc_subject: string | null }>(
        'SELECT oidc_subject FROM users WHERE id = $1',
        [made.value.id],
      );
      assert.equal(row?.oidc_subject, null);
    });

    test('a deactivated user is refused', async () => {
      const login = id('gone');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-admins'],
      });
      assert.ok(sessionCookie(await signIn(login)));
      await env.db.query('UPDATE users SET deactivated_at = now() WHERE oidc_subject = $1', [login]);
      refusedWith(await signIn(login), 'deactivated');
    });

    test('a forged state, a callback without this browser’s cookie, and a replayed code open nothing', async () => {
      const login = id('replay');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-admins'],
      });
      const before = await sessionCount();
      // Forged state.
      const a = await begin();
      const backA = new URL(await signInAtProvider(provider, new CookieJar(), a.location, login));
      backA.searchParams.set('state', 'forged-state-value');
      refusedWith(await callback(backA.href, a.cookie), 'sso_failed');
      // Another browser: the right URL without the cookie that began it.
      const b = await begin();
      const backB = await signInAtProvider(provider, new CookieJar(), b.location, login);
      refusedWith(
        await callback(backB, 'tokend_oidc=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
        'sso_failed',
      );
      refusedWith(await get(new URL(backB).pathname + new URL(backB).search), 'sso_failed');
      assert.equal(await sessionCount(), before);
      // A replayed callback: the first opens a session, the same again opens nothing.
      const c = await begin();
      const backC = await signInAtProvider(provider, new CookieJar(), c.location, login);
      assert.ok(sessionCookie(await callback(backC, c.cookie)));
      const opened = await sessionCount();
      refusedWith(await callback(backC, c.cookie), 'sso_failed');
      // The used code under a new flow's state: the provider refuses the second redemption.
      const d = await begin();
      const reused = new URL(backC);
      reused.searchParams.set('state', new URL(d.location).searchParams.get('state') ?? '');
      refusedWith(await callback(reused.href, d.cookie), 'sso_failed');
      assert.equal(await sessionCount(), opened);
    });

    test('an ID token with another nonce is refused', async () => {
      const login = id('nonce');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-admins'],
      });
      const before = await sessionCount();
      const { location, cookie } = await begin();
      const tampered = new URL(location);
      tampered.searchParams.set('nonce', 'a-nonce-tokend-never-sent');
      const back = await signInAtProvider(provider, new CookieJar(), tampered.href, login);
      refusedWith(await callback(back, cookie), 'sso_failed');
      assert.equal(await sessionCount(), before);
    });

    test('an answer from another issuer, and a code issued to another client, are refused', async () => {
      const login = id('foreign');
      for (const p of [provider, second])
        p.accounts.set(login, {
          email: `${login}@uni.example`,
          email_verified: true,
          groups: ['tokend-admins'],
        });
      const before = await sessionCount();
      // The same request sent to another provider that knows the same client.
      const a = await begin();
      const elsewhere = new URL(a.location);
      const foreign = new URL(`${second.issuer}${elsewhere.pathname}${elsewhere.search}`);
      const backA = await signInAtProvider(second, new CookieJar(), foreign.href, login);
      assert.equal(new URL(backA).searchParams.get('iss'), second.issuer);
      refusedWith(await callback(backA, a.cookie), 'sso_failed');
      // The same without the iss parameter: the code is not the configured provider's.
      const b = await begin();
      const foreignB = new URL(
        `${second.issuer}${new URL(b.location).pathname}${new URL(b.location).search}`,
      );
      const backB = new URL(await signInAtProvider(second, new CookieJar(), foreignB.href, login));
      backB.searchParams.delete('iss');
      refusedWith(await callback(backB.href, b.cookie), 'sso_failed');
      // A code for another client (audience) of the same provider.
      const c = await begin();
      const otherClient = new URL(c.location);
      otherClient.searchParams.set('client_id', 'other-app');
      const backC = await signInAtProvider(provider, new CookieJar(), otherClient.href, login);
      assert.ok(new URL(backC).searchParams.get('code'));
      refusedWith(await callback(backC, c.cookie), 'sso_failed');
      assert.equal(await sessionCount(), before);
    });

    test('an expired ID token is refused', async () => {
      const login = id('late');
      provider.accounts.set(login, {
        email: `${login}@uni.example`,
        email_verified: true,
        groups: ['tokend-admins'],
      });
      const before = await sessionCount();
      const { location, cookie } = await begin();
      const back = await signInAtProvider(provider, new CookieJar(), location, login);
      // The provider's ID tokens live 60 s (30 s of tolerance): five minutes later it has expired.
      env.clock.advance(5 * 60_000);
      refusedWith(await callback(back, cookie), 'sso_failed');
      assert.equal(await sessionCount(), before);
      assert.ok(logLines.some((l) => l.includes('sign-in with the provider refused')));
    });

    test('a provider that cannot be reached is a plain refusal, and nothing is opened', async () => {
      await setSso({ issuer: 'https://127.0.0.1:1', clientId: 'tokend', clientSecret: SECRET });
      try {
        const res = await get('/apis/v1/session/oidc');
        refusedWith(res, 'sso_unavailable');
        assert.equal(res.cookies.find((c) => c.name === 'tokend_oidc')?.value ?? '', '');
      } finally {
        await setSso({ issuer: provider.issuer, clientId: 'tokend', clientSecret: SECRET });
      }
    });

    test('an issuer must be https://, and the client secret is never shown', async () => {
      const refused = await env.services.accounts.updateInstitution('sso', {
        sso: { issuer: 'http://idp.example', clientId: 'x', clientSecret: 'y', adminGroup: 'a' },
      });
      assert.equal(refused.ok, false);
      assert.equal(refused.ok ? '' : refused.field, 'oidcIssuer');
      const shown = JSON.stringify(institutionView(institution));
      assert.ok(shown.includes(provider.issuer));
      assert.ok(!shown.includes(SECRET));
    });

    test('--no-password-login refuses passwords but for break-glass administrators', async () => {
      await setSso({ issuer: provider.issuer, clientId: 'tokend', clientSecret: SECRET }, false);
      try {
        const make = async (role: 'admin' | 'staff', breakGlass: boolean) => {
          const email = `${id(role)}@uni.example`;
          const made = await createUser(env.db, env.clock, {
            institutionId: institution.id,
            email,
            name: role,
            role,
            features: role === 'staff' ? [TOKENS_FEATURE] : [],
            password: PASSWORD,
            breakGlass,
          });
          assert.ok(made.ok);
          return email;
        };
        const login = (email: string) =>
          env.app.inject({
            method: 'POST',
            url: '/apis/v1/session',
            headers: { host: HOST },
            payload: { email, password: PASSWORD },
          });
        const options = (await get('/apis/v1/session/options')).json<{ passwordLogin: boolean }>();
        assert.equal(options.passwordLogin, false);
        const breakGlass = await login(await make('admin', true));
        assert.equal(breakGlass.statusCode, 200, breakGlass.body);
        for (const email of [await make('admin', false), await make('staff', false)]) {
          const res = await login(email);
          assert.equal(res.statusCode, 401);
          assert.equal(res.json<{ error: string }>().error, 'invalid_credentials');
        }
      } finally {
        await setSso({ issuer: provider.issuer, clientId: 'tokend', clientSecret: SECRET }, true);
      }
    });

    test('the client secret appears in no log line', () => {
      assert.ok(logLines.length > 0);
      assert.equal(logLines.filter((l) => l.includes(SECRET) || l.includes(OTHER_SECRET)).length, 0);
    });
  });
}
