// The inventory on the page (SPEC 12), in Chromium against a real tokend (embedded, and on PostgreSQL
// when TEST_DATABASE_URL is set): Settings → Applications groups the tokens and links each group to the
// filtered list; the list's Export downloads what the filters show as CSV (parsed back, formulas
// defused); Settings → Audit log lists the events newest first, filters them, shows older ones and
// exports them. Screenshots land in test-results/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { type Browser, chromium, type Page } from 'playwright-core';
import { databaseKinds } from '../../src/test-support/harness.js';
import * as live from '../../src/test-support/live-server.js';
import { eventually, newPage, openTokens } from './helpers.js';
import { buildPageIfMissing, repoRoot, type RunningServer, startPageServer } from './server.js';

const admin = { email: 'admin@example.com', password: 'admin-password-for-inventory-tests' };
const shots = join(repoRoot, 'test-results');

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

const listNames = async (page: Page) =>
  (await page.locator('.token-table tbody tr .token-name').allTextContents()).sort();

/** Clicks the link or button and reads the file it downloads. */
async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

for (const kind of databaseKinds()) {
  describe(`the inventory on the page on ${kind}`, () => {
    let server: RunningServer;
    let staff: live.Staff;

    before(async () => {
      server = await startPageServer(kind, 'tokend-inventory-page-', admin);
      staff = await live.login(server.url, admin.email, admin.password);
      await live.createToken(staff, { name: '=HYPERLINK("https://evil.example","x")', issuedFor: 'HubSpot' });
      const second = await live.createToken(staff, { name: 'HubSpot sync', issuedFor: 'hubspot' });
      await live.transition(staff, second.token.id, 'suspend');
      await live.createToken(staff, { name: 'Dashboards', issuedFor: 'Metabase', expiresInDays: 30 });
      await live.createToken(staff, { name: 'Loose end' });
    });

    after(async () => {
      await server?.stop();
    });

    test('Applications groups the tokens and links each group to the filtered list', async () => {
      const page = await newPage(browser);
      await openTokens(page, server.url, admin);
      await page.getByRole('link', { name: 'Applications' }).click();
      await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
      const rows = page.locator('.token-table tbody tr');
      await eventually(async () => assert.equal(await rows.count(), 3));
      const cells = async (i: number) => (await rows.nth(i).locator('td').allInnerTexts()).slice(0, 4);
      assert.deepEqual(await cells(0), ['HubSpot', '2', '1', '1']);
      assert.deepEqual(await cells(1), ['Metabase', '1', '1', '0']);
      assert.deepEqual(await cells(2), ['Not issued for an application', '1', '1', '0']);
      await page.screenshot({ path: join(shots, `applications-${kind}.png`), fullPage: true });

      await page.getByRole('link', { name: 'HubSpot', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Manage API Tokens' }).waitFor();
      assert.equal(new URL(page.url()).searchParams.get('issuedFor'), 'HubSpot');
      await eventually(async () =>
        assert.deepEqual(await listNames(page), ['=HYPERLINK("https://evil.example","x")', 'HubSpot sync']),
      );

      // Export takes what the filters show: the two HubSpot tokens, the formula defused.
      const file = await download(page, () =>
        page.getByRole('link', { name: 'Export', exact: true }).click(),
      );
      assert.match(file.name, /^api-tokens-\d{4}-\d\d-\d\d\.csv$/);
      const exported = parse<Record<string, string>>(file.text, { columns: true });
      assert.deepEqual(exported.map((r) => r.name).sort(), [
        `'=HYPERLINK("https://evil.example","x")`,
        'HubSpot sync',
      ]);
      assert.deepEqual(
        exported.map((r) => r.createdBy),
        [admin.email, admin.email],
      );
      await page.context().close();
    });

    test('Audit log: newest first, filtered by kind, older pages, export', async () => {
      // 50 a page: enough events for a second one.
      for (let i = 0; i < 50; i++) await live.createToken(staff, { name: `Filler ${i}` });
      const page = await newPage(browser);
      await openTokens(page, server.url, admin);
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      const rows = page.locator('.token-table tbody tr');
      await eventually(async () => assert.equal(await rows.count(), 50));
      // Besides the tokens' events, the sign-ins (session.login) of the test's sessions: the API says how many.
      const logged = await live.staffCall(staff, 'GET', '/apis/v1/audit-events?type=session.*&limit=100');
      const logins = ((await logged.json()) as { items: unknown[] }).items.length;
      assert.ok(logins >= 2, `sign-ins recorded: ${logins}`);
      assert.deepEqual((await rows.nth(0).locator('td').allInnerTexts()).slice(1, 4), [
        'session.login',
        '—',
        admin.email,
      ]);
      assert.ok(
        (await rows.locator('td').allInnerTexts()).includes('Filler 49'),
        'the newest token event is on the first page',
      );
      await page.getByRole('button', { name: 'Show older' }).click();
      await eventually(async () => assert.equal(await rows.count(), 55 + logins));
      assert.equal(await page.getByRole('button', { name: 'Show older' }).count(), 0);
      const oldestToken = rows.filter({ hasText: 'token.created' }).last();
      assert.deepEqual((await oldestToken.locator('td').allInnerTexts()).slice(1, 3), [
        'token.created',
        '=HYPERLINK("https://evil.example","x")',
      ]);

      await page.getByLabel('Event').selectOption({ label: 'Tokens suspended' });
      await eventually(async () => assert.equal(await rows.count(), 1));
      assert.deepEqual((await rows.nth(0).locator('td').allInnerTexts()).slice(1, 3), [
        'token.suspended',
        'HubSpot sync',
      ]);
      await page.screenshot({ path: join(shots, `audit-log-${kind}.png`), fullPage: true });
      const file = await download(page, () => page.getByRole('link', { name: 'Export CSV' }).click());
      assert.match(file.name, /^audit-events-.*\.csv$/);
      const exported = parse<Record<string, string>>(file.text, { columns: true });
      assert.deepEqual(
        exported.map((r) => [r.type, r.tokenName]),
        [['token.suspended', 'HubSpot sync']],
      );

      // A time range in the future selects nothing, and says so.
      await page.getByLabel('Event').selectOption({ label: 'All events' });
      await page.getByLabel('From').fill('2099-01-01T00:00');
      await page.getByText('No events match these filters.').waitFor();
      await page.context().close();
    });
  });
}
