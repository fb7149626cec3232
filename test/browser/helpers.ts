// What the browser tests do again and again: sign in, create a token through the dialog and read its
// secret off the page, call the API with a token as an integration would, and wait for a condition
// (playwright-core has no `expect`, so assertions are retried here until they hold or time out).
import type { Browser, Locator, Page } from 'playwright-core';

export interface Account {
  email: string;
  password: string;
}

export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/**
 * Clicks a dialog's submit button and waits for `done`. If the dialog shows an error instead, fails at
 * once with the page's own message (the API's answer) rather than a bare timeout.
 */
export async function submitDialog(
  dialog: Locator,
  button: string,
  done: Locator,
  timeoutMs = 15_000,
): Promise<void> {
  await dialog.getByRole('button', { name: button, exact: true }).click();
  const error = dialog.locator('[role="alert"].alert-error, .field-error').first();
  const outcome = await Promise.race([
    done.waitFor({ timeout: timeoutMs }).then(() => null),
    error.waitFor({ timeout: timeoutMs }).then(() => error.textContent()),
  ]);
  if (outcome !== null) throw new Error(`the "${button}" dialog shows an error: ${outcome}`);
}

/** A fresh browser context (no cookies), in a time zone other than UTC so local and UTC times differ. */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1360, height: 900 },
    timezoneId: 'America/New_York',
  });
  return context.newPage();
}

export async function signIn(page: Page, account: Account): Promise<void> {
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function openTokens(page: Page, baseUrl: string, account: Account): Promise<void> {
  await page.goto(`${baseUrl}/settings/api-tokens`);
  await signIn(page, account);
  await page.getByRole('heading', { level: 1, name: 'Manage API Tokens' }).waitFor();
  await page.locator('table, .empty-state').first().waitFor();
}

export interface NewToken {
  name: string;
  description?: string;
  issuedFor?: string;
  /** Exactly these are checked (the dialog's default otherwise). */
  permissions?: string[];
  /** One per line in Allowed addresses. */
  allowedIps?: string[];
}

/** Checks exactly `keys` among a dialog's permission checkboxes, once the catalogue has loaded. */
export async function choosePermissions(dialog: Locator, keys: string[]): Promise<void> {
  const boxes = dialog.getByRole('group', { name: 'Permissions', exact: true }).getByRole('checkbox');
  await boxes.first().waitFor();
  for (const box of await boxes.all()) {
    const label = await box.evaluate((input: HTMLInputElement) => input.labels?.[0]?.textContent ?? '');
    await box.setChecked(keys.includes(label));
  }
}

/** Fills the Create token dialog's fields from `token`, with a 30-day expiry. */
export async function fillNewToken(dialog: Locator, token: NewToken): Promise<void> {
  await dialog.getByLabel('Name').fill(token.name);
  if (token.description) await dialog.getByLabel('Description').fill(token.description);
  if (token.issuedFor) await dialog.getByLabel('Issued for').fill(token.issuedFor);
  await dialog.getByLabel('30 days').check();
  if (token.permissions) await choosePermissions(dialog, token.permissions);
  if (token.allowedIps) await dialog.getByLabel('Allowed addresses').fill(token.allowedIps.join('\n'));
}

/** Fills and submits the Create token dialog (30 days); returns the secret shown once, dialog still open. */
export async function createToken(page: Page, token: NewToken): Promise<{ dialog: Locator; secret: string }> {
  await page.getByRole('button', { name: 'Create token' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create token' });
  await fillNewToken(dialog, token);
  const created = page.getByRole('dialog', { name: 'Token created' });
  await submitDialog(dialog, 'Create token', created);
  const secret = await readSecret(created);
  return { dialog: created, secret };
}

export async function readSecret(dialog: Locator): Promise<string> {
  const field = dialog.getByLabel(/^API token for /);
  await field.waitFor();
  return field.inputValue();
}

export function tokenRow(page: Page, name: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
}

export async function openToken(page: Page, baseUrl: string, name: string): Promise<void> {
  await page.goto(`${baseUrl}/settings/api-tokens?q=${encodeURIComponent(name)}`);
  await tokenRow(page, name).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** The status badge of the detail page's Details section. */
export function detailStatus(page: Page): Locator {
  return page.locator('.meta .status');
}

export const USER_AGENT = 'tokend-browser-test/1.0';

/** A JSON answer's top-level field (undefined if it has none): answers are read, not trusted to a shape. */
export function fieldOf(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const value: unknown = Reflect.get(body, name);
  return value;
}

/** GET /apis/v1/token with the secret as `Authorization: Bearer`, as an integration calls it. */
export async function callWithToken(
  baseUrl: string,
  secret: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/apis/v1/token`, {
    headers: { Authorization: `Bearer ${secret}`, 'User-Agent': USER_AGENT },
  });
  return { status: response.status, body: await response.json() };
}
