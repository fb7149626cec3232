// The suite's runner (scripts/test.mjs): files outside the serial list run at the same time, the serial
// ones after them, and the final line sums both passes' TAP reports; any failure makes the exit non-zero,
// which CI reads. Each pass starts its longest files first, by the durations the last run recorded (new
// files before all). The fixtures are tiny test files in a temporary directory that prove the overlap.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');

// Each parallel fixture leaves a mark and waits for the other's: one at a time, the first would time out.
const meeting = (mine: string, theirs: string) => `
import { existsSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
const here = new URL('.', import.meta.url).pathname;
test('meets the other parallel file', async () => {
  writeFileSync(here + '${mine}', '');
  for (let i = 0; i < 150 && !existsSync(here + '${theirs}'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(here + '${theirs}')) throw new Error('ran alone');
});
test('skipped here', { skip: true }, () => {});
`;

const serial = `
import { existsSync } from 'node:fs';
import { test } from 'node:test';
const up = new URL('../..', import.meta.url).pathname;
test('runs after the parallel pass', () => {
  if (!existsSync(up + 'a.mark') || !existsSync(up + 'b.mark')) throw new Error('ran before it');
});
test('a failure is counted', () => {
  throw new Error('expected');
});
`;

test('parallel files overlap, serial ones follow, and the summary adds both passes up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokend-runner-'));
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'a.test.mjs'), meeting('a.mark', 'b.mark'));
    writeFileSync(join(dir, 'b.test.mjs'), meeting('b.mark', 'a.mark'));
    mkdirSync(join(dir, 'test', 'browser'), { recursive: true });
    writeFileSync(join(dir, 'test', 'browser', 'c.test.mjs'), serial);
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'scripts', 'test.mjs'),
        '--concurrency=2',
        'a.test.mjs',
        'b.test.mjs',
        'test/browser/c.test.mjs',
      ],
      // Without the outer runner's marker, or node would see a run nested in this test and skip it.
      { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
    );
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.at(-1), '3 passed, 1 failed, 2 skipped', run.stdout + run.stderr);
    assert.equal(run.status, 1);
    assert.ok(lines.includes('# parallel pass: 2 files, 2 at a time'), run.stdout);
    assert.ok(lines.includes('# serial pass: 1 files, 1 at a time'), run.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the longest files start first, new ones before them, and each run records the durations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokend-runner-'));
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const quick = `import { test } from 'node:test';\ntest('quick', () => {});\n`;
    for (const name of ['short', 'long', 'new']) writeFileSync(join(dir, `${name}.test.mjs`), quick);
    mkdirSync(join(dir, 'test-results'));
    const recorded = join(dir, 'test-results', 'durations.json');
    writeFileSync(recorded, JSON.stringify({ 'short.test.mjs': 1, 'long.test.mjs': 50, 'gone.test.mjs': 3 }));
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'scripts', 'test.mjs'),
        '--concurrency=1',
        'short.test.mjs',
        'long.test.mjs',
        'new.test.mjs',
      ],
      { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const done = run.stdout
      .split('\n')
      .map((l) => /^# ok (\S+) \d+\.\d s$/.exec(l)?.[1])
      .filter((f) => f !== undefined);
    assert.deepEqual(done, ['new.test.mjs', 'long.test.mjs', 'short.test.mjs'], run.stdout);
    const durations: unknown = JSON.parse(readFileSync(recorded, 'utf8'));
    assert.ok(typeof durations === 'object' && durations !== null);
    const seconds = Object.entries(durations);
    assert.deepEqual(seconds.map(([f]) => f).sort(), [
      'gone.test.mjs',
      'long.test.mjs',
      'new.test.mjs',
      'short.test.mjs',
    ]);
    for (const [file, s] of seconds)
      assert.ok(typeof s === 'number' && s >= 0 && s < 30, `${file}: ${String(s)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
