// What `npm run build` compiles into dist/: tokend's own modules only. A test, test-support or bench
// file that a compiled module imports is compiled with it (tsconfig's exclude only trims the starting
// list), so the check reads the build's whole file list, imports followed, as tsc resolves it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function buildFiles(): string[] {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: root,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((file) => relative(root, file).split(sep).join('/'))
    .filter((file) => !file.split('/').includes('node_modules'));
}

test('the build compiles no test, test-support or bench file', () => {
  const files = buildFiles();
  // The list is the real one: the entry points are in it.
  for (const entry of ['src/main.ts', 'src/cli.ts', 'src/http/app.ts'])
    assert.ok(files.includes(entry), entry);
  const strays = files.filter(
    (file) =>
      !file.startsWith('src/') ||
      file.startsWith('src/test-support/') ||
      /\.test\.tsx?$/.test(file) ||
      /(^|\/)(bench|test|fixtures?)(\/|$)/.test(file) ||
      /(fixtures|tcp-proxy)\.ts$/.test(file),
  );
  assert.deepEqual(strays, []);
});
