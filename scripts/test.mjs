// Runs every *.test.ts under src/ and test/ with node's built-in runner (through tsx) in two passes:
// most files in parallel (each file is its own process with its own databases), then, one at a time,
// the files that start servers or processes of their own or measure time, which a busy machine would
// make flaky. Ends with the plain summary line `N passed, N failed, N skipped` summed over both passes'
// TAP reports, and exits non-zero when either pass failed. `--concurrency=N` sets the parallel pass's
// width (default: the machine's cores).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, sep } from 'node:path';

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

mkdirSync('test-results', { recursive: true });
const passes = [
  { name: 'parallel', files: files.filter((f) => !serial(f)), concurrency: width },
  { name: 'serial', files: files.filter(serial), concurrency: 1 },
].filter((p) => p.files.length > 0);

const totals = { pass: 0, fail: 0, skipped: 0 };
let failed = false;
for (const pass of passes) {
  const tap = join('test-results', `report-${pass.name}.tap`);
  rmSync(tap, { force: true });
  console.log(`# ${pass.name} pass: ${pass.files.length} files, ${pass.concurrency} at a time`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${pass.concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...pass.files,
    ],
    { stdio: 'inherit' },
  );
  // A pass that died before writing its report, or ran no test at all, counts as failed.
  const report = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (name) => Number(report.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  for (const name of Object.keys(totals)) totals[name] += count(name);
  if (result.status !== 0 || count('tests') === 0) failed = true;
}
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failed ? 1 : 0);
