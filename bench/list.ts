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

/**
 * SPEC 12's inventory filters, each alone, first page (50, the default newest-first order) on a big
 * institution: p50 and p99 of `samples` requests after one warm-up. `createdBy` is a user who made some
 * of the tokens, `expiresBefore`/`lastUsedBefore` times that split the set.
 */
export async function filterTimings(
  staff: live.Staff,
  samples: number,
  values: FilterValues,
): Promise<{ filter: string; items: number; first: ReturnType<typeof percentiles> }[]> {
  const out = [];
  for (const filter of FILTERS(values)) {
    const query = `limit=50${filter ? `&${filter}` : ''}`;
    const warm = await page(staff, query);
    const first: number[] = [];
    for (let i = 0; i < samples; i++) first.push((await page(staff, query)).ms);
    out.push({ filter: filter || '(none)', items: warm.items, first: percentiles(first) });
  }
  return out;
}

interface FilterValues {
  createdBy: string;
  expiresBefore: string;
  lastUsedBefore: string;
  permission: string;
}

/** Each filter alone, then the sort by last use and one combination. */
export const FILTERS = (values: FilterValues) => [
  '',
  'state=active',
  `expiresBefore=${values.expiresBefore}`,
  'noExpiry=true',
  'noExpiry=false',
  `lastUsedBefore=${values.lastUsedBefore}`,
  'neverUsed=true',
  'neverUsed=false',
  `createdBy=${values.createdBy}`,
  `permission=${values.permission}`,
  'ipRestricted=true',
  'ipRestricted=false',
  'compromised=true',
  'compromised=false',
  'sort=lastUsedAt&order=desc',
  'sort=lastUsedAt&order=asc',
  `neverUsed=false&ipRestricted=true&sort=lastUsedAt`,
];
