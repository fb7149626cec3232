// `tokend scan` as a user and a CI job run it: the real command in a child process over real folders, a
// real git history on standard input and a recording HTTP server for --report. It needs no database:
// the data folder it is given stays empty and a PostgreSQL URL that answers nothing is never dialled.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { REPORT_BATCH } from '../leaks/report-client.js';
import { BIN, type CliResult, parsed, tokend, tokendInProcess } from '../test-support/cli.js';
import { displayToken, generateToken } from '../tokens/token.js';

const root = mkdtempSync(join(tmpdir(), 'tokend-scan-'));
const dataDir = join(root, 'data');
const env = { TOKEND_DATA_DIR: dataDir, DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' };
const LEAKED = generateToken('CRM sync').token;
const IN_GIT = generateToken('Admin tools').token;
const IGNORED = generateToken('ignored').token;

// In this process (src/test-support/cli.ts), but a child process where standard input is the point.
const scan = (args: string[], stdin?: string): Promise<CliResult> =>
  stdin === undefined ? tokendInProcess(['scan', ...args], env) : tokend(['scan', ...args], env, stdin);

/** Nothing of any secret but what its display form shows. */
function assertNoSecret(r: CliResult, ...tokens: string[]) {
  for (const token of tokens) {
    for (const part of [token, token.slice(14, -3), token.slice(-12, -3), token.slice(-10)]) {
      assert.ok(!r.stdout.includes(part), `stdout shows a secret: ${r.stdout}`);
      assert.ok(!r.stderr.includes(part), `stderr shows a secret: ${r.stderr}`);
    }
  }
}

function tree(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const Finding = Type.Object(
  { path: Type.String(), line: Type.Number(), column: Type.Number(), display: Type.String() },
  { additionalProperties: false },
);

before(() => mkdirSync(dataDir));
after(() => {
  assert.deepEqual(readdirSync(dataDir), [], 'scan opened no database');
  rmSync(root, { recursive: true, force: true });
});

describe('tokend scan over folders', () => {
  const dir = tree('project', {
    'README.md': '# nothing here\nsk-not-a-token\n',
    'src/config/deep/settings.env': `A=1\r\nCRM_TOKEN="${LEAKED}"\r\n`,
    'src/other.ts': `// another vendor's key: sk-proj-${'Ab1'.repeat(16)}x\n`,
    '.git/config': `${IGNORED}\n`,
    'node_modules/pkg/index.js': `${IGNORED}\n`,
    'src/vendor/node_modules/x.js': `${IGNORED}\n`,
  });
  // What the scan reads: everything outside .git and node_modules.
  const bytes = ['README.md', 'src/config/deep/settings.env', 'src/other.ts']
    .map((f) => statSync(join(dir, f)).size)
    .reduce((a, b) => a + b);
  const clean = tree('clean', { 'a.txt': 'hello\n', 'b/c.txt': `sk-${'x'.repeat(49)}\n` });

  test('finds a token in a nested file, prints where and its display form, exits 1', async () => {
    const r = await scan([dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stdout,
      `${dir}/src/config/deep/settings.env:2:12 ${displayToken(LEAKED)}\n1 token found in 1 of 3 files (${bytes} bytes)\n`,
    );
    assert.match(r.stderr, /^error: rotate every token found/);
    assertNoSecret(r, LEAKED, IGNORED);
  });

  test('a clean tree exits 0 and prints nothing on stderr (no progress off a terminal)', async () => {
    const r = await scan([clean]);
    assert.deepEqual(r, { code: 0, stdout: 'no tokens found in 2 files (59 bytes)\n', stderr: '' });
  });

  test('.git and node_modules are skipped unless named', async () => {
    const r = await scan([join(dir, 'node_modules'), join(dir, '.git/config'), join(dir, 'src')]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, -1), [
      `${dir}/node_modules/pkg/index.js:1:1 ${displayToken(IGNORED)}`,
      `${dir}/.git/config:1:1 ${displayToken(IGNORED)}`,
      `${dir}/src/config/deep/settings.env:2:12 ${displayToken(LEAKED)}`,
    ]);
    assertNoSecret(r, LEAKED, IGNORED);
  });

  test('--json prints one object per finding, without the secret', async () => {
    const r = await scan(['--json', dir, join(dir, 'node_modules')]);
    assert.equal(r.code, 1);
    const found = r.stdout
      .trim()
      .split('\n')
      .map((line) => parsed(Finding, JSON.parse(line)));
    assert.deepEqual(found, [
      { path: `${dir}/src/config/deep/settings.env`, line: 2, column: 12, display: displayToken(LEAKED) },
      { path: `${dir}/node_modules/pkg/index.js`, line: 1, column: 1, display: displayToken(IGNORED) },
    ]);
    assert.match(r.stderr, /^2 tokens found in 2 of 4 files/);
    assertNoSecret(r, LEAKED, IGNORED);
  });

  test('an unreadable or missing path exits 2 naming it; the rest is still scanned', async () => {
    symlinkSync(join(root, 'nowhere'), join(clean, 'dangling'));
    try {
      const r = await scan([join(clean, 'missing.txt'), clean, join(clean, 'dangling')]);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(`cannot read ${clean}/missing.txt: no such file or folder\n`), r.stderr);
      assert.ok(r.stderr.includes(`cannot read ${clean}/dangling: no such file or folder\n`), r.stderr);
      assert.match(r.stderr, /^error: 2 paths could not be read/m);
      assert.match(r.stdout, /^no tokens found in 2 files/);
    } finally {
      rmSync(join(clean, 'dangling'));
    }
  });
});

describe('tokend scan of git log -p on standard input', () => {
  test('finds the token a commit added and the one that removed it, at path -', async () => {
    const repo = join(root, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], {
        cwd: repo,
        env: { PATH: process.env.PATH ?? '', HOME: root, GIT_CONFIG_NOSYSTEM: '1' },
        encoding: 'utf8',
      });
    git('init', '-q');
    writeFileSync(join(repo, 'deploy.sh'), `#!/bin/sh\ncurl -H "Authorization: Bearer ${IN_GIT}" x\n`);
    git('add', '.');
    git('commit', '-qm', 'add deploy script');
    writeFileSync(join(repo, 'deploy.sh'), '#!/bin/sh\ncurl -H "Authorization: Bearer $TOKEN" x\n');
    git('commit', '-qam', 'take the token out');
    const log = git('log', '-p');

    const r = await scan(['-'], log);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    const at = (marker: string) =>
      log.split('\n').findIndex((l) => l.startsWith(marker) && l.includes(IN_GIT));
    // The removal is the newer commit, so it comes first in the log.
    assert.equal(
      lines[0],
      `-:${at('-curl') + 1}:${'-curl -H "Authorization: Bearer '.length + 1} ${displayToken(IN_GIT)}`,
    );
    assert.equal(
      lines[1],
      `-:${at('+curl') + 1}:${'+curl -H "Authorization: Bearer '.length + 1} ${displayToken(IN_GIT)}`,
    );
    assert.match(lines[2]!, /^2 tokens found in 1 of 1 file \(/);
    assertNoSecret(r, IN_GIT);
  });
});

describe('tokend scan --report', () => {
  // The route itself comes with the server side of leak reports; its own test sends this command's
  // reports to a real tokend. Here a recording server checks the body shape SPEC 9 gives.
  let server: Server;
  let base: string;
  let answer = 202;
  const bodies: unknown[] = [];
  const Report = Type.Object(
    {
      tokens: Type.Array(Type.String(), { minItems: 1, maxItems: REPORT_BATCH }),
      url: Type.Optional(Type.String({ maxLength: 2000 })),
      source: Type.Optional(Type.String({ maxLength: 100 })),
    },
    { additionalProperties: false },
  );

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (text += d));
      req.on('end', () => {
        const ok =
          req.method === 'POST' &&
          req.url === '/apis/v1/leaks' &&
          /^application\/json/.test(req.headers['content-type'] ?? '');
        const body = parsed(Report, JSON.parse(text));
        bodies.push(body);
        const status = ok ? answer : 404;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            status === 202
              ? { received: body.tokens.length }
              : { error: 'invalid_request', message: 'tokens: at most 1000' },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('sends each token found once, in batches of 1,000, with --url and --source; still exits 1', async () => {
    bodies.length = 0;
    const many = Array.from({ length: REPORT_BATCH + 1 }, (_, i) => generateToken(`job ${i}`).token);
    const dir = tree('many', { 'dump.txt': `${many.join('\n')}\n${many[0]}\n` });
    const r = await scan([
      dir,
      '--report',
      `${base}/`,
      '--url',
      'https://ci.example.test/jobs/7',
      '--source',
      'ci',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^1002 tokens found in 1 of 1 file/m);
    assert.match(r.stderr, /^reported 1001 tokens to http:\/\/127\.0\.0\.1:\d+\/apis\/v1\/leaks$/m);
    assert.deepEqual(bodies, [
      { tokens: many.slice(0, REPORT_BATCH), url: 'https://ci.example.test/jobs/7', source: 'ci' },
      { tokens: many.slice(REPORT_BATCH), url: 'https://ci.example.test/jobs/7', source: 'ci' },
    ]);
    assertNoSecret(r, ...many.slice(0, 3));
  });

  test('nothing found sends nothing; without --url and --source the body has only tokens', async () => {
    bodies.length = 0;
    const clean = tree('clean-report', { 'a.txt': 'nothing\n' });
    assert.equal((await scan([clean, '--report', base])).code, 0);
    assert.deepEqual(bodies, []);
    const dir = tree('one', { 'a.txt': `${LEAKED}\n` });
    assert.equal((await scan([dir, '--report', base])).code, 1);
    assert.deepEqual(bodies, [{ tokens: [LEAKED] }]);
  });

  test('a refused report exits 2 and says why', async () => {
    answer = 400;
    try {
      const dir = tree('refused', { 'a.txt': `${LEAKED}\n` });
      const r = await scan([dir, '--report', base]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^error: http:\/\/127\.0\.0\.1:\d+\/apis\/v1\/leaks refused the report: 400 invalid_request: tokens: at most 1000$/m,
      );
      assertNoSecret(r, LEAKED);
    } finally {
      answer = 202;
    }
  });

  test('bad --report options exit 2 before anything is read or sent', async () => {
    bodies.length = 0;
    const dir = tree('bad-options', { 'a.txt': `${LEAKED}\n` });
    for (const [args, message] of [
      [['--report', 'not a url'], /--report must be tokend's base URL/],
      [['--report', 'http://tokend.example.test'], /--report must be an https:\/\/ URL/],
      [['--url', 'https://x.test'], /--url and --source go with --report/],
      [['--report', base, '--source', 'x'.repeat(101)], /--source must be at most 100 characters/],
    ] as const) {
      const r = await scan([dir, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    assert.deepEqual(bodies, []);
  });
});

test('on a terminal it shows files and bytes read on stderr, drawn over in place', (t) => {
  // `script` gives the command a terminal; without it (another OS) there is nothing to check.
  let out: string;
  try {
    const dir = tree('tty', { 'a.txt': 'hello\n' });
    out = execFileSync('script', ['-qefc', `"${process.execPath}" "${BIN}" scan`, '/dev/null'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: root, ...env },
      encoding: 'utf8',
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return t.skip('no script(1) here');
    throw error;
  }
  const ERASE = '\\r\\u001b\\[K'; // back to the line's start, erase it
  // Drawn at most every 100 ms: how far it got when drawn depends on the machine's speed.
  assert.match(
    out,
    new RegExp(`^${ERASE}scanning: [01] files?, [06] bytes read${ERASE}no tokens`),
    JSON.stringify(out),
  );
  assert.match(out, /no tokens found in 1 file \(6 bytes\)/);
});
