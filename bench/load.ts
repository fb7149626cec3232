// One load run: autocannon (in this process, never the server's) drives a tokend process for a fixed
// time, cycling through a pool of tokens, while the server's own CPU time and memory are read from its
// /metrics before, during and after. CPU per request is the figure that does not depend on how much
// of the machine the load generator takes.
import autocannon from 'autocannon';
import type { Tokend } from './server.js';

export interface Run {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  cpuUs: number;
  rssMax: number;
  failed: number;
}

export interface Load {
  server: Tokend;
  path: string;
  /** Tokens sent as `Authorization: Bearer`, one after another; none for an open route. */
  tokens: string[];
}

export async function drive(load: Load, seconds: number, connections: number): Promise<Run> {
  const { server, path, tokens } = load;
  const before = await server.sample();
  let rssMax = before.rss;
  // Memory peaks during the run, not after it: sample it every second (one cheap request each).
  const watch = setInterval(() => {
    void server.sample().then(
      (s) => (rssMax = Math.max(rssMax, s.rss)),
      () => {},
    );
  }, 1000);
  try {
    const result = await autocannon({
      url: `${server.url}${path}`,
      connections,
      duration: seconds,
      // One prebuilt request per token, which autocannon cycles through: the load generator spends the
      // same per request on a token route as on the open one, so throughput ratios compare the server.
      requests:
        tokens.length === 0 ? [{}] : tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } })),
    });
    const after = await server.sample();
    rssMax = Math.max(rssMax, after.rss);
    return {
      requests: result.requests.total,
      seconds: result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuUs: after.cpuUs - before.cpuUs,
      rssMax,
      failed: result.non2xx + result.errors + result.timeouts,
    };
  } finally {
    clearInterval(watch);
  }
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Rounds of one configuration folded into one row: totals for rates, medians for latencies. */
export function combine(runs: Run[]) {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  return {
    rps: requests / runs.reduce((n, r) => n + r.seconds, 0),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuPerRequest: runs.reduce((n, r) => n + r.cpuUs, 0) / requests,
    rssMax: Math.max(...runs.map((r) => r.rssMax)),
    failed: runs.reduce((n, r) => n + r.failed, 0),
    requests,
    runs,
  };
}

export type Row = ReturnType<typeof combine>;
