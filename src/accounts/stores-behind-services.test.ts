// Issue 15's layering for accounts and files, read from the sources: HTTP routes, session auth, the CLI
// and setup reach the stores only through services; the file route leaves ids, the clock and pagination
// to the file service; the account, file and token stores map rows through typed row interfaces, with
// no per-field casts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(src, path), 'utf8');
const sources = (dir: string) =>
  readdirSync(join(src, dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => `${dir}/${f}`);
// The code without its comments: a comment may say "as" in prose.
const code = (text: string) =>
  text
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*\*|\*)/.test(line))
    .join('\n');

test('routes, session auth, the CLI and setup import no store', () => {
  const callers = [
    ...sources('http/routes'),
    'http/session-auth.ts',
    ...sources('cli'),
    'cli.ts',
    'setup.ts',
  ];
  const reaching = callers.flatMap((path) =>
    [...read(path).matchAll(/from '([^']*\/store\.js)'/g)].map((m) => `${path} -> ${m[1]}`),
  );
  assert.deepEqual(reaching, []);
});

test('the file route picks no id, reads no clock and pages nothing itself', () => {
  // Without its string literals too: the document names the operation 'listFiles'.
  const route = code(read('http/routes/files.ts')).replace(/'[^'\n]*'/g, "''");
  const found = [
    'randomUUID',
    'clock',
    'pageOf',
    'decodeCursor',
    'insertFile',
    'listFiles',
    'findFile',
  ].filter((name) => route.includes(name));
  assert.deepEqual(found, []);
});

test('the account, file and token stores cast no row field', () => {
  const stores = [
    'accounts/store.ts',
    'files/store.ts',
    ...sources('tokens').filter((f) => /store\.ts$/.test(f)),
  ];
  assert.ok(stores.length >= 8, stores.join(', '));
  const casts = stores.flatMap((path) =>
    code(read(path))
      .split('\n')
      .filter((line) => /\bas (string|number|boolean|Date|Uint8Array|User|TokenState|Record)\b/.test(line))
      .map((line) => `${path}: ${line.trim()}`),
  );
  assert.deepEqual(casts, []);
});
