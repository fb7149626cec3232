// `tokend institutions create|update --leak-response` (SPEC section 9) as an operator runs it: the policy
// is set, changed, shown in the list and in --json, and a value that is not a policy exits 2.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { jsonOf, tokendInProcess } from '../test-support/cli.js';
import { migratedDataDir } from '../test-support/harness.js';

const Policy = Type.Object({ slug: Type.String(), leakResponse: Type.String() });

describe('tokend institutions --leak-response', () => {
  // A data folder already migrated (a first start still makes its institution and administrator), and
  // the commands run through the CLI's entry in this process: what they print and exit with is the same.
  let dir = '';
  before(async () => {
    dir = await migratedDataDir('tokend-leak-cli-');
  });
  const run = (...args: string[]) =>
    tokendInProcess(args, { TOKEND_DATA_DIR: dir, TOKEND_ADMIN_PASSWORD: 'pw-123456789' });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('defaults to suspend; create and update set it; the list shows it; a bad value exits 2', async () => {
    const listed = await run('institutions', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      jsonOf(Type.Array(Policy), listed.stdout).map((i) => i.leakResponse),
      ['suspend'],
    );
    const made = await run(
      'institutions',
      'create',
      '--slug',
      'acme',
      '--name',
      'Acme',
      '--host',
      'acme.example.test',
      '--leak-response',
      'revoke',
      '--json',
    );
    assert.equal(made.code, 0, made.stderr);
    assert.equal(jsonOf(Policy, made.stdout).leakResponse, 'revoke');
    const changed = await run('institutions', 'update', 'acme', '--leak-response', 'notify');
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stdout, /leaks: +notify/);
    const bad = await run('institutions', 'update', 'acme', '--leak-response', 'delete');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--leak-response must be suspend, revoke, notify/);
    const shown = await run('institutions', 'list');
    assert.match(shown.stdout, /acme {2}Acme[\s\S]*leaks: +notify/);
  });
});
