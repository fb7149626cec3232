// Starts tokend as its own process, as an operator does (`node bin/tokend.js serve`: the build in dist/
// when present, else the TypeScript source), and reads from it what the bench needs: /healthz to know
// it is up, /metrics for its CPU time and resident memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from '../src/test-support/live-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Tokend {
  name: string;
  url: string;
  /** CPU time (user + system, microseconds) and RSS (bytes) of the server process so far. */
  sample(): Promise<{ cpuUs: number; rss: number }>;
  stop(): Promise<void>;
}

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** A stale build would benchmark yesterday's code: refuse it. */
export function checkBuild(): string {
  const built = join(root, 'dist', 'src', 'cli.js');
  if (!existsSync(built)) return 'TypeScript source through tsx (no dist/ build)';
  if (statSync(built).mtimeMs < newest(join(root, 'src')) - 1000)
    throw new Error('dist/ is older than src/: run `npm run build` (or remove dist/) before `npm run bench`');
  return 'the build in dist/';
}

export async function startTokend(
  name: string,
  env: Record<string, string>,
  options: { withoutListener?: boolean; baseline?: boolean } = {},
): Promise<Tokend> {
  const port = await freePort();
  // The bench's own entry, for what `tokend serve` does not do (bench/tokend-bench.ts); same build.
  const own = {
    ...(options.withoutListener ? { BENCH_NO_LISTENER: '1' } : {}),
    ...(options.baseline ? { BENCH_BASELINE: '1' } : {}),
  };
  const args =
    Object.keys(own).length > 0
      ? ['--import', 'tsx', join(root, 'bench', 'tokend-bench.ts')]
      : [join(root, 'bin', 'tokend.js'), 'serve'];
  // BENCH_NODE_ARGS passes flags to the servers' node, e.g. `--cpu-prof --cpu-prof-dir=prof` to profile.
  const flags = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_SERVER_CPUS pins the servers to cores (taskset), apart from the load generator.
  const cpus = process.env.BENCH_SERVER_CPUS;
  const command = cpus ? ['taskset', '-c', cpus, process.execPath] : [process.execPath];
  const child = spawn(command[0] as string, [...command.slice(1), ...flags, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
      ...own,
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    `${name} to start`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    120_000,
    100,
  );
  return { name, url, sample: () => sample(url), stop: () => stop(child) };
}

async function sample(url: string): Promise<{ cpuUs: number; rss: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const gauge = (metric: string) => Number(new RegExp(`^${metric} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { cpuUs: gauge('tokend_process_cpu_microseconds'), rss: gauge('tokend_process_rss_bytes') };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
