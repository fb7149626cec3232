// People and the institution's settings on the page (SPEC 11), in Chromium against a real tokend
// (embedded, and on PostgreSQL when TEST_DATABASE_URL is set): an administrator edits a policy on
// Overview (the server's refusal shown at its field, then saved and still there after a reload), adds a
// person and reads the password shown once, and deactivates them, which ends their session at once;
// the staff member sees Overview read-only and no People.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { databaseKinds } from '../../src/test-support/harness.js';
import { eventually, newPage, signIn, submitDialog } from './helpers.js';
import { buildPageIfMissing, type RunningServer, startPageServer } from './server.js';

const admin = { email: 'admin@example.com', password: 'admin-password-for-people-tests' };

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

/** The settings as the API answers them to this page's session. */
const settingsViaApi = (page: Page) =>
  page.evaluate(async () => {
    const response = await fetch('/apis/v1/institution');
    return (await response.json()) as { policy: Record<string, unknown> };
  });

const menu = (page: Page) => page.getByRole('navigation', { name: 'General settings' });

for (const kind of databaseKinds()) {
  describe(`people and settings on the page on ${kind}`, () => {
    let server: RunningServer | undefined;
    const url = () => server?.url ?? '';

    before(async () => {
      server = await startPageServer(kind, 'tokend-people-page-', admin);
    });

    after(async () => {
      await server?.stop();
    });

    test('an administrator edits the policy, adds and deactivates a person; staff read only', async () => {
      const page = await newPage(browser);
      await page.goto(`${url()}/settings`);
      await signIn(page, admin);
      const form = page.getByRole('region', { name: 'Institution settings' });
      const queryToken = form.getByLabel('Accept tokens in the ?token= query parameter');
      await queryToken.waitFor();
      assert.ok(await queryToken.isChecked(), 'tokens in ?token= are accepted by default');
      await queryToken.uncheck();
      const unused = form.getByLabel(/Suspend tokens unused for/);
      await unused.fill('10');
      await form.getByRole('button', { name: 'Save settings' }).click();
      // The server's range is shown at the field.
      await form.locator('.field-error', { hasText: '30-730' }).waitFor();
      assert.equal(await unused.getAttribute('aria-invalid'), 'true');
      await unused.fill('60');
      await form.getByRole('button', { name: 'Save settings' }).click();
      await form.getByText('Settings saved.').waitFor();
      const saved = await settingsViaApi(page);
      assert.equal(saved.policy.allowQueryToken, false);
      assert.equal(saved.policy.suspendUnusedAfterDays, 60);
      await page.reload();
      await form.getByLabel(/Suspend tokens unused for/).waitFor();
      assert.equal(await form.getByLabel(/Suspend tokens unused for/).inputValue(), '60');
      assert.equal(await form.getByLabel('Accept tokens in the ?token= query parameter').isChecked(), false);

      // People: add a staff member, whose password is shown once.
      await menu(page).getByRole('link', { name: 'People' }).click();
      await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
      await page.getByRole('button', { name: 'Add person' }).click();
      const add = page.getByRole('dialog', { name: 'Add person' });
      await add.getByLabel('Email').fill('staff.member@example.com');
      await add.getByLabel('Name').fill('Staff Member');
      await add.getByLabel('Role').selectOption('staff');
      const added = page.getByRole('dialog', { name: 'Person added' });
      await submitDialog(add, 'Add person', added);
      const password = await added.getByLabel('Password for staff.member@example.com').inputValue();
      assert.ok(password.length >= 20);
      await added.getByRole('button', { name: 'Done, I have copied it' }).click();
      const row = page.getByRole('row').filter({ hasText: 'staff.member@example.com' });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /Staff \(API tokens\).*Password.*Active.*Never/);
      assert.ok(!(await page.content()).includes(password), 'the password is not shown again');

      // The staff member: Overview read-only, no People.
      const staffPage = await newPage(browser);
      await staffPage.goto(`${url()}/settings`);
      await signIn(staffPage, { email: 'staff.member@example.com', password });
      const readOnly = staffPage.getByRole('region', { name: 'Institution settings' });
      await readOnly.getByText('Only administrators can change these.').waitFor();
      assert.equal(await readOnly.getByRole('button', { name: 'Save settings' }).count(), 0);
      assert.equal(await readOnly.getByRole('checkbox').count(), 0);
      const accepted = readOnly.locator('.meta-item', { hasText: 'Tokens accepted in ?token=' });
      assert.equal(await accepted.locator('dd').textContent(), 'No');
      assert.equal(await menu(staffPage).getByRole('link', { name: 'People' }).count(), 0);
      assert.equal(await menu(staffPage).getByRole('link', { name: 'Manage API Tokens' }).count(), 1);
      await staffPage.goto(`${url()}/settings/people`);
      await staffPage.getByText('Only administrators can manage people.').waitFor();

      // Deactivate, confirmed: the staff member's session ends at once.
      await row.getByRole('button', { name: 'Deactivate Staff Member' }).click();
      const confirm = page.getByRole('dialog', { name: 'Deactivate person' });
      await confirm.getByText('They are signed out at once').waitFor();
      await confirm.getByRole('button', { name: 'Deactivate', exact: true }).click();
      await row.getByText('Deactivated').waitFor();
      const status = await staffPage.evaluate(async () => (await fetch('/apis/v1/session')).status);
      assert.equal(status, 401);
      await staffPage.reload();
      await staffPage.getByRole('button', { name: 'Sign in' }).waitFor();
      await staffPage.getByLabel('Email').fill('staff.member@example.com');
      await staffPage.getByLabel('Password').fill(password);
      await staffPage.getByRole('button', { name: 'Sign in' }).click();
      await eventually(async () => {
        assert.equal(await staffPage.getByRole('button', { name: 'Sign out' }).count(), 0);
        assert.ok((await staffPage.getByRole('alert').count()) > 0, 'the login page says why');
      });

      // Reactivate, confirmed.
      await row.getByRole('button', { name: 'Reactivate Staff Member' }).click();
      const back = page.getByRole('dialog', { name: 'Reactivate person' });
      await back.getByRole('button', { name: 'Reactivate', exact: true }).click();
      await row.getByText('Active', { exact: true }).waitFor();
      await staffPage.context().close();
      await page.context().close();
    });
  });
}
