// The management list on a big institution, as the page pages through it: the first page and the
// following ones (keyset cursor), by creation date and by expiry. Timed at the client, so each figure
// includes HTTP, the session check and the JSON of 50 tokens.
import { performance } from 'node:perf_hooks';
import * as live from '../src/test-support/live-server.js';
import { percentiles } from './propagation.js';

export interface ListTimings {
  order: string;
  first: ReturnType<typeof percentiles>;
  following: ReturnType<typeof percentiles>;
}

async function page(
  staff: live.Staff,
  query: string,
): Promise<{ ms: number; next: string | null; items: number }> {
  const started = performance.now();
  const res = await live.staffCall(staff, 'GET', `/apis/v1/api-tokens?${query}`);
  const body = (await res.json()) as { items: unknown[]; nextCursor: string | null };
  if (res.status !== 200) throw new Error(`list failed: ${res.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - started, next: body.nextCursor, items: body.items.length };
}

export async function listTimings(staff: live.Staff, samples: number): Promise<ListTimings[]> {
  const orders = ['sort=createdAt&order=desc', 'sort=expiresAt&order=asc', 'sort=expiresAt&order=desc'];
  const out: ListTimings[] = [];
  for (const order of orders) {
    const query = `limit=50&${order}`;
    await page(staff, query);
    const first: number[] = [];
    for (let i = 0; i < samples; i++) first.push((await page(staff, query)).ms);
    const following: number[] = [];
    let cursor = (await page(staff, query)).next;
    for (let i = 0; i < samples && cursor; i++) {
      const p = await page(staff, `${query}&cursor=${cursor}`);
      following.push(p.ms);
      cursor = p.next;
    }
    out.push({ order, first: percentiles(first), following: percentiles(following) });
  }
  return out;
}
