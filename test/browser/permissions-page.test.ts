// A token's permissions and network rule on the page (SPEC section 8), in Chromium against a real tokend
// (embedded, and on PostgreSQL when TEST_DATABASE_URL is set): chosen in Create, shown on the detail
// page, the server's refusal of a range shown at its field, changed in Edit and read back in the audit
// history, Edit only where the state allows it, the list filtered by permission, and a deprecated
// permission offered only to a token that holds it. The catalogue is the operator's: set up here through
// PermissionService (on the embedded database with the server stopped: it belongs to one process).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { PermissionService } from '../../src/permissions/service.js';
import { openDatabase } from '../../src/setup.js';
import { databaseKinds, freshDb } from '../../src/test-support/harness.js';
import {
  choosePermissions,
  detailStatus,
  eventually,
  fillNewToken,
  newPage,
  openToken,
  openTokens,
  readSecret,
  submitDialog,
  tokenRow,
} from './helpers.js';
import { buildPageIfMissing, type RunningServer, repoRoot, startServer } from './server.js';

const shots = join(repoRoot, 'test-results');
const admin = { email: 'admin@example.com', password: 'admin-password-for-permission-tests' };
const catalogue = [
  ['contacts.read', 'Read contacts'],
  ['contacts.write', 'Change contacts'],
  ['applications.read', 'Read applications'],
] as const;

let browser: Browser;

before(async () => {
  buildPageIfMissing();
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
});

const history = (page: Page) => page.getByRole('region', { name: 'Audit history' });
/** The texts of a Details entry's list (Permissions, Allowed addresses) on the detail page. */
const detailList = (page: Page, term: string) =>
  page
    .locator('.meta-item', { has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) })
    .locator('dd li');

/** Creates a token through the API with the page's session, as a script would: its id. */
async function createViaApi(page: Page, body: Record<string, unknown>): Promise<string> {
  // No named functions inside: tsx's name-keeping helper does not exist in the browser.
  return page.evaluate(async (body) => {
    const { csrfToken } = (await (await fetch('/apis/v1/session')).json()) as { csrfToken: string };
    const response = await fetch('/apis/v1/api-tokens', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
      body: JSON.stringify({ expiresInDays: 30, ...body }),
    });
    if (!response.ok) throw new Error(`create: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { token: { id: string } }).token.id;
  }, body);
}

/** How many tokens the API lists for `q`: what was really created, whatever the page shows. */
async function countViaApi(page: Page, q: string): Promise<number> {
  return page.evaluate(async (q) => {
    const response = await fetch(`/apis/v1/api-tokens?q=${encodeURIComponent(q)}`);
    return ((await response.json()) as { items: unknown[] }).items.length;
  }, q);
}

/** The text a control's aria-describedby points to (a permission's description and marks). */
async function descriptionOf(page: Page, control: Locator): Promise<string> {
  const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ').trim();
}

async function openEdit(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit token' });
  await dialog
    .getByRole('group', { name: 'Permissions', exact: true })
    .getByRole('checkbox')
    .first()
    .waitFor();
  return dialog;
}

for (const kind of databaseKinds()) {
  describe(`permissions and network rules on the page on ${kind}`, () => {
    let server: RunningServer | undefined;
    let dataDir: string;
    let db: Db | undefined;
    let env: Record<string, string>;
    const url = () => server?.url ?? '';

    /**
     * Changes the catalogue through PermissionService, as the operator's CLI does: on PostgreSQL beside
     * the running server, on the embedded database (one process's) with the server stopped and started
     * again. Starts the server if it is not running.
     */
    async function withCatalogue(change: (permissions: PermissionService) => Promise<void>) {
      if (db) {
        await change(new PermissionService(db, systemClock));
        server ??= await startServer(env);
        return;
      }
      await server?.stop();
      const opened = await openDatabase(loadConfig({ ...process.env, ...env }), systemClock, 'cli');
      try {
        await change(new PermissionService(opened.db, systemClock));
      } finally {
        await opened.close();
      }
      server = await startServer(env);
    }

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'tokend-permissions-page-'));
      env = {
        TOKEND_DATA_DIR: dataDir,
        TOKEND_ADMIN_EMAIL: admin.email,
        TOKEND_ADMIN_PASSWORD: admin.password,
      };
      if (kind === 'postgres') {
        // A fresh database of its own; the handle is kept only to drop the database afterwards.
        const fresh = await freshDb('postgres');
        db = fresh;
        if (!fresh.url) throw new Error('a PostgreSQL test database has a url');
        env.DATABASE_URL = fresh.url;
      }
      await withCatalogue(async (permissions) => {
        for (const [key, description] of catalogue) assert.ok((await permissions.add(key, description)).ok);
      });
    });

    after(async () => {
      await server?.stop();
      await db?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test('Create takes two permissions and a range, and the detail page shows them', async () => {
      const page = await newPage(browser);
      await openTokens(page, url(), admin);
      await page.getByRole('button', { name: 'Create token' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Create token' });
      // The built-in default is checked until the choice changes; each permission says what it allows.
      const download = dialog.getByRole('checkbox', { name: 'core.core.files_download', exact: true });
      await download.waitFor();
      assert.ok(await download.isChecked(), 'the default permission is checked');
      const read = dialog.getByRole('checkbox', { name: 'contacts.read', exact: true });
      assert.equal(await descriptionOf(page, read), 'Read contacts');
      const groups = dialog.getByRole('group', { name: 'Permissions', exact: true }).getByRole('group');
      assert.deepEqual(await groups.locator('legend').allTextContents(), [
        'applications',
        'contacts',
        'core',
        'tokens',
      ]);

      const name = 'Contacts reader';
      await fillNewToken(dialog, {
        name,
        permissions: ['contacts.read', 'applications.read'],
        allowedIps: ['198.51.100.7/24', '2001:db8::/48'],
      });
      await dialog.screenshot({ path: join(shots, `create-dialog-permissions-${kind}.png`) });
      const created = page.getByRole('dialog', { name: 'Token created' });
      await submitDialog(dialog, 'Create token', created);
      assert.ok((await readSecret(created)).startsWith('sk-contacts-reader-'));
      await created.getByRole('button', { name: /^Done/ }).click();

      await openToken(page, url(), name);
      await eventually(async () =>
        assert.deepEqual(await detailList(page, 'Permissions').allTextContents(), [
          'applications.read',
          'contacts.read',
        ]),
      );
      // Stored as networks in canonical form (SPEC section 8).
      assert.deepEqual(await detailList(page, 'Allowed addresses').allTextContents(), [
        '198.51.100.0/24',
        '2001:db8::/48',
      ]);
      await page.context().close();
    });

    test('a range the server refuses is shown at Allowed addresses and nothing is created', async () => {
      const page = await newPage(browser);
      await openTokens(page, url(), admin);
      await page.getByRole('button', { name: 'Create token' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Create token' });
      const name = 'Badly ranged';
      await fillNewToken(dialog, { name, allowedIps: ['10.0.0.0/8', '10.0.0.0/33'] });
      await dialog.getByRole('button', { name: 'Create token', exact: true }).click();

      const field = dialog.getByLabel('Allowed addresses');
      await eventually(async () => assert.equal(await field.getAttribute('aria-invalid'), 'true'));
      const described = (await field.getAttribute('aria-describedby')) ?? '';
      const message = await dialog.locator('.field-error').textContent();
      assert.ok(message, 'a message is shown');
      assert.ok(
        described.split(' ').some((id) => id.endsWith('-error')),
        `the message is tied to the field: ${described}`,
      );
      assert.equal(await dialog.locator('.field-error').count(), 1, 'only Allowed addresses is at fault');
      assert.equal(await dialog.locator('[role="alert"]').count(), 0, 'no form-level error');
      // The focus moves to the field at fault; the dialog stays open with what was typed.
      await eventually(async () => assert.ok(await field.evaluate((el) => el === document.activeElement)));
      assert.equal(await field.inputValue(), '10.0.0.0/8\n10.0.0.0/33');
      assert.equal(await countViaApi(page, name), 0);

      // "Any address" is said by leaving it empty, never by 0.0.0.0/0.
      await field.fill('0.0.0.0/0');
      await dialog.getByRole('button', { name: 'Create token', exact: true }).click();
      await dialog.locator('.field-error', { hasText: /empty/ }).waitFor();
      assert.equal(await countViaApi(page, name), 0);
      await page.context().close();
    });

    test('Edit changes the permissions and the network rule, and the history reads the change', async () => {
      const page = await newPage(browser);
      await openTokens(page, url(), admin);
      await createViaApi(page, { name: 'Reporting job' });
      await openToken(page, url(), 'Reporting job');
      await history(page).getByRole('cell', { name: 'Created' }).waitFor();

      const dialog = await openEdit(page);
      assert.equal(await dialog.getByLabel('Name').inputValue(), 'Reporting job');
      await choosePermissions(dialog, ['contacts.read', 'applications.read']);
      await dialog.getByLabel('Allowed addresses').fill('10.0.0.0/8');
      await dialog.screenshot({ path: join(shots, `edit-dialog-${kind}.png`) });
      await submitDialog(dialog, 'Save changes', history(page).getByRole('cell', { name: 'Updated' }));

      await eventually(async () =>
        assert.deepEqual(await detailList(page, 'Permissions').allTextContents(), [
          'applications.read',
          'contacts.read',
        ]),
      );
      assert.deepEqual(await detailList(page, 'Allowed addresses').allTextContents(), ['10.0.0.0/8']);
      const updated = history(page).locator('tbody tr').first();
      assert.equal(await updated.locator('td').nth(1).textContent(), 'Updated');
      assert.notEqual(await updated.locator('td').nth(2).textContent(), 'System', 'the change has its actor');
      assert.deepEqual((await updated.locator('.details li').allTextContents()).sort(), [
        'allowed addresses: any → 10.0.0.0/8',
        'permissions: core.core.files_download → applications.read, contacts.read',
      ]);

      // A second edit: the name, and the rule cleared again.
      const again = await openEdit(page);
      await again.getByLabel('Name').fill('Reporting job (EU)');
      await again.getByLabel('Allowed addresses').fill('');
      await submitDialog(
        again,
        'Save changes',
        page.getByRole('heading', { level: 1, name: 'Reporting job (EU)' }),
      );
      await eventually(async () =>
        assert.deepEqual(
          (await history(page).locator('tbody tr').first().locator('.details li').allTextContents()).sort(),
          ['allowed addresses: 10.0.0.0/8 → any', 'name: Reporting job → Reporting job (EU)'],
        ),
      );
      await page.context().close();
    });

    test('Edit is offered on active and suspended tokens, not on a revoked one', async () => {
      const page = await newPage(browser);
      await openTokens(page, url(), admin);
      await createViaApi(page, { name: 'Old connector' });
      await openToken(page, url(), 'Old connector');
      const edit = page.getByRole('button', { name: 'Edit', exact: true });
      await edit.waitFor();

      await page.getByRole('button', { name: 'Suspend' }).click();
      const suspend = page.getByRole('dialog', { name: 'Suspend token' });
      await submitDialog(suspend, 'Suspend token', detailStatus(page).getByText('Suspended'));
      await edit.waitFor();

      await page.getByRole('button', { name: 'Revoke token' }).click();
      const revoke = page.getByRole('dialog', { name: 'Revoke token' });
      await submitDialog(revoke, 'Revoke token', detailStatus(page).getByText('Revoked'));
      await page.reload();
      await detailStatus(page).getByText('Revoked').waitFor();
      assert.equal(await edit.count(), 0, 'no Edit on a revoked token');
      await page.context().close();
    });

    test('the list shows each token’s permissions and filters by one, kept in the address', async () => {
      const page = await newPage(browser);
      await openTokens(page, url(), admin);
      await createViaApi(page, { name: 'Filter contacts', permissions: ['contacts.read'] });
      await createViaApi(page, { name: 'Filter apps', permissions: ['applications.read'] });
      await createViaApi(page, { name: 'Filter both', permissions: ['contacts.read', 'applications.read'] });
      await page.goto(`${url()}/settings/api-tokens?q=Filter`);
      await tokenRow(page, 'Filter apps').waitFor();
      assert.deepEqual(
        await tokenRow(page, 'Filter both').locator('[data-column="permissions"] li').allTextContents(),
        ['applications.read', 'contacts.read'],
      );

      const names = () => page.locator('tbody .token-name').allTextContents();
      await page.getByLabel('Permission', { exact: true }).selectOption('contacts.read');
      await eventually(async () =>
        assert.deepEqual((await names()).sort(), ['Filter both', 'Filter contacts']),
      );
      await page.screenshot({
        path: join(shots, `token-list-permission-filter-${kind}.png`),
        fullPage: true,
      });
      const address = new URL(page.url());
      assert.deepEqual(address.searchParams.getAll('permission'), ['contacts.read']);
      assert.equal(address.searchParams.get('q'), 'Filter');

      // A reload (or a shared link) shows the same list and the same choice.
      await page.reload();
      await eventually(async () =>
        assert.deepEqual((await names()).sort(), ['Filter both', 'Filter contacts']),
      );
      assert.equal(await page.getByLabel('Permission', { exact: true }).inputValue(), 'contacts.read');

      await page.getByLabel('Permission', { exact: true }).selectOption('');
      await eventually(async () => assert.equal((await names()).length, 3));
      assert.ok(!new URL(page.url()).searchParams.has('permission'));
      await page.context().close();
    });

    test('a deprecated permission is offered, marked, only to a token that holds it', async () => {
      let page = await newPage(browser);
      await openTokens(page, url(), admin);
      await createViaApi(page, { name: 'Legacy writer', permissions: ['contacts.write'] });
      await createViaApi(page, { name: 'Fresh reader', permissions: ['contacts.read'] });
      await page.context().close();
      await withCatalogue(async (permissions) => {
        assert.ok((await permissions.deprecate('contacts.write')).ok);
      });

      page = await newPage(browser);
      // A server just started again (embedded) answers its first requests slowly on a busy machine.
      page.setDefaultTimeout(90_000);
      await openTokens(page, url(), admin);
      await openToken(page, url(), 'Legacy writer');
      let dialog = await openEdit(page);
      const held = dialog.getByRole('checkbox', { name: 'contacts.write', exact: true });
      assert.ok(await held.isChecked());
      assert.equal(await descriptionOf(page, held), 'deprecated Change contacts');
      // Kept while it stays checked: another change saves without refusing it.
      await dialog.getByLabel('Issued for').fill('legacy-crm');
      await submitDialog(dialog, 'Save changes', history(page).getByRole('cell', { name: 'Updated' }));
      assert.deepEqual(await detailList(page, 'Permissions').allTextContents(), ['contacts.write']);

      await openToken(page, url(), 'Fresh reader');
      dialog = await openEdit(page);
      assert.equal(await dialog.getByRole('checkbox', { name: 'contacts.write', exact: true }).count(), 0);
      await dialog.getByRole('button', { name: 'Cancel' }).click();

      await page.goto(`${url()}/settings/api-tokens`);
      await page.getByRole('button', { name: 'Create token' }).first().click();
      const create = page.getByRole('dialog', { name: 'Create token' });
      await create.getByRole('checkbox', { name: 'contacts.read', exact: true }).waitFor();
      assert.equal(await create.getByRole('checkbox', { name: 'contacts.write', exact: true }).count(), 0);
      await create.getByRole('button', { name: 'Cancel' }).click();
      // The list's filter still finds the tokens that hold it.
      assert.ok(
        (await page.getByLabel('Permission', { exact: true }).locator('option').allTextContents()).includes(
          'contacts.write (deprecated)',
        ),
      );
      await page.context().close();
    });
  });
}
