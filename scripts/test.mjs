// Runs every *.test.ts under src/ and test/ with node's built-in runner (through tsx) in two passes:
// most files in parallel (each file is its own process with its own databases), then, one at a time,
// the files that start servers or processes of their own or measure time, which a busy machine would
// make flaky. Each pass starts its longest files first (durations of the last run in
// test-results/durations.json, else the committed scripts/test-durations.json; a file neither knows
// starts before all of them), so no long file starts last and makes the tail alone. A file's report is
// printed whole when it ends, with its wall time. Ends with the plain summary line
// `N passed, N failed, N skipped` summed over every file's TAP report, and exits non-zero when any file
// failed. `--concurrency=N` sets the parallel pass's width (default: the machine's cores).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';

// Files that must not share the machine with other test files: spawned servers whose timings are
// asserted, timing-sensitive fault tests (cut connections, timeouts, refresh and drain timings) and the
// browser tests. A file that only starts servers and waits for them (setup.test.ts) runs in parallel.
const SERIAL = [
  `test${sep}browser${sep}`,
  'src/server-lifecycle.test.ts',
  'src/accounts/oidc.test.ts',
  'src/db/listener.test.ts',
  'src/http/security/fail-closed.test.ts',
  'src/http/security/redis-limiter.test.ts',
  'src/http/security/slow-client.test.ts',
  'src/tokens/hot-path.test.ts',
  'src/tokens/propagation.test.ts',
  'src/tokens/usage-drain.test.ts',
  'src/webhooks/delivery-processes.test.ts',
  'src/test-support/runner.test.ts',
  'gateway',
].map((p) => p.split('/').join(sep));

function find(dir) {
  let out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out = out.concat(find(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const width = Number(
  args.find((a) => a.startsWith('--concurrency='))?.split('=')[1] ?? availableParallelism(),
);
if (!Number.isInteger(width) || width < 1)
  throw new Error('--concurrency must be a whole number of at least 1');
const only = args.filter((a) => !a.startsWith('--'));
const files =
  only.length > 0
    ? only.map((f) => join(f))
    : ['src', 'test']
        .filter((d) => existsSync(d))
        .flatMap((d) => find(d))
        .sort();
const serial = (file) => SERIAL.some((p) => file.includes(p));

// Seconds per file, keyed with '/' so the committed list reads the same on every system.
const key = (file) => file.split(sep).join('/');
const readDurations = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {});
const committed = join(import.meta.dirname, 'test-durations.json');
const recordedPath = join('test-results', 'durations.json');
const known = { ...readDurations(committed), ...readDurations(recordedPath) };
// Longest first; files without a duration (new ones) before all, the larger first.
const longestFirst = (list) =>
  list
    .map((file) => ({ file, seconds: known[key(file)], size: statSync(file).size }))
    .sort((a, b) =>
      a.seconds === undefined || b.seconds === undefined
        ? (a.seconds === undefined ? 0 : 1) - (b.seconds === undefined ? 0 : 1) || b.size - a.size
        : b.seconds - a.seconds,
    )
    .map((f) => f.file);

mkdirSync(join('test-results', 'tap'), { recursive: true });
const passes = [
  { name: 'parallel', files: longestFirst(files.filter((f) => !serial(f))), concurrency: width },
  { name: 'serial', files: longestFirst(files.filter(serial)), concurrency: 1 },
].filter((p) => p.files.length > 0);

const counted = ['tests', 'pass', 'fail', 'skipped'];
const count = (report, name) => Number(report.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);

// The files' processes while they run: a runner told to stop (a CI timeout's SIGTERM) stops them too,
// rather than leaving them running on their own.
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    for (const child of running) child.kill(signal);
    process.exit(1);
  });

/** Runs one file in its own node process; resolves with its output, TAP counts and wall time. */
function runFile(file) {
  const tap = join('test-results', 'tap', `${key(file).replace(/[/\\]/g, '__')}.tap`);
  rmSync(tap, { force: true });
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      // PGlite's WebAssembly in its baseline tier only: a test process lives seconds, and compiling the
      // optimised tier cost more CPU than it saved (a file of HTTP tests: 6.96 s of CPU against 5.02 s).
      '--liftoff-only',
      '--import',
      'tsx',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      file,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = [];
  child.stdout.on('data', (d) => output.push(d));
  child.stderr.on('data', (d) => output.push(d));
  running.add(child);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      const report = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
      const counts = Object.fromEntries(counted.map((n) => [n, count(report, n)]));
      // A file that died (a load error, a crash) or ran no test counts as a failure of its own.
      const ok = code === 0 && counts.tests > 0;
      if (!ok && counts.fail === 0) counts.fail = 1;
      resolve({
        file,
        ok,
        code: code ?? signal,
        counts,
        report,
        output: Buffer.concat(output).toString(),
        seconds: (performance.now() - started) / 1000,
      });
    });
  });
}

const totals = { pass: 0, fail: 0, skipped: 0 };
const durations = { ...readDurations(recordedPath) };
let failed = false;
for (const pass of passes) {
  console.log(`# ${pass.name} pass: ${pass.files.length} files, ${pass.concurrency} at a time`);
  const started = performance.now();
  const queue = [...pass.files];
  const results = [];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const result = await runFile(file);
      process.stdout.write(result.output);
      console.log(
        `# ${result.ok ? 'ok' : 'FAILED'} ${key(file)} ${result.seconds.toFixed(1)} s${result.ok ? '' : ` (exit ${result.code})`}`,
      );
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(pass.concurrency, pass.files.length) }, worker));
  for (const r of results) {
    for (const name of Object.keys(totals)) totals[name] += r.counts[name];
    if (!r.ok) failed = true;
    durations[key(r.file)] = Number(r.seconds.toFixed(1));
  }
  writeFileSync(join('test-results', `report-${pass.name}.tap`), results.map((r) => r.report).join(''));
  console.log(`# ${pass.name} pass took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
writeFileSync(recordedPath, `${JSON.stringify(durations, null, 2)}\n`);
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failed ? 1 : 0);
