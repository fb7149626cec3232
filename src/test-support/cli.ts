// Runs the real `tokend` command (bin/tokend.js) as a child process, as a shell user would, and reads
// what it prints: JSON from another process is untrusted, so it is checked against a schema, not cast.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tokend.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tokend(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // Decoded as a stream, so a character split across two chunks stays whole.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const orNull = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Institution = Type.Object({ hostnames: Type.Array(Type.String()) });
const Token = Type.Object({
  id: Type.String(),
  createdBy: orNull(Type.Object({ email: Type.String() })),
  stateReason: orNull(Type.String()),
  expiresAt: orNull(Type.String()),
  previousSecretValidUntil: orNull(Type.String()),
});

/**
 * The shapes of what the commands print with --json, as far as the tests read them: an answer may hold
 * more (where it matters, a test compares it whole).
 */
export const Printed = {
  Token,
  Created: Type.Object({ token: Token, secret: Type.String() }),
  Page: Type.Object({ items: Type.Array(Type.Object({ id: Type.String() })) }),
  Institution,
  Institutions: Type.Array(Institution),
  CreatedUser: Type.Object({ institution: Type.Object({ slug: Type.String() }) }),
  /** `reminders run --json`. */
  Report: Type.Object({
    dryRun: Type.Boolean(),
    sent: Type.Number(),
    skipped: Type.Number(),
    notices: Type.Array(Type.Object({ status: Type.String(), kind: Type.String() })),
  }),
};

/**
 * `value` (JSON from another process, a database row) checked against `schema`, or an error naming the
 * first mismatch and showing `shown`. It is returned as it came: nothing is cleaned or converted, so a
 * deepEqual on it still sees every field.
 */
export function parsed<T extends TSchema>(
  schema: T,
  value: unknown,
  shown = JSON.stringify(value),
): Static<T> {
  if (Value.Check(schema, value)) return value;
  const first = Value.Errors(schema, value).First();
  throw new Error(`unexpected value at ${first?.path || '/'} (${first?.message ?? 'mismatch'}): ${shown}`);
}

/** `text` (a command's stdout, a response body) parsed as JSON of `schema`'s shape. */
export function jsonOf<T extends TSchema>(schema: T, text: string): Static<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${text}`);
  }
  return parsed(schema, value, text);
}
