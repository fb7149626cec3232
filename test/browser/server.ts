// Starts tokend as a black box for the browser tests: `node bin/tokend.js serve` on a fresh embedded
// database, waiting for its "tokend listening" log line; runs CLI commands on the same data folder
// (before `serve`: the embedded database belongs to one process); builds the page when it is missing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type DbKind, freshDb } from '../../src/test-support/fresh-db.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repoRoot, 'bin', 'tokend.js');

export function buildPageIfMissing(): void {
  if (existsSync(join(repoRoot, 'web', 'dist', 'index.html'))) return;
  const build = spawnSync('npx', ['vite', 'build', 'web'], { cwd: repoRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
}

/** Runs `tokend ARGS...` to completion, with `input` on stdin; throws with its output if it fails. */
export function runCli(args: string[], env: Record<string, string>, input = ''): string {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0)
    throw new Error(`tokend ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

export interface RunningServer {
  url: string;
  stop: () => Promise<void>;
}

export async function startServer(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningServer> {
  const child = spawn(process.execPath, [bin, 'serve'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TOKEND_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not log "tokend listening" in time'), timeoutMs);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`tokend serve ${why}:\n${output.join('')}`));
    }
    const early = (code: number | null) => fail(`exited with ${code}`);
    child.once('exit', early);
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(`${line}\n`);
      const entry = parseJson(line);
      if (entry?.msg === 'tokend listening' && typeof entry.url === 'string') {
        clearTimeout(timer);
        child.off('exit', early);
        resolve(entry.url);
      }
    });
  });
  return { url, stop: () => stop(child) };
}

/**
 * `serve` for one browser test file on `kind`: a data folder of its own (and on PostgreSQL a fresh
 * database), `admin` as the first administrator, `env` besides; `prepare` runs CLI commands first (the
 * embedded database belongs to one process). stop() also removes the folder and drops the database.
 */
export async function startPageServer(
  kind: DbKind,
  prefix: string,
  admin: { email: string; password: string },
  extra: Record<string, string> = {},
  prepare: (env: Record<string, string>) => void = () => {},
): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const env: Record<string, string> = {
    TOKEND_DATA_DIR: dataDir,
    TOKEND_ADMIN_EMAIL: admin.email,
    TOKEND_ADMIN_PASSWORD: admin.password,
    ...extra,
  };
  const db = kind === 'postgres' ? await freshDb('postgres') : null;
  const removeAll = async () => {
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (db) {
      if (!db.url) throw new Error('a PostgreSQL test database has a url');
      env.DATABASE_URL = db.url;
    }
    prepare(env);
    const server = await startServer(env);
    return {
      url: server.url,
      stop: async () => {
        await server.stop();
        await removeAll();
      },
    };
  } catch (error) {
    await removeAll();
    throw error;
  }
}

/** A log line's JSON object, or null: the child's output is read, not trusted to be JSON. */
function parseJson(line: string): { msg?: unknown; url?: unknown } | null {
  try {
    const entry: unknown = JSON.parse(line);
    return typeof entry === 'object' && entry !== null ? entry : null;
  } catch {
    return null;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
