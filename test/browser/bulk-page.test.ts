// Acting on many tokens from the page (SPEC 12), in Chromium against a real tokend (embedded, and on
// PostgreSQL when TEST_DATABASE_URL is set): select rows (one by one, then the whole page) and suspend or
// revoke them with a reason, seeing what changed and what was refused; then the danger zone's "Suspend
// every active token", which shows the dry run's count, waits for the institution's slug, and suspends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { databaseKinds } from '../../src/test-support/harness.js';
import * as live from '../../src/test-support/live-server.js';
import { callWithToken, eventually, fieldOf, newPage, openTokens, tokenRow } from './helpers.js';
import { buildPageIfMissing, type RunningServer, startPageServer } from './server.js';

const admin = { email: 'admin@example.com', password: 'admin-password-for-bulk-tests' };
const NAMES = ['Alpha sync', 'Bravo reports', 'Charlie backup', 'Delta CRM'];

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

/** Each listed token's name and the status it shows, in the list's order (newest first). */
const shown = async (page: Page) =>
  page
    .locator('.token-table tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) => [
        row.querySelector('.token-name')?.textContent ?? '',
        row.querySelector('[data-column="status"] .status')?.textContent ?? '',
      ]),
    );

for (const kind of databaseKinds()) {
  describe(`bulk actions on the page on ${kind}`, () => {
    let server: RunningServer;

    before(async () => {
      server = await startPageServer(kind, 'tokend-bulk-page-', admin);
    });

    after(async () => {
      await server?.stop();
    });

    test('select and suspend, select the page and revoke (refusals shown), then suspend every active token', async () => {
      const staff = await live.login(server.url, admin.email, admin.password);
      const secrets = new Map<string, string>();
      for (const name of NAMES) secrets.set(name, (await live.createToken(staff, { name })).secret);
      const page = await newPage(browser);
      await openTokens(page, server.url, admin);
      await eventually(async () => assert.equal((await shown(page)).length, 4));

      // Two rows by their checkboxes: the bar counts them; the dialog names them and takes a reason.
      await page.getByRole('checkbox', { name: 'Select Alpha sync' }).check();
      await page.getByRole('checkbox', { name: 'Select Bravo reports' }).check();
      const bar = page.getByRole('region', { name: 'Selected tokens' });
      await bar.getByText('2 tokens selected').waitFor();
      await bar.getByRole('button', { name: 'Suspend', exact: true }).click();
      const suspend = page.getByRole('dialog', { name: 'Suspend 2 tokens' });
      await suspend.getByText('Alpha sync').waitFor();
      await suspend.getByLabel('Reason').fill('laptop stolen');
      await suspend.getByRole('button', { name: 'Suspend 2 tokens' }).click();
      await suspend.getByRole('status').getByText('2 tokens suspended of 2.').waitFor();
      await suspend.getByRole('button', { name: 'Close' }).click();
      await eventually(async () =>
        assert.deepEqual(await shown(page), [
          ['Delta CRM', 'Active'],
          ['Charlie backup', 'Active'],
          ['Bravo reports', 'Suspended'],
          ['Alpha sync', 'Suspended'],
        ]),
      );
      assert.equal(
        fieldOf((await callWithToken(server.url, secrets.get('Alpha sync')!)).body, 'error'),
        'token_suspended',
      );

      // The whole page: revoke applies to the suspended two and is refused for the active two.
      await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
      await bar.getByText('4 tokens selected').waitFor();
      await bar.getByRole('button', { name: 'Revoke', exact: true }).click();
      const revoke = page.getByRole('dialog', { name: 'Revoke 4 tokens' });
      await revoke.getByRole('button', { name: 'Revoke 4 tokens' }).click();
      const outcome = revoke.getByRole('status');
      await outcome.getByText('2 tokens revoked of 4. 2 refused:').waitFor();
      assert.deepEqual((await outcome.getByRole('listitem').allTextContents()).sort(), [
        'Charlie backup: its state does not allow it',
        'Delta CRM: its state does not allow it',
      ]);
      await revoke.getByRole('button', { name: 'Close' }).click();
      await eventually(async () =>
        assert.deepEqual(
          (await shown(page)).map(([, status]) => status),
          ['Active', 'Active', 'Revoked', 'Revoked'],
        ),
      );

      // The danger zone: the dry run's count first, the slug typed, then the result.
      await page.getByRole('button', { name: 'Suspend every active token' }).click();
      const emergency = page.getByRole('dialog', { name: 'Suspend every active token' });
      await emergency.getByText('This suspends 2 active tokens of this institution at once').waitFor();
      const confirm = emergency.getByRole('button', { name: 'Suspend 2 tokens' });
      assert.ok(await confirm.isDisabled(), 'disabled until the slug is typed');
      await emergency.getByLabel('Type default to confirm').fill('defaul');
      assert.ok(await confirm.isDisabled());
      await emergency.getByLabel('Type default to confirm').fill('default');
      await emergency.getByLabel('Reason').fill('incident 42');
      await confirm.click();
      await emergency.getByRole('status').getByText('2 tokens suspended of 2.').waitFor();
      await emergency.getByRole('button', { name: 'Close' }).click();
      await eventually(async () =>
        assert.deepEqual(
          (await shown(page)).map(([, status]) => status),
          ['Suspended', 'Suspended', 'Revoked', 'Revoked'],
        ),
      );
      await tokenRow(page, 'Delta CRM').getByText('Suspended').waitFor();
      for (const name of ['Charlie backup', 'Delta CRM']) {
        const refused = await callWithToken(server.url, secrets.get(name)!);
        assert.deepEqual([refused.status, fieldOf(refused.body, 'error')], [401, 'token_suspended']);
      }
      await page.context().close();
    });
  });
}
