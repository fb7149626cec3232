// How long another instance keeps honouring a token after it is suspended through instance A: suspend
// through A's API, then poll B until it refuses, many times over (B holds the token in its cache each
// time). Also how long a request takes to show as "last used" in the management API.
import { performance } from 'node:perf_hooks';
import * as live from '../src/test-support/live-server.js';

/** Milliseconds from A's answer to the suspend until B's first refusal, one figure a run. */
export async function suspensionDelays(
  a: string,
  b: string,
  staff: live.Staff,
  runs: number,
): Promise<number[]> {
  const { token, secret } = await live.createToken(staff, { name: 'Propagation probe' });
  const accepted = () =>
    live.waitUntil(
      'B to accept the token',
      async () => (await live.useToken(b, secret)).status === 200,
      10_000,
      5,
    );
  const delays: number[] = [];
  for (let i = 0; i < runs; i++) {
    await accepted();
    await live.transition(staff, token.id, 'suspend');
    const refused = await live.timeToRefusal(b, secret, performance.now(), 10_000);
    delays.push(refused.ms);
    await live.transition(staff, token.id, 'reactivate');
  }
  return delays;
}

/** Milliseconds from a request through B until A's management API shows it as the last use. */
export async function lastUsedDelays(
  a: string,
  b: string,
  staff: live.Staff,
  samples: number,
): Promise<number[]> {
  const { token, secret } = await live.createToken(staff, { name: 'Last-used probe' });
  const delays: number[] = [];
  for (let i = 0; i < samples; i++) {
    const at = Date.now();
    if ((await live.useToken(b, secret)).status !== 200) throw new Error('the probe token was refused');
    await live.waitUntil(
      'last use to show',
      async () => {
        const res = await live.staffCall({ ...staff, base: a }, 'GET', `/apis/v1/api-tokens/${token.id}`);
        const { lastUsedAt } = (await res.json()) as { lastUsedAt: string | null };
        return lastUsedAt !== null && new Date(lastUsedAt).getTime() >= at;
      },
      10_000,
      10,
    );
    delays.push(Date.now() - at);
  }
  return delays;
}

export function percentiles(xs: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...xs].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? NaN, n: s.length };
}
