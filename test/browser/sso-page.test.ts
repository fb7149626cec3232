// Sign-in with the institution's identity provider in Chromium (SPEC 11), against a real tokend
// (embedded, and on PostgreSQL when TEST_DATABASE_URL is set) and a real OpenID provider (oidc-provider
// over HTTPS with a self-signed certificate: tokend trusts it through TOKEND_OIDC_CA_FILE, the browser
// ignores certificate errors, for that provider only, as nothing else here is HTTPS). The operator sets
// SSO with the CLI and closes password login; the admin-group member lands as admin, the staff-group
// member as staff, the third sees the refusal; moved out of the groups, the admin's next sign-in is
// refused and their open session ends; the break-glass administrator keeps a password link.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { databaseKinds, freshDb } from '../../src/test-support/harness.js';
import { startProvider, type TestProvider } from '../../src/test-support/oidc-provider.js';
import type { Db } from '../../src/db/db.js';
import { eventually } from './helpers.js';
import { buildPageIfMissing, type RunningServer, repoRoot, runCli, startServer } from './server.js';

const shots = join(repoRoot, 'test-results');
const admin = { email: 'operator@example.com', password: 'break-glass-password-for-sso-tests' };
const SECRET = 'browser-test-client-secret-0123456789';

let browser: Browser;

/** A free TCP port on 127.0.0.1: the callback URL must be registered before tokend starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

before(async () => {
  buildPageIfMissing();
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      // Only the test provider speaks HTTPS here, with its self-signed certificate.
      '--ignore-certificate-errors',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** The signed-in user's role as the API answers it, or the status when there is no session. */
const roleOf = (page: Page) =>
  page.evaluate(async () => {
    const response = await fetch('/apis/v1/session');
    if (!response.ok) return response.status;
    return ((await response.json()) as { user: { role: string } }).user.role;
  });

for (const kind of databaseKinds()) {
  describe(`sign-in with the identity provider on the page on ${kind}`, () => {
    let server: RunningServer | undefined;
    let provider: TestProvider;
    let dataDir: string;
    let db: Db | undefined;
    let base = '';
    const contexts: BrowserContext[] = [];

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      provider = await startProvider({
        clients: [
          {
            clientId: 'tokend',
            clientSecret: SECRET,
            redirectUris: [`${base}/apis/v1/session/oidc/callback`],
          },
        ],
        accounts: {
          ada: {
            email: 'ada@uni.example',
            email_verified: true,
            groups: ['tokend-admins'],
            name: 'Ada Admin',
          },
          sam: {
            email: 'sam@uni.example',
            email_verified: true,
            groups: ['tokend-staff'],
            name: 'Sam Staff',
          },
          nia: { email: 'nia@uni.example', email_verified: true, groups: ['students'], name: 'Nia Student' },
        },
      });
      dataDir = mkdtempSync(join(tmpdir(), 'tokend-sso-page-'));
      const env: Record<string, string> = {
        TOKEND_DATA_DIR: dataDir,
        TOKEND_ADMIN_EMAIL: admin.email,
        TOKEND_ADMIN_PASSWORD: admin.password,
        TOKEND_PUBLIC_URL: base,
        TOKEND_OIDC_CA_FILE: provider.caFile,
        PORT: String(port),
      };
      if (kind === 'postgres') {
        const fresh = await freshDb('postgres');
        db = fresh;
        if (!fresh.url) throw new Error('a PostgreSQL test database has a url');
        env.DATABASE_URL = fresh.url;
      }
      // The operator's CLI, before `serve` (the embedded database belongs to one process).
      const out = runCli(
        [
          'institutions',
          'update',
          'default',
          '--oidc-issuer',
          provider.issuer,
          '--oidc-client-id',
          'tokend',
          '--oidc-client-secret-stdin',
          '--oidc-admin-group',
          'tokend-admins',
          '--oidc-staff-group',
          'tokend-staff',
          '--no-password-login',
          '--json',
        ],
        env,
        `${SECRET}\n`,
      );
      assert.ok(!out.includes(SECRET), 'the CLI does not print the secret');
      assert.ok(out.includes(provider.issuer));
      server = await startServer(env);
    });

    after(async () => {
      for (const context of contexts) await context.close();
      await server?.stop();
      await provider?.stop();
      await db?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    /** A fresh browser (its own cookies at tokend and at the provider). */
    async function freshPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      contexts.push(context);
      return context.newPage();
    }

    /** From the login page, through the provider's form as `login`, back to tokend. */
    async function signInWithProvider(page: Page, login: string): Promise<void> {
      await page.getByRole('link', { name: `Sign in with ${new URL(provider.issuer).host}` }).click();
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill('any password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.waitForURL((url) => url.origin === base);
    }

    test('the login page offers the provider and hides the password form behind a link', async () => {
      const page = await freshPage();
      await page.goto(`${base}/settings/api-tokens`);
      await page.getByRole('link', { name: `Sign in with ${new URL(provider.issuer).host}` }).waitFor();
      assert.equal(await page.getByLabel('Password').count(), 0);
      await page.screenshot({ path: join(shots, `sso-login-${kind}.png`) });
      await page.getByRole('button', { name: 'Sign in with a password' }).click();
      await page.getByLabel('Email').fill(admin.email);
      await page.getByLabel('Password').fill(admin.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      assert.equal(await roleOf(page), 'admin', 'the break-glass administrator signs in with a password');
    });

    test('the admin-group member lands on the page they asked for, as admin', async () => {
      const page = await freshPage();
      await page.goto(`${base}/settings/api-tokens`);
      await signInWithProvider(page, 'ada');
      await page.getByRole('heading', { level: 1, name: 'Manage API Tokens' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/settings/api-tokens');
      assert.equal(await roleOf(page), 'admin');
    });

    test('the staff-group member signs in as staff; the third sees the refusal', async () => {
      const staff = await freshPage();
      await staff.goto(`${base}/settings/api-tokens`);
      await signInWithProvider(staff, 'sam');
      await staff.getByRole('heading', { level: 1, name: 'Manage API Tokens' }).waitFor();
      assert.equal(await roleOf(staff), 'staff');

      const outsider = await freshPage();
      await outsider.goto(`${base}/settings/api-tokens`);
      await signInWithProvider(outsider, 'nia');
      await outsider
        .getByRole('alert')
        .filter({ hasText: 'your account may not manage API tokens' })
        .waitFor();
      assert.equal(await roleOf(outsider), 401);
      assert.ok(!outsider.url().includes('login_error'), 'the reason is taken out of the address');
      await outsider.screenshot({ path: join(shots, `sso-refused-${kind}.png`) });
    });

    test('moved out of the groups, the next sign-in is refused and the open session ends', async () => {
      const page = await freshPage();
      await page.goto(`${base}/`);
      await signInWithProvider(page, 'ada');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      assert.equal(await roleOf(page), 'admin');
      provider.accounts.set('ada', { email: 'ada@uni.example', email_verified: true, groups: [] });
      try {
        // A second tab of the same browser, signed in at tokend and at the provider: it goes where the
        // page's button leads, and the provider answers at once (no form this time).
        const again = await page.context().newPage();
        await again.goto(`${base}/apis/v1/session/oidc?returnTo=%2F`);
        await again.waitForURL((url) => url.origin === base && url.pathname === '/');
        await again.getByRole('alert').filter({ hasText: 'may not manage API tokens' }).waitFor();
        await eventually(async () => assert.equal(await roleOf(page), 401));
      } finally {
        provider.accounts.set('ada', {
          email: 'ada@uni.example',
          email_verified: true,
          groups: ['tokend-admins'],
        });
      }
    });
  });
}
