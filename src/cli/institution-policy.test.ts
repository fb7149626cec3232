// `tokend institutions create|update` with the query-token and inactivity policies (SPEC 11 and 12) as an
// operator runs them: the defaults, setting and clearing each, and an out-of-range day count refused.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { jsonOf, tokendInProcess } from '../test-support/cli.js';
import { migratedDataDir } from '../test-support/harness.js';

const Policy = Type.Object({
  slug: Type.String(),
  allowQueryToken: Type.Boolean(),
  suspendUnusedAfterDays: Type.Union([Type.Integer(), Type.Null()]),
});

describe('tokend institutions: query-token and inactivity policies', () => {
  // A data folder already migrated (a first start still makes its institution and administrator), and
  // the commands run through the CLI's entry in this process: what they print and exit with is the same.
  let dir = '';
  before(async () => {
    dir = await migratedDataDir('tokend-policy-cli-');
  });
  const run = (...args: string[]) =>
    tokendInProcess(args, { TOKEND_DATA_DIR: dir, TOKEND_ADMIN_PASSWORD: 'pw-123456789' });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('defaults allow ?token= and never suspend; create, update and clear set them', async () => {
    const listed = await run('institutions', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const [first] = jsonOf(Type.Array(Policy), listed.stdout);
    assert.deepEqual(first && [first.allowQueryToken, first.suspendUnusedAfterDays], [true, null]);

    const args = ['--slug', 'acme', '--name', 'Acme', '--host', 'acme.example.test'];
    const made = await run(
      'institutions',
      'create',
      ...args,
      '--no-allow-query-token',
      '--suspend-unused-after-days',
      '90',
      '--json',
    );
    assert.equal(made.code, 0, made.stderr);
    const policy = jsonOf(Policy, made.stdout);
    assert.deepEqual([policy.allowQueryToken, policy.suspendUnusedAfterDays], [false, 90]);

    const changed = await run('institutions', 'update', 'acme', '--allow-query-token', '--no-suspend-unused');
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stdout, /tokens: +\?token= allowed, never suspended for disuse/);
    const again = await run('institutions', 'update', 'acme', '--suspend-unused-after-days', '30', '--json');
    assert.equal(jsonOf(Policy, again.stdout).suspendUnusedAfterDays, 30);
    assert.equal(jsonOf(Policy, again.stdout).allowQueryToken, true);
  });

  test('a day count outside 30-730 is refused with the field', async () => {
    const short = await run('institutions', 'update', 'acme', '--suspend-unused-after-days', '29');
    assert.equal(short.code, 2, short.stdout);
    assert.match(short.stderr, /30-730 days/);
    assert.match(short.stderr, /suspendUnusedAfterDays/);
    const listed = await run('institutions', 'list', '--json');
    const acme = jsonOf(Type.Array(Policy), listed.stdout).find((i) => i.slug === 'acme');
    assert.equal(acme?.suspendUnusedAfterDays, 30);
  });
});
