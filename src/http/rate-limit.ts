// Failure rate limits per client address (SPEC section 4): only failures count, so a valid token keeps
// working from a limited address. Fixed windows; in memory for one instance, in Redis when several
// instances must share the counters.
export interface FailureLimiter {
  /** Seconds until the key may fail again, or 0 while it has failed fewer than `limit` times. */
  retryAfter(key: string, limit: number): Promise<number>;
  /** Counts one failure. */
  fail(key: string): Promise<void>;
  close(): Promise<void>;
}

export function memoryLimiter(windowMs: number, now: () => number = Date.now): FailureLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string) => {
    const w = windows.get(key);
    return w && now() - w.start < windowMs ? w : null;
  };
  return {
    async retryAfter(key, limit) {
      const w = current(key);
      return w && w.count >= limit ? Math.max(1, Math.ceil((w.start + windowMs - now()) / 1000)) : 0;
    },
    async fail(key) {
      const w = current(key);
      if (w) w.count++;
      else {
        // Bound memory under a spray of addresses: drop finished windows when the map grows.
        if (windows.size > 100_000)
          for (const [k, v] of windows) if (now() - v.start >= windowMs) windows.delete(k);
        windows.set(key, { start: now(), count: 1 });
      }
    },
    async close() {},
  };
}
