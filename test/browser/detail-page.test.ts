// The token detail page's requests, in Chromium against a real tokend (embedded, and on PostgreSQL when
// TEST_DATABASE_URL is set): an action costs its own request plus a reload of the history and usage,
// never a re-fetch of the token the action answered with; and a "Show older events" page that arrives
// after the history was reset is dropped, not appended. Only the timing of one response is arranged.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page, type Route } from 'playwright-core';
import { databaseKinds } from '../../src/test-support/harness.js';
import {
  createToken,
  detailStatus,
  eventually,
  newPage,
  openToken,
  openTokens,
  submitDialog,
} from './helpers.js';
import { buildPageIfMissing, type RunningServer, startPageServer } from './server.js';

const admin = { email: 'admin@example.com', password: 'admin-password-for-detail-tests' };

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

/** GET /apis/v1/token with `secret` from the loopback address `from`, as an integration on that host. */
const callFrom = (baseUrl: string, from: string, secret: string, userAgent: string) =>
  new Promise<number>((resolve, reject) => {
    const url = new URL('/apis/v1/token', baseUrl);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        localAddress: from,
        agent: false,
        headers: { host: url.host, authorization: `Bearer ${secret}`, 'user-agent': userAgent },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });

const history = (page: Page) => page.getByRole('region', { name: 'Audit history' });
const historyRows = (page: Page) => history(page).locator('tbody tr');
const newest = (page: Page) => historyRows(page).first().locator('td').nth(1).textContent();
const tokenIdOf = (page: Page) => decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');

/**
 * The `METHOD path` of every request to this token's API made while `act` runs and until the history
 * and usage have been re-fetched, plus a quiet moment in which a stray request would still show up.
 */
async function requestsDuring(page: Page, id: string, act: () => Promise<void>): Promise<string[]> {
  const prefix = `/apis/v1/api-tokens/${id}`;
  const seen: string[] = [];
  const record = (request: { url: () => string; method: () => string }) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith(prefix)) seen.push(`${request.method()} ${pathname.slice(prefix.length) || '/'}`);
  };
  const reloaded = (suffix: string) =>
    page.waitForResponse((r) => new URL(r.url()).pathname === `${prefix}${suffix}` && r.ok());
  const events = reloaded('/events');
  const usage = reloaded('/usage');
  page.on('request', record);
  try {
    await act();
    await Promise.all([events, usage]);
    await page.waitForTimeout(500);
  } finally {
    page.off('request', record);
  }
  return seen.sort();
}

/** Creates a token through the API with the page's session and walks it through `cycles` suspensions. */
async function tokenWithHistory(page: Page, name: string, cycles: number): Promise<string> {
  // No named functions inside: tsx's name-keeping helper does not exist in the browser.
  return page.evaluate(
    async ({ name, cycles }) => {
      const { csrfToken } = (await (await fetch('/apis/v1/session')).json()) as { csrfToken: string };
      let id = '';
      for (let i = 0; i <= cycles * 2; i++) {
        const path = i === 0 ? '' : `/${id}/${i % 2 ? 'suspend' : 'reactivate'}`;
        const body = i === 0 ? { name, expiresInDays: 30 } : {};
        const response = await fetch(`/apis/v1/api-tokens${path}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
          body: JSON.stringify(body),
        });
        if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
        if (i === 0) id = ((await response.json()) as { token: { id: string } }).token.id;
      }
      return id;
    },
    { name, cycles },
  );
}

for (const kind of databaseKinds()) {
  describe(`the detail page on ${kind}`, () => {
    let server: RunningServer;

    before(async () => {
      server = await startPageServer(kind, 'tokend-detail-', admin);
    });

    after(async () => {
      await server?.stop();
    });

    test('an action sends its own request and re-fetches only the history and usage, not the token', async () => {
      const page = await newPage(browser);
      await openTokens(page, server.url, admin);
      const name = 'Billing export';
      const { dialog } = await createToken(page, { name });
      await dialog.getByRole('button', { name: /^Done/ }).click();
      await openToken(page, server.url, name);
      await history(page).getByRole('cell', { name: 'Created' }).waitFor();
      const id = tokenIdOf(page);

      const suspended = await requestsDuring(page, id, async () => {
        await page.getByRole('button', { name: 'Suspend' }).click();
        const suspend = page.getByRole('dialog', { name: 'Suspend token' });
        await submitDialog(suspend, 'Suspend token', detailStatus(page).getByText('Suspended'));
      });
      assert.deepEqual(suspended, ['GET /events', 'GET /usage', 'POST /suspend']);
      await eventually(async () => assert.equal(await newest(page), 'Suspended'));

      const reactivated = await requestsDuring(page, id, async () => {
        await page.getByRole('button', { name: 'Reactivate' }).click();
        await detailStatus(page).getByText('Active').waitFor();
      });
      assert.deepEqual(reactivated, ['GET /events', 'GET /usage', 'POST /reactivate']);

      const renewed = await requestsDuring(page, id, async () => {
        await page.getByRole('button', { name: 'Renew' }).click();
        const renew = page.getByRole('dialog', { name: 'Renew token' });
        await renew.getByLabel('90 days').check();
        await submitDialog(renew, 'Renew token', history(page).getByRole('cell', { name: 'Renewed' }));
      });
      assert.deepEqual(renewed, ['GET /events', 'GET /usage', 'POST /renew']);
      // The page still shows the state and expiry the actions answered with.
      assert.equal(await detailStatus(page).textContent(), 'Active');
      await page.context().close();
    });

    test('an older page of the history that arrives after a reset is dropped, not appended', async () => {
      const page = await newPage(browser);
      await openTokens(page, server.url, admin);
      // 1 creation + 26 × (suspended, reactivated) = 53 events: a first page of 50 and an older page of 3.
      const id = await tokenWithHistory(page, 'Ledger sync', 26);
      await page.goto(`${server.url}/settings/api-tokens/${encodeURIComponent(id)}`);
      await eventually(async () => assert.equal(await historyRows(page).count(), 50));

      let held: (route: Route) => void = () => {};
      const olderRequested = new Promise<Route>((resolve) => (held = resolve));
      const isOlderPage = (url: URL) =>
        url.pathname === `/apis/v1/api-tokens/${id}/events` && url.searchParams.has('cursor');
      await page.route(isOlderPage, (route) => held(route));
      await page.getByRole('button', { name: 'Show older events' }).click();
      const route = await olderRequested;

      // The reset: an action reloads the first page while the older page is still in flight.
      await page.getByRole('button', { name: 'Suspend' }).click();
      const suspend = page.getByRole('dialog', { name: 'Suspend token' });
      await submitDialog(suspend, 'Suspend token', detailStatus(page).getByText('Suspended'));
      await eventually(async () => assert.equal(await newest(page), 'Suspended'));
      assert.equal(await historyRows(page).count(), 50);

      const late = page.waitForResponse((r) => isOlderPage(new URL(r.url())));
      await route.continue();
      await (await late).finished();
      await page.waitForTimeout(500);
      assert.equal(await historyRows(page).count(), 50, 'the late older page was appended');
      assert.equal(await newest(page), 'Suspended');

      // The history still pages on from its own first page: 54 events, each once.
      await page.unrouteAll();
      const older = page.getByRole('button', { name: 'Show older events' });
      assert.ok(await older.isEnabled(), 'Show older events is offered for the new first page');
      await older.click();
      await eventually(async () => assert.equal(await historyRows(page).count(), 54));
      await older.waitFor({ state: 'detached' });
      await page.context().close();
    });

    test('the recent addresses: the last 5 a token was used from, newest first, with first and last seen', async () => {
      const page = await newPage(browser);
      await openTokens(page, server.url, admin);
      const name = 'Warehouse feed';
      const { dialog, secret } = await createToken(page, { name });
      await dialog.getByRole('button', { name: /^Done/ }).click();
      await openToken(page, server.url, name);
      const region = page.getByRole('region', { name: 'Recent addresses' });
      await region.getByText('Not used from any address yet.').waitFor();

      for (const [i, from] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) {
        assert.equal(await callFrom(server.url, from, secret, `feed/${i + 2}`), 200);
        await page.waitForTimeout(20);
      }
      assert.equal(await callFrom(server.url, '127.0.0.2', secret, 'feed/2b'), 200);
      // The server writes them with its usage flush, a few seconds behind the requests (and a flush may
      // land between the requests: wait for the last one to be written too).
      const rows = region.locator('tbody tr');
      const cells = async (n: number) =>
        (await rows.nth(n).locator('td').allInnerTexts()).map((t) => t.trim());
      await eventually(
        async () => {
          await page.reload();
          await region.waitFor();
          assert.equal(await rows.count(), 3);
          const [newest, second, third] = [await cells(0), await cells(1), await cells(2)];
          assert.deepEqual(
            [newest[0], newest[3], second[0], second[3], third[0], third[3]],
            ['127.0.0.2', 'feed/2b', '127.0.0.4', 'feed/4', '127.0.0.3', 'feed/3'],
          );
        },
        20_000,
        1_000,
      );
      // Seen twice: its first sighting is earlier than its last; the others were seen once.
      const times = (n: number) =>
        rows
          .nth(n)
          .locator('time')
          .evaluateAll((els) => els.map((e) => e.getAttribute('datetime') ?? ''));
      const [first, last] = await times(0);
      assert.ok(first && last && first < last, `${first} < ${last}`);
      const [once, onceLast] = await times(1);
      assert.equal(once, onceLast);
      // Drawn inside its card, beside the details, not off the page.
      const box = await region.locator('table').boundingBox();
      const card = await region.boundingBox();
      assert.ok(
        box && card && box.width > 0 && box.x + box.width <= card.x + card.width + 1,
        'fits its card',
      );
      await page.context().close();
    });
  });
}
