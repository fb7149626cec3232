// A leaked token on the page, in Chromium against a real tokend (embedded, and on PostgreSQL when
// TEST_DATABASE_URL is set): a scanner reports its secret over HTTP, the detail page shows the red notice
// with where it was found and that tokend suspended it, Reactivate is refused with the server's reason,
// a Rotate clears the notice, and the list's "Compromised only" filter shows only that token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { databaseKinds } from '../../src/test-support/harness.js';
import {
  callWithToken,
  createToken,
  detailStatus,
  eventually,
  fieldOf,
  newPage,
  openToken,
  openTokens,
  submitDialog,
  tokenRow,
} from './helpers.js';
import { buildPageIfMissing, type RunningServer, startPageServer } from './server.js';

const admin = { email: 'admin@example.com', password: 'admin-password-for-leak-tests' };
const leakUrl = 'https://github.com/acme/site/blob/main/.env';

let browser: Browser;

before(async () => {
  buildPageIfMissing();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
});

/** Reports secrets as a scanner would: the public route, no session, no cookie. */
async function report(baseUrl: string, secret: string): Promise<void> {
  const response = await fetch(`${baseUrl}/apis/v1/leaks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tokens: [secret], url: leakUrl, source: 'trufflehog' }),
  });
  assert.equal(response.status, 202, await response.text());
}

const notice = (page: Page) =>
  page.getByRole('alert').filter({ has: page.getByRole('heading', { name: /secret was reported leaked/ }) });
const history = (page: Page) => page.getByRole('region', { name: 'Audit history' });
const listNames = async (page: Page) =>
  (await page.locator('.token-table tbody tr .token-name').allTextContents()).sort();

for (const kind of databaseKinds()) {
  describe(`a compromised token on the page on ${kind}`, () => {
    let server: RunningServer;

    before(async () => {
      server = await startPageServer(kind, 'tokend-leak-page-', admin);
    });

    after(async () => {
      await server?.stop();
    });

    test('the notice, the refused reactivation, a rotation that clears it and the list filter', async () => {
      const page = await newPage(browser);
      await openTokens(page, server.url, admin);
      const name = 'Website deploy';
      const { dialog, secret } = await createToken(page, { name });
      await dialog.getByRole('button', { name: /^Done/ }).click();
      const clean = await createToken(page, { name: 'Nightly backup' });
      await clean.dialog.getByRole('button', { name: /^Done/ }).click();
      await report(server.url, secret);
      const refused = await callWithToken(server.url, secret);
      assert.equal(refused.status, 401);
      assert.equal(fieldOf(refused.body, 'error'), 'token_suspended');

      // The list marks it and offers the filter, kept in the address.
      await page.goto(`${server.url}/settings/api-tokens`);
      await tokenRow(page, name).getByText('Compromised').waitFor();
      assert.equal(await tokenRow(page, 'Nightly backup').getByText('Compromised').count(), 0);
      await page.getByLabel('Compromised only').check();
      await eventually(async () => assert.deepEqual(await listNames(page), [name]));
      assert.equal(new URL(page.url()).searchParams.get('compromised'), 'true');
      await page.reload();
      await eventually(async () => assert.deepEqual(await listNames(page), [name]));
      assert.ok(await page.getByLabel('Compromised only').isChecked());

      await openToken(page, server.url, name);
      await notice(page).getByText(leakUrl).waitFor();
      const said = (await notice(page).textContent()) ?? '';
      assert.match(said, /Reported .*by trufflehog/);
      assert.match(said, /tokend suspended the token/);
      assert.match(said, /Rotate to clear/);
      assert.equal(await detailStatus(page).textContent(), 'Suspended');
      await history(page).getByText(`Reported leaked (public): ${leakUrl}`).waitFor();

      await page.getByRole('button', { name: 'Reactivate', exact: true }).click();
      await page
        .getByRole('alert')
        .getByText('rotate the token first: its secret was reported leaked')
        .waitFor();
      assert.equal(await detailStatus(page).textContent(), 'Suspended');

      await notice(page).getByRole('button', { name: 'Rotate now' }).click();
      const rotate = page.getByRole('dialog', { name: 'Rotate token' });
      assert.ok(await rotate.getByLabel(/^None/).isChecked(), 'no grace by default for a leaked secret');
      await submitDialog(rotate, 'Rotate token', page.getByRole('dialog', { name: 'Token rotated' }));
      await page
        .getByRole('dialog', { name: 'Token rotated' })
        .getByRole('button', { name: /^Done/ })
        .click();
      await eventually(async () => assert.equal(await notice(page).count(), 0));
      assert.equal(await page.getByRole('alert').count(), 0, 'the refused reactivation is no longer shown');
      await history(page).getByRole('cell', { name: 'Rotated' }).waitFor();

      // Once rotated it can be reactivated, and the filter no longer finds it.
      await page.getByRole('button', { name: 'Reactivate', exact: true }).click();
      await detailStatus(page).getByText('Active').waitFor();
      await page.goto(`${server.url}/settings/api-tokens?compromised=true`);
      await page.getByText('No tokens match these filters.').waitFor();
      assert.deepEqual(await listNames(page), []);
      await page.context().close();
    });
  });
}
