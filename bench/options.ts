// The benchmark's settings, all from the environment so a quick run and the full one share one command:
// BENCH_DURATION=3 BENCH_TOKENS=100000 npm run bench is a smoke run; plain `npm run bench` is the
// published one. Durations are seconds.
export interface BenchOptions {
  postgresUrl: string;
  kinds: ('postgres' | 'pglite')[];
  durationS: number;
  warmupS: number;
  rounds: number;
  connections: number;
  /** Tokens seeded for (d) on PostgreSQL, in institutions of `perInstitution`. */
  tokens: number;
  pgliteTokens: number;
  perInstitution: number;
  /** Distinct tokens the load cycles through (an instance serving many integrations at once). */
  inUse: number;
  propagationRuns: number;
  logLevel: string;
  output: string;
}

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

export function benchOptions(): BenchOptions {
  const kinds = (process.env.BENCH_DATABASES ?? 'postgres,pglite')
    .split(',')
    .map((k) => k.trim())
    .filter((k): k is 'postgres' | 'pglite' => k === 'postgres' || k === 'pglite');
  return {
    postgresUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    kinds,
    durationS: num('BENCH_DURATION', 5),
    warmupS: num('BENCH_WARMUP', 3),
    rounds: Math.max(1, num('BENCH_ROUNDS', 7)),
    connections: Math.max(1, num('BENCH_CONNECTIONS', 32)),
    tokens: num('BENCH_TOKENS', 1_000_000),
    pgliteTokens: num('BENCH_PGLITE_TOKENS', 100_000),
    perInstitution: Math.max(1, num('BENCH_TOKENS_PER_INSTITUTION', 100_000)),
    inUse: Math.max(1, num('BENCH_TOKENS_IN_USE', 100)),
    propagationRuns: num('BENCH_PROPAGATION_RUNS', 100),
    logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
    output: process.env.BENCH_OUTPUT || 'BENCHMARKS.md',
  };
}
