// `tokend tokens bulk suspend|reactivate|revoke` as an operator runs it, on the embedded database and
// (with TEST_DATABASE_URL) on PostgreSQL: by the list's filters or by --id, a dry run, --json printing
// the API's answer, exit 2 for bad input, and the progress bar when stderr is a terminal.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Db } from '../db/db.js';
import { BulkAnswerSchema } from '../http/bulk-schemas.js';
import { CreatedSchema, TokenPage } from '../test-support/answers.js';
import { BIN, jsonOf, tokendInProcess } from '../test-support/cli.js';
import { databaseKinds, freshDb, migratedDataDir } from '../test-support/harness.js';

const ADMIN = 'admin@example.test';

for (const kind of databaseKinds()) {
  describe(`tokend tokens bulk (${kind})`, () => {
    const env: Record<string, string> = {
      TOKEND_ADMIN_EMAIL: ADMIN,
      TOKEND_ADMIN_PASSWORD: 'admin-password-123',
    };
    let db: Db | null = null;
    let dir: string | null = null;
    const run = (...args: string[]) => tokendInProcess(args, env);
    const ok = async (...args: string[]) => {
      const r = await run(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const bulk = async (...args: string[]) =>
      jsonOf(BulkAnswerSchema, await ok('tokens', 'bulk', ...args, '--by', ADMIN, '--json'));
    const create = async (...args: string[]) =>
      jsonOf(CreatedSchema, await ok('tokens', 'create', '--by', ADMIN, '--json', ...args)).token;
    const states = async (...args: string[]) =>
      jsonOf(TokenPage, await ok('tokens', 'list', '--json', '--limit', '100', ...args)).items.map((t) => [
        t.name,
        t.state,
        t.stateReason,
      ]);

    before(async () => {
      if (kind === 'postgres') {
        db = await freshDb(kind);
        env.DATABASE_URL = 'url' in db && typeof db.url === 'string' ? db.url : '';
      } else {
        dir = await migratedDataDir('tokend-tokens-bulk-');
        env.TOKEND_DATA_DIR = dir;
      }
    });
    after(async () => {
      await db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('by the list’s filters, by --id, and a dry run; --json prints the API’s answer, text otherwise', async () => {
      for (const n of [1, 2, 3]) await create('--name', `Laptop ${n}`, '--issued-for', 'Laptop 42');
      const other = await create('--name', 'Payroll', '--issued-for', 'payroll');
      const dry = await bulk('suspend', '--issued-for', 'laptop 42', '--state', 'active', '--dry-run');
      assert.deepEqual(dry, { matched: 3, changed: 0, refused: [] });
      assert.deepEqual(await states('--state', 'suspended'), []);
      const done = await bulk('suspend', '--issued-for=laptop 42', '--state', 'active', '--reason', 'stolen');
      assert.deepEqual(done, { matched: 3, changed: 3, refused: [] });
      assert.deepEqual(await states('--state', 'suspended'), [
        ['Laptop 3', 'suspended', 'stolen'],
        ['Laptop 2', 'suspended', 'stolen'],
        ['Laptop 1', 'suspended', 'stolen'],
      ]);
      // By ids: revoke is from suspended only, so the active one is refused and the others revoked.
      const suspended = jsonOf(TokenPage, await ok('tokens', 'list', '--json', '--state', 'suspended')).items;
      const ids = suspended.slice(0, 2).map((t) => t.id);
      const text = await ok(
        'tokens',
        'bulk',
        'revoke',
        '--id',
        ids[0]!,
        '--id',
        ids[1]!,
        '--id',
        other.id,
        '--by',
        ADMIN,
      );
      assert.equal(text, `matched 3, changed 2, refused 1\n  ${other.id}  invalid_transition\n`);
      assert.deepEqual((await states('--state', 'revoked')).length, 2);
      assert.deepEqual(await bulk('reactivate', '--compromised', '--dry-run'), {
        matched: 0,
        changed: 0,
        refused: [],
      });
    });

    test('bad input exits 2 naming what is wrong, and changes nothing', async () => {
      const token = await create('--name', 'Untouched');
      const refused = async (pattern: RegExp, ...args: string[]) => {
        const r = await run('tokens', 'bulk', ...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, pattern);
        assert.equal(r.stdout, '');
      };
      await refused(/suspend, reactivate or revoke/, 'delete', '--id', token.id, '--by', ADMIN);
      await refused(
        /exactly one of ids and filter|not both/,
        'suspend',
        '--id',
        token.id,
        '--state',
        'active',
        '--by',
        ADMIN,
      );
      await refused(/\(filter\.colour\)/, 'suspend', '--colour', 'red', '--by', ADMIN);
      await refused(/\(filter\.state\)/, 'suspend', '--state', 'gone', '--by', ADMIN);
      await refused(/\(ids\)/, 'suspend', '--id', 'not-an-id', '--by', ADMIN);
      await refused(/--by/, 'suspend', '--state', 'active', '--by', 'nobody@example.test');
      await refused(/unexpected argument/, 'suspend', 'active', '--by', ADMIN);
      const [shown] = jsonOf(TokenPage, await ok('tokens', 'list', '--json', '--q', 'Untouched')).items;
      assert.equal(shown?.state, 'active');
    });

    test('on a terminal, a progress bar on stderr', async () => {
      await create('--name', 'Progress');
      // `script` gives the command a pseudo-terminal; it prints both streams there.
      const command = [process.execPath, BIN, 'tokens', 'bulk', 'suspend', '--q', 'Progress', '--by', ADMIN]
        .map((a) => `'${a}'`)
        .join(' ');
      const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      });
      assert.match(stdout, /\[#{30}\] 1\/1\r?\n/);
      assert.match(stdout, /matched 1, changed 1, refused 0/);
    });
  });
}
