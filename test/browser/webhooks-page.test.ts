// Settings → Webhooks on the page (SPEC section 10), in Chromium against a real tokend (embedded, and on
// PostgreSQL when TEST_DATABASE_URL is set) and a real receiver on 127.0.0.1 (listed in
// TOKEND_WEBHOOK_ALLOWED_HOSTS): Create shows the whsec_ secret once and never after a reload; an
// http:// URL of another host is refused at the URL field, in Create and in Edit; Send test reaches the
// receiver signed (verified with the standardwebhooks package) and the page shows it delivered; the
// deliveries list it and Redeliver adds an attempt; Disable and Enable; Rotate secret signs with both
// secrets; Delete after a confirmation.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { Webhook as Verifier } from 'standardwebhooks';
import { databaseKinds } from '../../src/test-support/harness.js';
import { eventually, newPage, signIn, submitDialog } from './helpers.js';
import { buildPageIfMissing, repoRoot, type RunningServer, runCli, startPageServer } from './server.js';

const shots = join(repoRoot, 'test-results');
const admin = { email: 'admin@example.com', password: 'admin-password-for-webhook-tests' };
const staff = { email: 'staff@example.com', password: 'staff-password-for-webhook-tests' };

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A receiver as an integration runs one: it keeps every message and answers 200. */
async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        headers: flat(request.headers),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function flat(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers))
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/** A message's `type`, read from its body (the receiver does not trust it to a shape). */
function typeOf(message: Received): unknown {
  const body: unknown = JSON.parse(message.body);
  return typeof body === 'object' && body !== null ? Reflect.get(body, 'type') : undefined;
}

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

/** Adds an endpoint through the API with the page's session, as a script would: its id and secret. */
async function createViaApi(page: Page, url: string): Promise<{ id: string; secret: string }> {
  // No named functions inside: tsx's name-keeping helper does not exist in the browser.
  return page.evaluate(async (url) => {
    const { csrfToken } = (await (await fetch('/apis/v1/session')).json()) as { csrfToken: string };
    const response = await fetch('/apis/v1/webhooks', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
      body: JSON.stringify({ url }),
    });
    if (!response.ok) throw new Error(`create: ${response.status} ${await response.text()}`);
    const created = (await response.json()) as { webhook: { id: string }; secret: string };
    return { id: created.webhook.id, secret: created.secret };
  }, url);
}

/** Sends `count` test events through the API with the page's session, one after another. */
async function sendTests(page: Page, id: string, count: number): Promise<void> {
  await page.evaluate(
    async ({ id, count }) => {
      const { csrfToken } = (await (await fetch('/apis/v1/session')).json()) as { csrfToken: string };
      for (let i = 0; i < count; i += 1) {
        const response = await fetch(`/apis/v1/webhooks/${id}/test`, {
          method: 'POST',
          headers: { 'X-CSRF-Token': csrfToken },
        });
        if (!response.ok) throw new Error(`test: ${response.status} ${await response.text()}`);
      }
    },
    { id, count },
  );
}

/** What the API answers for the endpoints, as text: what a reload of the page could show. */
async function listText(page: Page): Promise<string> {
  return page.evaluate(async () => (await fetch('/apis/v1/webhooks')).text());
}

/** A Details entry of the endpoint's page, by its term. */
const metaItem = (page: Page, term: string) =>
  page.locator('.meta-item', { has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) });
const status = (page: Page) => metaItem(page, 'Status').locator('.status');
const deliveryRow = (page: Page, eventId: string) => page.locator(`tr[data-event-id="${eventId}"]`);
const cell = (row: Locator, column: string) => row.locator(`[data-column="${column}"]`);
const fieldError = (dialog: Locator) => dialog.locator('.field-error');
const secretField = (dialog: Locator) => dialog.getByLabel(/^Signing secret for /);

for (const kind of databaseKinds()) {
  describe(`Settings → Webhooks on ${kind}`, () => {
    let server: RunningServer;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let hooks = 0;
    /** A receiver path of the test's own, so each test reads only its endpoint's messages. */
    const hookUrl = () => receiver.url(`/hook-${++hooks}`);
    const messagesTo = (url: string, type: string) =>
      receiver.received.filter((m) => m.path === new URL(url).pathname && typeOf(m) === type);

    before(async () => {
      receiver = await startReceiver();
      // Staff without the feature, made before `serve` (the embedded database belongs to one process).
      const createStaff = ['users', 'create', '--email', staff.email, '--name', 'Staff', '--role', 'staff'];
      server = await startPageServer(
        kind,
        'tokend-webhooks-page-',
        admin,
        { TOKEND_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' },
        (env) => runCli([...createStaff, '--password-stdin'], env, `${staff.password}\n`),
      );
    });

    after(async () => {
      await server?.stop();
      await receiver?.close();
    });

    /** A signed-in page at an endpoint's own page. */
    async function openWebhook(url: string): Promise<{ page: Page; id: string; secret: string }> {
      const page = await newPage(browser);
      await page.goto(`${server.url}/settings/webhooks`);
      await signIn(page, admin);
      const created = await createViaApi(page, url);
      await page.goto(`${server.url}/settings/webhooks/${created.id}`);
      await page.getByRole('heading', { level: 1, name: url }).waitFor();
      return { page, ...created };
    }

    test('the side menu leads to Webhooks; Create refuses an http:// URL at the URL field', async () => {
      const page = await newPage(browser);
      await page.goto(`${server.url}/settings`);
      await signIn(page, admin);
      await page
        .getByRole('navigation', { name: 'General settings' })
        .getByRole('link', { name: 'Webhooks' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/settings/webhooks');

      await page.getByRole('button', { name: 'Create webhook' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Create webhook' });
      await dialog.getByLabel('URL', { exact: true }).fill('http://example.com/hook');
      await dialog.getByRole('button', { name: 'Create webhook', exact: true }).click();
      await fieldError(dialog).waitFor();
      assert.match((await fieldError(dialog).textContent()) ?? '', /url must be https:\/\//);
      assert.equal(await dialog.getByLabel('URL', { exact: true }).getAttribute('aria-invalid'), 'true');
      await dialog.screenshot({ path: join(shots, `webhook-url-refused-${kind}.png`) });
      // Nothing was created.
      assert.doesNotMatch(await listText(page), /example\.com/);
      await page.context().close();
    });

    test('Create shows the secret once, with every event by default; a reload shows it nowhere', async () => {
      const url = hookUrl();
      const page = await newPage(browser);
      await page.goto(`${server.url}/settings/webhooks`);
      await signIn(page, admin);
      await page.getByRole('button', { name: 'Create webhook' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Create webhook' });
      assert.ok(await dialog.getByLabel(/^Every event/).isChecked(), 'every event is the default');
      await dialog.getByLabel('URL', { exact: true }).fill(url);
      await dialog.getByLabel('Description').fill('The SIEM');
      const created = page.getByRole('dialog', { name: 'Webhook created' });
      await submitDialog(dialog, 'Create webhook', created);
      const secret = await secretField(created).inputValue();
      assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      assert.equal(Buffer.from(secret.slice('whsec_'.length), 'base64').length, 32);
      await created.screenshot({ path: join(shots, `webhook-created-${kind}.png`) });
      await created.getByRole('button', { name: /^Done/ }).click();

      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: url, exact: true }) });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /The SIEM.*Enabled.*Every event/);
      await page.reload();
      await row.waitFor();
      await page.screenshot({ path: join(shots, `webhook-list-${kind}.png`) });
      assert.ok(!(await page.content()).includes(secret), 'the list does not show the secret');
      await row.getByRole('link', { name: url, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: url }).waitFor();
      await page.getByRole('region', { name: 'Deliveries' }).waitFor();
      assert.ok(!(await page.content()).includes(secret), 'the endpoint page does not show the secret');
      assert.ok(!(await listText(page)).includes(secret), 'the API does not answer it again');
      await page.context().close();
    });

    test('Create with chosen events; Edit changes them and refuses an http:// URL at its field', async () => {
      const url = hookUrl();
      const page = await newPage(browser);
      await page.goto(`${server.url}/settings/webhooks`);
      await signIn(page, admin);
      await page.getByRole('button', { name: 'Create webhook' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Create webhook' });
      await dialog.getByLabel('URL', { exact: true }).fill(url);
      await dialog.getByLabel(/^Only the events/).check();
      await dialog.getByRole('checkbox', { name: 'token.suspended', exact: true }).check();
      await dialog.getByRole('checkbox', { name: 'token.revoked', exact: true }).check();
      const created = page.getByRole('dialog', { name: 'Webhook created' });
      await submitDialog(dialog, 'Create webhook', created);
      await created.getByRole('button', { name: /^Done/ }).click();
      await page.getByRole('link', { name: url, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: url }).waitFor();
      const events = metaItem(page, 'Events').locator('li');
      await eventually(async () =>
        assert.deepEqual(await events.allTextContents(), ['token.suspended', 'token.revoked']),
      );

      await page.getByRole('button', { name: 'Edit', exact: true }).click();
      const edit = page.getByRole('dialog', { name: 'Edit webhook' });
      assert.ok(await edit.getByRole('checkbox', { name: 'token.revoked', exact: true }).isChecked());
      await edit.getByRole('checkbox', { name: 'token.revoked', exact: true }).uncheck();
      await edit.getByRole('checkbox', { name: 'token.leaked', exact: true }).check();
      await edit.getByLabel('URL', { exact: true }).fill('http://example.com/other');
      await edit.getByRole('button', { name: 'Save changes', exact: true }).click();
      await fieldError(edit).waitFor();
      assert.match((await fieldError(edit).textContent()) ?? '', /url must be https:\/\//);
      await edit.getByLabel('URL', { exact: true }).fill(url);
      await edit.getByRole('button', { name: 'Save changes', exact: true }).click();
      await edit.waitFor({ state: 'detached' });
      await eventually(async () =>
        assert.deepEqual(await events.allTextContents(), ['token.suspended', 'token.leaked']),
      );
      await page.context().close();
    });

    test('Send test reaches the receiver signed, shows delivered, and Redeliver adds an attempt', async () => {
      const url = hookUrl();
      const { page, secret } = await openWebhook(url);
      await page.getByRole('button', { name: 'Send test', exact: true }).click();
      const result = page.locator('.test-result');
      await result.waitFor();
      assert.match((await result.textContent()) ?? '', /Test event sent: delivered HTTP 200/);
      const [message] = messagesTo(url, 'webhook.test');
      assert.ok(message, 'the receiver got the test message');
      // What a receiver does: verify the signature over the raw body with the secret (throws if not).
      new Verifier(secret).verify(message.body, message.headers);
      assert.equal(message.headers['content-type'], 'application/json');
      assert.match(message.headers['user-agent'] ?? '', /^tokend\//);
      const eventId = message.headers['webhook-id'] ?? '';

      const row = deliveryRow(page, eventId);
      await row.waitFor();
      assert.equal(await cell(row, 'type').locator('code').textContent(), 'webhook.test');
      assert.equal(await cell(row, 'status').textContent(), 'delivered');
      assert.equal(await cell(row, 'attempts').textContent(), '1');
      assert.match((await cell(row, 'outcome').textContent()) ?? '', /^HTTP 200/);
      await eventually(async () =>
        assert.match((await metaItem(page, 'Last delivery').textContent()) ?? '', /delivered/),
      );
      await page.screenshot({ path: join(shots, `webhook-tested-${kind}.png`), fullPage: true });

      await row.getByRole('button', { name: /^Redeliver/ }).click();
      await eventually(async () => assert.equal(await cell(row, 'attempts').textContent(), '2'));
      await eventually(async () => assert.equal(await cell(row, 'status').textContent(), 'delivered'));
      const again = messagesTo(url, 'webhook.test');
      assert.equal(again.length, 2, 'the receiver got it twice');
      assert.equal(again[1]?.headers['webhook-id'], eventId, 'with the same webhook-id, to deduplicate by');
      if (again[1]) new Verifier(secret).verify(again[1].body, again[1].headers);
      await page.context().close();
    });

    test('Disable and Enable, with the reason shown while disabled', async () => {
      const url = hookUrl();
      const { page } = await openWebhook(url);
      await status(page).getByText('Enabled', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Disable', exact: true }).click();
      await status(page).getByText('Disabled', { exact: true }).waitFor();
      await page
        .getByRole('status')
        .getByText(/This endpoint is disabled: disabled by staff/)
        .waitFor();
      // Its messages wait for it to be enabled again: nothing to redeliver now.
      const created = page.locator('tr[data-delivery-id]').first();
      assert.ok(await created.getByRole('button', { name: /^Redeliver/ }).isDisabled());
      await page.goto(`${server.url}/settings/webhooks`);
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: url, exact: true }) });
      await cell(row, 'status').getByText('Disabled', { exact: true }).waitFor();
      assert.match((await cell(row, 'status').textContent()) ?? '', /disabled by staff/);
      await row.getByRole('link', { name: url, exact: true }).click();
      await page.getByRole('button', { name: 'Enable', exact: true }).click();
      await status(page).getByText('Enabled', { exact: true }).waitFor();
      assert.equal(await page.getByText(/This endpoint is disabled/).count(), 0);
      await page.context().close();
    });

    test('Rotate secret shows the new one once; messages then carry both signatures', async () => {
      const url = hookUrl();
      const { page, secret: old } = await openWebhook(url);
      await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Rotate signing secret' });
      const rotated = page.getByRole('dialog', { name: 'Secret rotated' });
      await submitDialog(dialog, 'Rotate secret', rotated);
      const secret = await secretField(rotated).inputValue();
      assert.match(secret, /^whsec_/);
      assert.notEqual(secret, old);
      await rotated.getByRole('button', { name: /^Done/ }).click();
      await rotated.waitFor({ state: 'detached' });
      assert.ok(!(await page.content()).includes(secret));

      await page.getByRole('button', { name: 'Send test', exact: true }).click();
      await page.locator('.test-result').getByText('delivered').waitFor();
      const [message] = messagesTo(url, 'webhook.test');
      assert.ok(message);
      assert.equal((message.headers['webhook-signature'] ?? '').split(' ').length, 2);
      new Verifier(secret).verify(message.body, message.headers);
      new Verifier(old).verify(message.body, message.headers);
      await page.context().close();
    });

    test('a staff user without the feature sees no Webhooks entry, and the API refuses', async () => {
      const page = await newPage(browser);
      await page.goto(`${server.url}/settings`);
      await signIn(page, staff);
      const menu = page.getByRole('navigation', { name: 'General settings' });
      await menu.getByRole('link', { name: 'Overview' }).waitFor();
      assert.equal(await menu.getByRole('link', { name: 'Webhooks' }).count(), 0);
      await page.goto(`${server.url}/settings/webhooks`);
      await page.getByText('You do not have permission to view or manage webhooks').waitFor();
      assert.equal(await page.getByRole('table').count(), 0);
      const status = await page.evaluate(async () => (await fetch('/apis/v1/webhooks')).status);
      assert.equal(status, 403);
      await page.context().close();
    });

    test('the deliveries show 50, then the older ones by cursor, newest first', async () => {
      const url = hookUrl();
      const { page, id } = await openWebhook(url);
      await sendTests(page, id, 51);
      await page.reload();
      const rows = page.locator('tr[data-delivery-id]');
      await eventually(async () => assert.equal(await rows.count(), 50));
      const newest = messagesTo(url, 'webhook.test').at(-1)?.headers['webhook-id'];
      assert.equal(await rows.first().getAttribute('data-event-id'), newest);
      await page.getByRole('button', { name: 'Show older deliveries' }).click();
      // The 51 tests and the endpoint's own webhook.created, each once.
      await eventually(async () => assert.equal(await rows.count(), 52));
      const ids = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-delivery-id')));
      assert.equal(new Set(ids).size, 52);
      assert.equal(await rows.last().locator('[data-column="type"] code').textContent(), 'webhook.created');
      assert.equal(await page.getByRole('button', { name: 'Show older deliveries' }).count(), 0);
      await page.context().close();
    });

    test('Delete asks first, then the endpoint is gone', async () => {
      const url = hookUrl();
      const { page, id } = await openWebhook(url);
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete webhook' });
      assert.match((await dialog.textContent()) ?? '', /cannot be undone/);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('heading', { level: 1, name: url }).waitFor();
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await dialog.getByRole('button', { name: 'Delete webhook', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
      await page.locator('table, .empty-state').first().waitFor();
      assert.equal(await page.getByRole('link', { name: url, exact: true }).count(), 0);
      assert.doesNotMatch(await listText(page), new RegExp(id));
      await page.context().close();
    });
  });
}
