// Runs every *.test.ts under src/ and test/ with node's built-in runner (through tsx), one file at a
// time: PGlite is single-threaded and the browser tests start servers of their own. Ends with the
// plain summary line `N passed, N failed` read from the runner's TAP report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  let out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out = out.concat(find(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const only = process.argv.slice(2);
const files =
  only.length > 0
    ? only
    : ['src', 'test']
        .filter((d) => existsSync(d))
        .flatMap((d) => find(d))
        .sort();
mkdirSync('test-results', { recursive: true });
const tap = join('test-results', 'report.tap');
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
const report = readFileSync(tap, 'utf8');
const count = (name) => Number(report.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
console.log(`${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
process.exit(result.status ?? 1);
