// Redocly CLI lints the document the app serves with its recommended rules (redocly.yaml): no errors.
// Its warnings are counted and printed; each one is a rule a client generator may trip on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { apiDocument } from '../../scripts/api-contract.js';

const CLI = join('node_modules', '@redocly', 'cli', 'bin', 'cli.js');

// What redocly's `--format=json` report holds that this test reads.
const Report = Type.Object({
  problems: Type.Array(
    Type.Object({
      ruleId: Type.String(),
      severity: Type.String(),
      message: Type.String(),
      location: Type.Array(Type.Object({ pointer: Type.String() })),
    }),
  ),
});

test('redocly lint (recommended rules) finds no error in the served document', async (t) => {
  const dir = join('test-results', `redocly-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'openapi.json');
  try {
    writeFileSync(file, JSON.stringify(await apiDocument(), null, 2));
    const run = spawnSync(
      process.execPath,
      [CLI, 'lint', file, '--config', 'redocly.yaml', '--format=json'],
      {
        encoding: 'utf8',
        // No telemetry and no update check: the test makes no call outside the machine.
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report: unknown = JSON.parse(run.stdout);
    if (!Value.Check(Report, report)) throw new Error(`redocly wrote no report: ${run.stdout}${run.stderr}`);
    const said = (severity: string) =>
      report.problems
        .filter((p) => p.severity === severity)
        .map((p) => `${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
    const [errors, warnings] = [said('error'), said('warn')];
    t.diagnostic(`redocly lint: ${errors.length} errors, ${warnings.length} warnings`);
    for (const w of warnings) console.log(`redocly warning: ${w}`);
    assert.deepEqual(errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
