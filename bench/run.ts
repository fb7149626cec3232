// `npm run bench`: the hot path measured end to end, on PostgreSQL and on the embedded database. Seeds
// fresh databases, starts tokend processes, drives them with autocannon in interleaved rounds (among
// them (p), a token holding 10 permissions and 50 ranges, beside (b)'s plain one), measures
// cross-instance propagation and the management list, then writes BENCHMARKS.md. Not part of `npm test`.
import { execSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import * as live from '../src/test-support/live-server.js';
import { ADMIN, preparePglite, preparePostgres, type Prepared } from './databases.js';
import { listTimings } from './list.js';
import { combine, drive, type Load, type Run } from './load.js';
import { type BenchOptions, benchOptions } from './options.js';
import { lastUsedDelays, percentiles, suspensionDelays } from './propagation.js';
import { type KindReport, writeReport } from './report.js';
import { checkBuild, startTokend, type Tokend } from './server.js';

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');
const loadAtStart = load();

function machine(): string[] {
  const cpu = cpus();
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: the report says so.
  }
  return [
    `${type()} ${release()}, ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1073741824)} GB memory`,
    `Node ${process.version}; commit ${commit} (with uncommitted changes if any)`,
    'the load generator, every tokend process and the database share these cores',
    `load average (1 / 5 / 15 min) at the start: ${loadAtStart}; at the end: ${load()} (other work on the machine shows here)`,
  ];
}

interface Config {
  key: string;
  label: string;
  load: Load;
}

async function rounds(configs: Config[], o: BenchOptions, kind: string) {
  const runs = new Map<string, Run[]>(configs.map((c) => [c.key, []]));
  for (const c of configs) await drive(c.load, o.warmupS, o.connections);
  for (let round = 0; round < o.rounds; round++) {
    // Alternate the order so no configuration always runs right after the same neighbour.
    const order = round % 2 === 0 ? configs : [...configs].reverse();
    for (const c of order) {
      const run = await drive(c.load, o.durationS, o.connections);
      runs.get(c.key)?.push(run);
      log(
        `${kind} round ${round + 1} ${c.key}: ${Math.round(run.requests / run.seconds)} req/s, ${(run.cpuUs / run.requests).toFixed(1)} µs CPU/req`,
      );
    }
  }
  return configs.map((c) => ({ key: c.key, label: c.label, row: combine(runs.get(c.key) ?? []) }));
}

async function benchKind(kind: 'postgres' | 'pglite', o: BenchOptions): Promise<KindReport> {
  const tokens = kind === 'postgres' ? o.tokens : o.pgliteTokens;
  log(`${kind}: seeding ${tokens} tokens`);
  const seeding = { tokens, perInstitution: o.perInstitution, inUse: o.inUse };
  const db: Prepared =
    kind === 'postgres' ? await preparePostgres(o.postgresUrl, seeding) : await preparePglite(seeding);
  log(`${kind}: seeded in ${(db.seeded.ms / 1000).toFixed(1)} s`);
  const common = {
    TOKEND_ADMIN_EMAIL: ADMIN.email,
    TOKEND_ADMIN_PASSWORD: ADMIN.password,
    TOKEND_LOG_LEVEL: o.logLevel,
    TOKEND_REMINDER_INTERVAL: '0',
    TOKEND_AUTH_FAILURE_LIMIT: '1000000',
  };
  const servers: Tokend[] = [];
  const start = async (
    name: string,
    env: Record<string, string>,
    options: { withoutListener?: boolean; baseline?: boolean } = {},
  ) => {
    const server = await startTokend(name, { ...common, ...env }, options);
    servers.push(server);
    return server;
  };
  try {
    const cached = await start('cached', db.small, { baseline: true });
    const uncached = await start('uncached', { ...db.smallCopy, TOKEND_CACHE_TTL: '0' });
    const big = await start('big', db.big);
    const token = '/apis/v1/token';
    const rows = await rounds(
      [
        {
          key: 'a',
          label: 'GET /healthz, no token (the ceiling)',
          load: { server: cached, path: '/healthz', tokens: [] },
        },
        {
          key: 'a′',
          label: "GET /healthz sent with (b)'s token header, not checked",
          load: { server: cached, path: '/healthz', tokens: db.smallSecrets },
        },
        {
          key: 's',
          label: "(b)'s answer, same headers and body, without the check (bench-only route)",
          load: { server: cached, path: '/apis/v1/bench/answer', tokens: db.smallSecrets },
        },
        {
          key: 'b',
          label: `GET ${token}, cache on`,
          load: { server: cached, path: token, tokens: db.smallSecrets },
        },
        {
          // (b)'s check with a token that holds 10 permissions and a rule of 50 ranges, the client
          // inside the last: in (b)'s process, so the two compare within one process.
          key: 'p',
          label: `GET ${token}, cache on, tokens with 10 permissions and 50 ranges (the client in the last)`,
          load: { server: cached, path: token, tokens: db.restrictedSecrets },
        },
        {
          key: 'b′',
          label: 'GET /apis/v1/auth (forward auth), cache on',
          load: { server: cached, path: '/apis/v1/auth', tokens: db.smallSecrets },
        },
        {
          key: 'c',
          label: `GET ${token}, cache off (TOKEND_CACHE_TTL=0)`,
          load: { server: uncached, path: token, tokens: db.smallSecrets },
        },
        {
          key: 'd',
          label: `GET ${token}, cache on, ${tokens.toLocaleString('en-US')} tokens in the database`,
          load: { server: big, path: token, tokens: db.bigSecrets },
        },
        {
          // (d) runs in a process of its own, and processes of one build differ in speed: its own ceiling.
          key: 'a(d)',
          label: "GET /healthz on (d)'s server",
          load: { server: big, path: '/healthz', tokens: [] },
        },
      ],
      o,
      kind,
    );
    const report: KindReport = {
      kind,
      version: db.version,
      tokens,
      seededMs: db.seeded.ms,
      vacuumMs: db.seeded.vacuumMs,
      rows,
      list: [],
    };
    if (kind === 'postgres' && o.propagationRuns > 0) {
      log('postgres: propagation');
      const staff = await live.login(cached.url, ADMIN.email, ADMIN.password);
      const b = await start('B', db.small);
      const deaf = await start('B without listener', db.small, { withoutListener: true });
      report.propagation = {
        withListener: percentiles(await suspensionDelays(cached.url, b.url, staff, o.propagationRuns)),
        withoutListener: percentiles(
          await suspensionDelays(cached.url, deaf.url, staff, Math.min(o.propagationRuns, 30)),
        ),
        lastUsed: percentiles(await lastUsedDelays(cached.url, b.url, staff, 5)),
      };
    }
    log(`${kind}: management list`);
    report.list = await listTimings(await live.login(big.url, ADMIN.email, ADMIN.password), 30);
    return report;
  } finally {
    for (const s of servers) await s.stop();
    await db.drop();
  }
}

const o = benchOptions();
const build = checkBuild();
const started = Date.now();
const kinds: KindReport[] = [];
for (const kind of o.kinds) kinds.push(await benchKind(kind, o));
writeReport(o.output, {
  machine: machine(),
  build,
  options: o,
  startedAt: new Date(started).toISOString(),
  minutes: (Date.now() - started) / 60000,
  kinds,
});
log(`wrote ${o.output}`);
