// Writes BENCHMARKS.md from one run's figures: the machine, the command and settings, one table per
// database, the ratios the targets are stated in (p/b among them), propagation, last use, the list,
// seeding and memory, and each target marked met or missed by the numbers above it. Nothing here is typed in by hand.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ListTimings } from './list.js';
import { median, type Row, type Run } from './load.js';
import type { BenchOptions } from './options.js';
import type { percentiles } from './propagation.js';

type Spread = ReturnType<typeof percentiles>;

export interface KindReport {
  kind: 'postgres' | 'pglite';
  version: string;
  tokens: number;
  seededMs: number;
  vacuumMs: number;
  rows: { key: string; label: string; row: Row }[];
  propagation?: { withListener: Spread; withoutListener: Spread; lastUsed: Spread };
  list: ListTimings[];
}

export interface Report {
  machine: string[];
  build: string;
  options: BenchOptions;
  startedAt: string;
  minutes: number;
  kinds: KindReport[];
}

const f = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
const mb = (bytes: number) => `${f(bytes / 1048576)} MB`;
const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
const part = (p: { cpu: number; rate: number }) => `${f(p.cpu, 2)}× / ${f(p.rate, 2)}`;

function table(k: KindReport): string[] {
  const lines = [
    '| | configuration | req/s | p50 ms | p99 ms | server CPU µs/req | non-2xx or errors |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const { key, label, row } of k.rows)
    lines.push(
      `| ${key} | ${label} | ${f(row.rps)} | ${f(row.p50, 1)} | ${f(row.p99, 1)} | ${f(row.cpuPerRequest, 1)} | ${row.failed} |`,
    );
  return lines;
}

/** x/y for each round: the two runs of a round are back to back. */
function perRound(x: Row | undefined, y: Row | undefined, of: (r: Run) => number): number[] {
  if (!x || !y) return [];
  return x.runs.map((run, i) => of(run) / of(y.runs[i] as Run));
}

/**
 * x/y per round, then the median: a slow spell of the shared machine (other tenants, the database's own
 * work) weighs on both runs of a round and cancels out of the ratio.
 */
const paired = (x: Row | undefined, y: Row | undefined, of: (r: Run) => number) => median(perRound(x, y, of));

/**
 * (d)/(b) with each measured against the /healthz of its own process, per round: (d) runs in a process
 * of its own, and two processes of one build can differ in speed by more than the 10% (d) is held to.
 */
function ownCeilings(
  d: Row | undefined,
  aD: Row | undefined,
  b: Row | undefined,
  a: Row | undefined,
  of: (r: Run) => number,
) {
  const ba = perRound(b, a, of);
  return median(perRound(d, aD, of).map((da, i) => da / (ba[i] as number)));
}

const rate = (r: Run) => r.requests / r.seconds;
const cpu = (r: Run) => r.cpuUs / r.requests;

export function ratios(k: KindReport) {
  const get = (key: string) => k.rows.find((r) => r.key === key)?.row;
  const [a, b, d, aD] = [get('a'), get('b'), get('d'), get('a(d)')];
  const [aToken, s, p] = [get('a′'), get('s'), get('p')];
  // (b) over (a) taken apart: the token header, then (b)'s answer, then the check itself.
  const step = (x: Row | undefined, y: Row | undefined) => ({
    cpu: paired(x, y, cpu),
    rate: paired(x, y, rate),
  });
  return {
    throughputBA: paired(b, a, rate),
    cpuBA: paired(b, a, cpu),
    parts: { header: step(aToken, a), answer: step(s, a), check: step(b, s) },
    throughputDB: paired(d, b, rate),
    cpuDB: paired(d, b, cpu),
    // (p) and (b) share a process and run back to back: the per-round ratio is the fair one.
    throughputPB: paired(p, b, rate),
    cpuPB: paired(p, b, cpu),
    ceilings: {
      throughputDB: ownCeilings(d, aD, b, a, rate),
      cpuDB: ownCeilings(d, aD, b, a, cpu),
      ceilingDA: paired(aD, a, cpu),
    },
    totals: {
      throughputBA: b && a ? b.rps / a.rps : NaN,
      cpuBA: b && a ? b.cpuPerRequest / a.cpuPerRequest : NaN,
      throughputDB: d && b ? d.rps / b.rps : NaN,
      cpuDB: d && b ? d.cpuPerRequest / b.cpuPerRequest : NaN,
      cpuPB: p && b ? p.cpuPerRequest / b.cpuPerRequest : NaN,
    },
    rssBig: d?.rssMax ?? NaN,
  };
}

function section(k: KindReport): string[] {
  const r = ratios(k);
  const out = [
    `## ${k.kind === 'postgres' ? 'PostgreSQL' : 'PGlite (embedded)'}`,
    '',
    `${k.version.split(',')[0]}. Big database for (d): ${f(k.tokens)} tokens, seeded in ${f(k.seededMs / 1000, 1)} s` +
      ` (${f(k.tokens / (k.seededMs / 1000))} tokens/s; then VACUUM ANALYZE ${f(k.vacuumMs / 1000, 1)} s).`,
    '',
    ...table(k),
    '',
    `- b/a, median of the ${k.rows[0]?.row.runs.length ?? 0} rounds' ratios: throughput ${f(r.throughputBA, 2)}, CPU per request ${f(r.cpuBA, 2)}×` +
      ` (from the totals above: ${f(r.totals.throughputBA, 2)} and ${f(r.totals.cpuBA, 2)}×)`,
    `- (b) over (a) taken apart, likewise (CPU per request, throughput): the token header alone (a′/a) ${part(r.parts.header)};` +
      ` (b)'s answer without the check (s/a) ${part(r.parts.answer)}, the best b/a that answer leaves;` +
      ` the check itself (b/s) ${part(r.parts.check)}`,
    `- d/b, likewise: throughput ${f(r.throughputDB, 2)}, CPU per request ${f(r.cpuDB, 2)}×` +
      ` (from the totals: ${f(r.totals.throughputDB, 2)} and ${f(r.totals.cpuDB, 2)}×)`,
    `- d/b with each against its own process's /healthz ((d/a(d)) / (b/a), per round): throughput ${f(r.ceilings.throughputDB, 2)},` +
      ` CPU per request ${f(r.ceilings.cpuDB, 2)}×; the two processes' /healthz differ by ${f(r.ceilings.ceilingDA, 2)}× (a(d)/a)`,
    `- p/b (10 permissions and 50 ranges against one permission and no rule), likewise: CPU per request ${f(r.cpuPB, 2)}×,` +
      ` throughput ${f(r.throughputPB, 2)} (from the totals: CPU ${f(r.totals.cpuPB, 2)}×)`,
    `- server RSS, peak during (d): ${mb(r.rssBig)}`,
  ];
  if (k.propagation) {
    const p = k.propagation;
    out.push(
      `- suspension through instance A honoured by instance B (n=${p.withListener.n}, listener connected): ` +
        `p50 ${f(p.withListener.p50, 1)} ms, p99 ${f(p.withListener.p99, 1)} ms, max ${f(p.withListener.max, 1)} ms`,
      `- the same with B running without its listener (n=${p.withoutListener.n}, cache lifetime 1 s): ` +
        `p50 ${f(p.withoutListener.p50)} ms, p99 ${f(p.withoutListener.p99)} ms, max ${f(p.withoutListener.max)} ms`,
      `- a request through B shown as last used by A's API (n=${p.lastUsed.n}): p50 ${f(p.lastUsed.p50)} ms, max ${f(p.lastUsed.max)} ms`,
    );
  }
  out.push(
    '',
    `Management list of one institution (${f(Math.min(k.tokens, 100_000))} tokens), 50 a page, timed at the client:`,
    '',
  );
  out.push('| order | first page p50 / p99 ms | following pages p50 / p99 ms |', '|---|---:|---:|');
  for (const l of k.list)
    out.push(
      `| ${l.order} | ${f(l.first.p50, 1)} / ${f(l.first.p99, 1)} | ${f(l.following.p50, 1)} / ${f(l.following.p99, 1)} |`,
    );
  return [...out, ''];
}

function targets(report: Report): string[] {
  const pg = report.kinds.find((k) => k.kind === 'postgres');
  const lines = ['## Targets', ''];
  for (const k of report.kinds) {
    const r = ratios(k);
    lines.push(
      `- ${k.kind}: CPU per authenticated request within 1.2× of /healthz: ${f(r.cpuBA, 2)}× — ${mark(r.cpuBA <= 1.2)}`,
      `- ${k.kind}: throughput b/a ≥ 0.85: ${f(r.throughputBA, 2)} — ${mark(r.throughputBA >= 0.85)}` +
        ` ((b)'s answer without any check, s/a: ${part(r.parts.answer)})`,
      `- ${k.kind}: (d) within 10% of (b), each against its own process's /healthz: throughput ${f(r.ceilings.throughputDB, 2)}, CPU ${f(r.ceilings.cpuDB, 2)}× — ${mark(r.ceilings.throughputDB >= 0.9 && r.ceilings.cpuDB <= 1.1)}` +
        ` (as measured, across processes: ${f(r.throughputDB, 2)} and ${f(r.cpuDB, 2)}×)`,
      `- ${k.kind}: (p), 10 permissions and 50 ranges, within 5% CPU per request of (b): ${f(r.cpuPB, 2)}× — ${mark(r.cpuPB <= 1.05)}`,
    );
  }
  if (pg) {
    const r = ratios(pg);
    const list = Math.max(...pg.list.flatMap((l) => [l.first.p50, l.following.p50]));
    lines.push(
      `- seeding ${f(pg.tokens)} tokens in under 2 minutes: ${f(pg.seededMs / 1000, 1)} s — ${mark(pg.seededMs < 120_000)}`,
    );
    if (pg.propagation) {
      const p = pg.propagation;
      lines.push(
        `- suspension honoured by the other instance within 100 ms p99 with the listener: ${f(p.withListener.p99, 1)} ms — ${mark(p.withListener.p99 < 100)}`,
        `- within 1 s without it: p99 ${f(p.withoutListener.p99)} ms, max ${f(p.withoutListener.max)} ms — ${mark(p.withoutListener.max <= 1000)}`,
        `- last use visible within 5 s: max ${f(p.lastUsed.max)} ms — ${mark(p.lastUsed.max < 5000)}`,
      );
    }
    lines.push(
      `- management list under 20 ms p50 (PostgreSQL, every order, first and following pages): worst p50 ${f(list, 1)} ms — ${mark(list < 20)}`,
      `- server RSS under 250 MB during the ${f(pg.tokens)}-token run on PostgreSQL: ${mb(r.rssBig)} — ${mark(r.rssBig < 250 * 1048576)}`,
    );
  }
  return [...lines, ''];
}

export function writeReport(path: string, report: Report): void {
  const o = report.options;
  const text = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts) from one run; rerun it to refresh this file. Settings are environment',
    'variables (bench/options.ts): `BENCH_DURATION`, `BENCH_ROUNDS`, `BENCH_CONNECTIONS`, `BENCH_TOKENS`,',
    '`BENCH_PGLITE_TOKENS`, `BENCH_TOKENS_IN_USE`, `BENCH_PROPAGATION_RUNS`, `BENCH_DATABASES`, `BENCH_SERVER_CPUS`,',
    '`BENCH_NODE_ARGS`, `DATABASE_URL`.',
    '',
    `Run ${report.startedAt}, ${f(report.minutes, 1)} minutes. Server: ${report.build}; a, b, p and b′ share one`,
    `process with a′ and s, c has its own, d and a(d) share a third; log level ${o.logLevel}, reminder sweep off. Load: autocannon in the bench process,`,
    `${o.connections} connections, ${o.rounds} rounds of ${o.durationS} s per configuration, interleaved`,
    `(a, a′, s, b, p, b′, c, d, a(d), then the next round in reverse), after a ${o.warmupS} s warm-up each; tokens sent as`,
    `\`Authorization: Bearer\`, cycling through ${o.inUse} distinct tokens (one prebuilt request each). (p) is (b) with`,
    `tokens of its own (as many) that hold 10 permissions and a network rule of 50 ranges, the load's address`,
    "(127.0.0.1) in the last, so every check consults the whole rule; (b)'s hold one permission and no rule. req/s",
    "and CPU in the tables are totals over the rounds, latencies the median round. CPU is the server process's",
    'own (process.cpuUsage, read from `tokend_process_cpu_microseconds` on /metrics before and after each',
    'run), so it does not depend on how much of the machine the load generator and the database take. The',
    "ratios the targets are judged by are the median of the rounds' ratios: the two runs of a ratio follow",
    "each other, so a slow spell of this shared machine cancels out instead of landing on one configuration's",
    `total.${process.env.BENCH_SERVER_CPUS ? ` Servers pinned to CPU ${process.env.BENCH_SERVER_CPUS} (BENCH_SERVER_CPUS).` : ''}`,
    '',
    'Machine:',
    '',
    ...report.machine.map((m) => `- ${m}`),
    '',
    ...report.kinds.flatMap(section),
    ...targets(report),
  ];
  // Sections other benchmarks write (`<!-- NAME: written by ... -->` to `<!-- /NAME -->`) are kept.
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const kept = [...before.matchAll(/<!-- (\w+): written by [\s\S]*?<!-- \/\1 -->/g)].map((m) => m[0]);
  writeFileSync(path, `${[...text, ...kept.flatMap((k) => [k, ''])].join('\n').trimEnd()}\n`);
}
