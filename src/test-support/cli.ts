// Runs the real `tokend` command (bin/tokend.js) as a child process, as a shell user would, or the same
// entry (src/cli.ts `run`) in this process, and reads what it prints: JSON from another process is
// untrusted, so it is checked against a schema, not cast.
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { run } from '../cli.js';

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

/** What the running command has printed so far; unset outside a command run in this process. */
const printing = new AsyncLocalStorage<{ stdout: string; stderr: string }>();
let routed = false;

/**
 * Sends what this process writes to stdout or stderr from inside a command's run to that command's
 * output, everything else (the test runner's reports) on to the real stream. Keyed by the async
 * context rather than by time, so a report written while a command runs is never taken for its output.
 */
function routeOutput(): void {
  if (routed) return;
  routed = true;
  for (const key of ['stdout', 'stderr'] as const) {
    const stream = process[key];
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      const output = printing.getStore();
      if (!output) return write(chunk, ...rest);
      output[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      rest.find((r): r is () => void => typeof r === 'function')?.();
      return true;
    };
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * `tokend args` run in this process through the CLI's own entry, with `env` as the whole environment
 * the child would get: the same parsing, services, output and exit code, without a new process (node,
 * the modules) per command. Runs one at a time, since the environment is this process's. Commands that
 * read stdin, and anything about processes (the data folder's lock, two commands at once), take the
 * child (`tokend`).
 */
export function tokendInProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  routeOutput();
  const next = queue.then(async () => {
    const saved = process.env;
    const exits = new Set(process.listeners('exit'));
    process.env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env };
    const output = { stdout: '', stderr: '' };
    try {
      const code = await printing.run(output, () => run([process.execPath, BIN, ...args]));
      return { code, ...output };
    } finally {
      process.env = saved;
      // The data folder's lock adds an exit listener per open and has released it by now: without
      // this they would pile up over a file's commands (and warn past ten).
      for (const listener of process.listeners('exit'))
        if (!exits.has(listener)) process.off('exit', listener);
    }
  });
  queue = next.catch(() => {});
  return next;
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
