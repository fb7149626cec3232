// The Manage API Tokens page in Debian's Chromium against a real tokend on a fresh embedded database:
// create a token and use its secret from the API, watch last-used update, suspend, reactivate, revoke,
// rotate and renew through the page, and check who may see it. Screenshots land in test-results/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  callWithToken,
  createToken,
  detailStatus,
  eventually,
  fieldOf,
  newPage,
  openToken,
  openTokens,
  readSecret,
  signIn,
  submitDialog,
  tokenRow,
  USER_AGENT,
} from './helpers.js';
import { buildPageIfMissing, type RunningServer, repoRoot, runCli, startServer } from './server.js';

const admin = { email: 'admin@example.com', password: 'admin-password-for-browser-tests' };
const staff = { email: 'staff@example.com', password: 'staff-password-for-browser-tests' };
const shots = join(repoRoot, 'test-results');
const secretPattern = /^sk-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?[0-9A-Za-z]{49}$/;

let server: RunningServer;
let browser: Browser;
let dataDir: string;
let base: string;

before(async () => {
  buildPageIfMissing();
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'tokend-browser-'));
  const env = {
    TOKEND_DATA_DIR: dataDir,
    TOKEND_ADMIN_EMAIL: admin.email,
    TOKEND_ADMIN_PASSWORD: admin.password,
  };
  const createStaff = ['users', 'create', '--email', staff.email, '--name', 'Staff', '--role', 'staff'];
  runCli([...createStaff, '--password-stdin'], env, `${staff.password}\n`);
  server = await startServer(env);
  base = server.url;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const tokenList = (url: URL) => url.pathname === '/apis/v1/api-tokens';

async function expectRefused(secret: string, error: string) {
  const answer = await callWithToken(base, secret);
  assert.equal(answer.status, 401, JSON.stringify(answer.body));
  assert.equal(fieldOf(answer.body, 'error'), error, JSON.stringify(answer.body));
}

async function expectAccepted(secret: string, name: string) {
  const answer = await callWithToken(base, secret);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(fieldOf(answer.body, 'name'), name, JSON.stringify(answer.body));
}

test('a token created with a 30-day expiry works from the API and shows when it was last used', async () => {
  const page = await newPage(browser);
  await openTokens(page, base, admin);
  // The session and its CSRF token come back after a reload: creating (a POST) still works.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Manage API Tokens' }).waitFor();
  const name = 'CRM connector – production';
  const { dialog, secret } = await createToken(page, {
    name,
    description: 'Nightly CRM sync',
    issuedFor: 'crm-sync',
  });
  assert.match(secret, secretPattern);
  await dialog.getByText('It will not be shown again').waitFor();
  await tokenRow(page, name).waitFor(); // the list behind the dialog has refreshed
  await page.screenshot({ path: join(shots, 'create-dialog-secret.png') });
  await dialog.getByRole('button', { name: /^Done/ }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(secret), 'the secret must leave the page with its dialog');

  const row = tokenRow(page, name);
  await row.getByText('Active', { exact: true }).waitFor();
  const expires = await row.locator('time').nth(1).getAttribute('datetime');
  const days = (Date.parse(expires ?? '') - Date.now()) / 86_400_000;
  assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
  const created = row.locator('time').first();
  assert.match((await created.getAttribute('title')) ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/);

  await expectAccepted(secret, name);
  // Usage is flushed within about 5 seconds: reload until the list shows it.
  await eventually(
    async () => {
      await page.reload();
      await row.locator('[data-column="last-used"] time').waitFor({ timeout: 1000 });
    },
    20_000,
    1000,
  );
  await page.screenshot({ path: join(shots, 'token-list.png'), fullPage: true });

  await row.getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  // Last used (with its client) and, beside it, the recent addresses (SPEC 12) both name the client.
  await page.getByRole('definition').filter({ hasText: USER_AGENT }).waitFor();
  await page.getByRole('cell', { name: USER_AGENT }).waitFor();
  await page.getByText('Authorization: Bearer header').waitFor();
  await page
    .getByRole('img', { name: /^Daily requests\. [1-9][\d,]* requests? in the last 90 days/ })
    .waitFor();
  await page.screenshot({ path: join(shots, 'token-detail.png'), fullPage: true });
  await page.context().close();
});

test('suspend, reactivate, then revoke through the confirmation; the API follows each step', async () => {
  const page = await newPage(browser);
  await openTokens(page, base, admin);
  const name = 'Reporting job';
  const { dialog, secret } = await createToken(page, { name });
  await dialog.getByRole('button', { name: /^Done/ }).click();
  await openToken(page, base, name);
  assert.equal(
    await page.getByRole('button', { name: 'Revoke token' }).count(),
    0,
    'revoke needs a suspended token',
  );

  await page.getByRole('button', { name: 'Suspend' }).click();
  const suspend = page.getByRole('dialog', { name: 'Suspend token' });
  await suspend.getByLabel('Reason').fill('Investigating a leak');
  await submitDialog(suspend, 'Suspend token', detailStatus(page).getByText('Suspended'));
  await eventually(async () => assert.equal(await detailStatus(page).textContent(), 'Suspended'));
  await page.getByText('Investigating a leak').first().waitFor();
  await expectRefused(secret, 'token_suspended');
  // The refusal is audited by the next usage flush (within a second): it heads the history once reloaded.
  // Waiting for it here keeps it from racing the revocation to the top further down.
  const history = page.getByRole('region', { name: 'Audit history' });
  const newest = () => history.getByRole('row').nth(1).getByRole('cell').nth(1).textContent();
  await eventually(async () => {
    await page.reload();
    assert.equal(await newest(), 'Request refused');
  });

  await page.getByRole('button', { name: 'Reactivate' }).click();
  await eventually(async () => assert.equal(await detailStatus(page).textContent(), 'Active'));
  await expectAccepted(secret, name);

  await page.getByRole('button', { name: 'Suspend' }).click();
  const suspendAgain = page.getByRole('dialog', { name: 'Suspend token' });
  await submitDialog(suspendAgain, 'Suspend token', detailStatus(page).getByText('Suspended'));
  await page.getByRole('button', { name: 'Revoke token' }).click();
  const revoke = page.getByRole('dialog', { name: 'Revoke token' });
  await revoke.getByText(name).first().waitFor();
  await revoke.getByText('This cannot be undone').waitFor();
  await revoke.getByLabel('Reason').fill('Integration retired');
  await submitDialog(revoke, 'Revoke token', detailStatus(page).getByText('Revoked'));
  for (const action of ['Suspend', 'Reactivate', 'Revoke token', 'Rotate', 'Renew']) {
    assert.equal(
      await page.getByRole('button', { name: action, exact: true }).count(),
      0,
      `${action} is offered`,
    );
  }
  // Newest first: the revocation heads the audit history. Read before the refused call below, whose
  // token.auth_failed event (written by the next usage flush) would otherwise race it to the top.
  await eventually(async () => assert.equal(await newest(), 'Revoked'));
  await expectRefused(secret, 'token_revoked');

  await page.getByRole('link', { name: '← Manage API Tokens' }).click();
  await page.getByRole('checkbox', { name: 'Revoked' }).check();
  await tokenRow(page, name).getByText('Revoked', { exact: true }).waitFor();
  assert.match(page.url(), /state=revoked/);
  await page.context().close();
});

test('rotating from the detail page issues a new secret; the old one works through its grace period only', async () => {
  const page = await newPage(browser);
  await openTokens(page, base, admin);
  const name = 'HubSpot integration';
  const created = await createToken(page, { name, issuedFor: 'hubspot' });
  const first = created.secret;
  await created.dialog.getByRole('button', { name: /^Done/ }).click();
  await openToken(page, base, name);

  await page.getByRole('button', { name: 'Rotate' }).click();
  const rotate = page.getByRole('dialog', { name: 'Rotate token' });
  assert.ok(await rotate.getByLabel('1 hour').isChecked(), 'one hour of grace is the default');
  const rotated = page.getByRole('dialog', { name: 'Token rotated' });
  await submitDialog(rotate, 'Rotate token', rotated);
  const second = await readSecret(rotated);
  assert.match(second, secretPattern);
  assert.notEqual(second, first);
  await rotated.getByText('It will not be shown again').waitFor();
  await rotated.getByRole('button', { name: /^Done/ }).click();
  await page.getByText('The previous secret still works until').waitFor();
  await expectAccepted(second, name);
  await expectAccepted(first, name);

  await page.getByRole('button', { name: 'Rotate' }).click();
  await rotate.getByLabel(/^None/).check();
  await submitDialog(rotate, 'Rotate token', rotated);
  const third = await readSecret(rotated);
  await rotated.getByRole('button', { name: /^Done/ }).click();
  await eventually(async () =>
    assert.equal(await page.getByText('The previous secret still works until').count(), 0),
  );
  await expectAccepted(third, name);
  await expectRefused(second, 'token_rotated');
  await expectRefused(first, 'token_rotated');
  await page.context().close();
});

test('renewing an active token moves its expiry and records it', async () => {
  const page = await newPage(browser);
  await openTokens(page, base, admin);
  const name = 'Data warehouse export';
  const { dialog } = await createToken(page, { name });
  await dialog.getByRole('button', { name: /^Done/ }).click();
  await openToken(page, base, name);
  await page.getByRole('button', { name: 'Renew' }).click();
  const renew = page.getByRole('dialog', { name: 'Renew token' });
  await renew.getByLabel('365 days').check();
  const history = page.getByRole('region', { name: 'Audit history' });
  await submitDialog(renew, 'Renew token', history.getByRole('cell', { name: 'Renewed' }));
  const expires = page.locator('.meta-item', { hasText: 'Expires' }).locator('time');
  await eventually(async () => {
    const days = (Date.parse((await expires.getAttribute('datetime')) ?? '') - Date.now()) / 86_400_000;
    assert.ok(days > 364.9 && days <= 365, `expires in ${days} days`);
  });
  await page.context().close();
});

test('the create dialog is keyboard operable and shows the API validation message beside its field', async () => {
  const page = await newPage(browser);
  await openTokens(page, base, admin);
  const opener = page.getByRole('button', { name: 'Create token' }).first();
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Create token' });
  await dialog.waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement?.id),
    await dialog.getByLabel('Name').getAttribute('id'),
  );
  await page.keyboard.press('Enter');
  await dialog.getByText('Give the token a name').waitFor();
  assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');

  await page.keyboard.type('Too far ahead');
  await dialog.getByLabel('Custom date').check();
  await dialog.getByLabel('Expiry date').fill('2099-01-01');
  const answer = page.waitForResponse(
    (r) => r.url().endsWith('/apis/v1/api-tokens') && r.request().method() === 'POST',
  );
  await dialog.getByRole('button', { name: 'Create token' }).click();
  const response = await answer;
  assert.equal(response.status(), 400);
  const body: unknown = await response.json();
  assert.equal(fieldOf(body, 'field'), 'expiresAt');
  const message = fieldOf(body, 'message');
  assert.ok(typeof message === 'string', JSON.stringify(body));
  await dialog.getByRole('group', { name: 'Expiry' }).getByText(message).waitFor();

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.ok(
    await opener.evaluate((button) => button === document.activeElement),
    'focus returns to the opener',
  );
  await page.context().close();
});

test('an empty list explains tokens and an API failure shows a message', async () => {
  const page = await newPage(browser);
  await page.route(tokenList, (route) => route.fulfill({ json: { items: [], nextCursor: null } }));
  await openTokens(page, base, admin);
  await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
  await page.getByText('lets an integration').waitFor();
  await page.getByRole('button', { name: 'Create token' }).waitFor();

  await page.unrouteAll();
  await page.route(tokenList, (route) =>
    route.fulfill({ status: 503, json: { error: 'unavailable', message: 'The database is unreachable.' } }),
  );
  await page.reload();
  await page.getByRole('alert').getByText('The database is unreachable.').waitFor();
  await page.context().close();
});

test('a lapsed session returns to the login page with a message, and back to the same page after signing in', async () => {
  const page = await newPage(browser);
  await openTokens(page, base, admin);
  // The cookie goes, as when the session times out; the next request the page makes answers 401.
  await page.context().clearCookies();
  const menu = page.getByRole('navigation', { name: 'General settings' });
  // Overview reads the institution's settings: that request finds the session gone.
  await menu.getByRole('link', { name: 'Overview' }).click();
  await page.getByText('Your session has ended').waitFor();
  await signIn(page, admin);
  await page.getByRole('heading', { level: 1, name: 'General settings' }).waitFor();
  await page.getByRole('region', { name: 'Institution settings' }).waitFor();
  await page.context().close();
});

test('a staff user without the feature never sees the entry or any token', async () => {
  const page: Page = await newPage(browser);
  await page.goto(`${base}/`);
  await signIn(page, staff);
  await page.getByRole('heading', { level: 1, name: 'General settings' }).waitFor();
  const menu = page.getByRole('navigation', { name: 'General settings' });
  await menu.getByRole('link', { name: 'Overview' }).waitFor();
  assert.equal(await menu.getByRole('link', { name: 'Manage API Tokens' }).count(), 0);

  await page.goto(`${base}/settings/api-tokens`);
  await page.getByText('You do not have permission').waitFor();
  assert.equal(await page.getByRole('table').count(), 0);
  const listed = await page.evaluate(async () => {
    const response = await fetch('/apis/v1/api-tokens', { credentials: 'same-origin' });
    const body: unknown = await response.json();
    return { status: response.status, body };
  });
  assert.equal(listed.status, 403, JSON.stringify(listed.body));
  assert.equal(fieldOf(listed.body, 'error'), 'insufficient_permission');
  await page.context().close();
});

test('the list filters by issued-for, sorts by expiry, searches and pages through the server cursors', async () => {
  const page = await newPage(browser);
  await openTokens(page, base, admin);
  // 25 tokens through the API with this session, faster than 25 dialogs: one more than a page of 20.
  const statuses = await page.evaluate(async () => {
    const { csrfToken } = (await (await fetch('/apis/v1/session')).json()) as { csrfToken: string };
    const answers: number[] = [];
    for (let i = 0; i < 25; i++) {
      const response = await fetch('/apis/v1/api-tokens', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
        body: JSON.stringify({
          name: `Batch job ${i}`,
          issuedFor: 'batch-jobs',
          expiresInDays: [365, 30, 90][i % 3],
        }),
      });
      answers.push(response.status);
    }
    return answers;
  });
  assert.deepEqual(new Set(statuses), new Set([201]));

  await page.reload();
  const rows = page.locator('table tbody tr');
  await page.getByRole('search').getByLabel('Issued for').fill('batch-jobs');
  await eventually(() => assert.match(page.url(), /issuedFor=batch-jobs/));
  await eventually(async () => assert.equal(await rows.count(), 20));
  await page.getByRole('button', { name: 'Next page' }).click();
  await eventually(async () => assert.equal(await rows.count(), 5));
  await page.getByText('Page 2').waitFor();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await eventually(async () => assert.equal(await rows.count(), 20));

  await page.getByRole('button', { name: /^Expires/ }).click();
  await page.locator('th[aria-sort="ascending"]', { hasText: 'Expires' }).waitFor();
  await eventually(async () => {
    const expiries = await rows.evaluateAll((trs) =>
      trs.map((tr) => tr.querySelectorAll('time')[1]?.dateTime ?? ''),
    );
    assert.deepEqual(expiries, [...expiries].sort(), 'soonest expiry first');
    assert.ok(Date.parse(expiries[0] ?? '') - Date.now() < 31 * 86_400_000, 'a 30-day token comes first');
  });

  await page.getByRole('search').getByLabel('Search').fill('Batch job 7');
  await eventually(async () => assert.equal(await rows.count(), 1));
  await tokenRow(page, 'Batch job 7').waitFor();
  await page.context().close();
});
