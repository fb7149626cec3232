// The architecture check as `npm run lint` runs it: dependency-cruiser with .dependency-cruiser.cjs.
// First the tree itself must pass; then a small tree seeded with one forbidden import per rule shows
// that each rule refuses its arrow (and that the arrows ARCHITECTURE.md allows still pass).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** Runs depcruise from the project's own bin folder, as npm scripts do. */
function depcruise(cwd: string, args: string[]) {
  const path = [join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter);
  const run = spawnSync('depcruise', ['--config', CONFIG, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: path, HOME: process.env.HOME ?? '/tmp' },
  });
  assert.equal(run.error, undefined, `depcruise did not start: ${String(run.error)}`);
  return run;
}

test('the tree keeps the architecture: the lint finds no forbidden import and no cycle', () => {
  const run = depcruise(ROOT, ['src', 'web/src', 'bench', 'test']);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /no dependency violations found/);
});

// One file per entry: its path, then its body. Each forbidden import is the only thing in its file
// that breaks a rule, so the list below names one rule per seeded arrow (the core's store import breaks
// both of the core's rules; a cycle is reported once, at the edge that closes it).
const SEEDED: Record<string, string> = {
  'src/tokens/lifecycle.ts': "import { row } from './store.js';\nexport const a = row;\n",
  'src/tokens/token.ts': "import fastify from 'fastify';\nexport const b = fastify;\n",
  'src/tokens/store.ts': "import type { Db } from '../db/db.js';\nexport const row = (db: Db) => db;\n",
  'src/db/db.ts': 'export type Db = { query(sql: string): void };\n',
  'src/files/store.ts': "import { serve } from '../http/app.js';\nexport const c = serve;\n",
  'src/tokens/service.ts':
    "import { serve } from '../http/app.js';\nimport { row } from './store.js';\nexport const d = [serve, row];\n",
  'src/accounts/store.ts': 'export type User = { id: string };\nexport const findUser = () => null;\n',
  'src/http/app.ts': "import { print } from '../cli/print.js';\nexport const serve = print;\n",
  'src/http/routes/session.ts':
    "import { findUser } from '../../accounts/store.js';\nexport const e = findUser;\n",
  'src/http/routes/health.ts':
    "import type { User } from '../../accounts/store.js';\nimport { d } from '../../tokens/service.js';\nimport { e } from './session.js';\nexport const f = (u: User) => [u, d, e];\n",
  'src/cli/print.ts': "import { load } from '../../bench/run.js';\nexport const print = load;\n",
  'bench/run.ts': 'export const load = 1;\n',
  'src/services.ts': "import { fresh } from './test-support/harness.js';\nexport const g = fresh;\n",
  'src/test-support/harness.ts': "import { row } from '../tokens/store.js';\nexport const fresh = row;\n",
  'src/reminders/sweep.ts': "import { loop } from './loop.js';\nexport const sweep = () => loop;\n",
  'src/reminders/loop.ts': "import { sweep } from './sweep.js';\nexport const loop = () => sweep;\n",
  'src/reminders/schedule.ts': "export type NoticeKind = 'expired';\n",
  'src/mail/mailer.ts':
    "import type { NoticeKind } from '../reminders/schedule.js';\nexport type M = NoticeKind;\n",
  'src/reminders/notice.ts': "import { gone } from './missing.js';\nexport const h = gone;\n",
  'web/src/api.ts': "import { b } from '../../src/tokens/token.js';\nexport const i = b;\n",
  'web/src/types.ts':
    "import type { Token } from '../../src/http/generated/api.js';\nexport type T = Token;\n",
  'src/http/generated/api.ts': 'export type Token = { id: string };\n',
  'node_modules/fastify/package.json': '{ "name": "fastify", "main": "index.js" }\n',
  'node_modules/fastify/index.js': 'module.exports = {};\n',
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
    include: ['src', 'web/src', 'bench'],
  }),
};

test('each rule refuses its arrow, and the allowed arrows pass', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tokend-arch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [path, body] of Object.entries(SEEDED)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), body);
  }
  const run = depcruise(dir, ['--output-type', 'json', 'src', 'web/src', 'bench']);
  const result = JSON.parse(run.stdout) as {
    summary: { violations: { from: string; to: string; rule: { name: string } }[] };
  };
  const found = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
  assert.deepEqual(found, [
    'core-imports-core: src/tokens/lifecycle.ts → src/tokens/store.ts',
    'core-is-pure: src/tokens/lifecycle.ts → src/tokens/store.ts',
    'core-is-pure: src/tokens/token.ts → node_modules/fastify/index.js',
    'http-cli-through-services: src/http/routes/session.ts → src/accounts/store.ts',
    'http-not-cli: src/http/app.ts → src/cli/print.ts',
    'mail-is-transport: src/mail/mailer.ts → src/reminders/schedule.ts',
    'no-circular: src/reminders/loop.ts → src/reminders/sweep.ts',
    'not-to-unresolvable: src/reminders/notice.ts → ./missing.js',
    'production-no-test-code: src/cli/print.ts → bench/run.ts',
    'production-no-test-code: src/services.ts → src/test-support/harness.ts',
    'routes-independent: src/http/routes/health.ts → src/http/routes/session.ts',
    'services-no-http: src/tokens/service.ts → src/http/app.ts',
    'stores-below-services: src/files/store.ts → src/http/app.ts',
    'web-only-api-types: web/src/api.ts → src/tokens/token.ts',
  ]);
});
