// Failure rate limits per client address and per login account (SPEC section 4): only failures count,
// so a valid token keeps working from a limited address. Fixed windows; in memory for one instance, in
// Redis when several instances must share the counters. A limiter never throws: when Redis cannot be
// reached or does not answer, calls fall back to this instance's own counters (limits stay enforced per
// instance) for a while without asking Redis again, and it says so once.
import { isIPv6 } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { failInRedis, forgiveInRedis, LIMIT_SCRIPTS, peekInRedis } from './rate-limit-scripts.js';

export interface FailureLimiter {
  /** Seconds until `key` may try again: > 0 once it has failed `limit` times in the current window. */
  retryAfter(key: string, limit: number): Promise<number>;
  /** Counts one failure; returns the seconds to wait if this one went past `limit`, else 0. */
  fail(key: string, limit: number): Promise<number>;
  /** Takes back one counted failure (a login counted before its password check, then succeeded). */
  forgive(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The address a limit applies to: an IPv6 client usually holds a whole /64, so its addresses share
 * one counter; IPv4 (also IPv4-mapped IPv6) is counted per address.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function memoryLimiter(
  windowMs: number,
  now: () => number = Date.now,
  maxKeys = 100_000,
): FailureLimiter {
  // One table per kind of counter (the key's prefix: `login:`, `account:`, `token:`), each with its own
  // bound: a spray of token failures must not evict the login counter that blocks an address.
  type Window = { start: number; count: number };
  const tables = new Map<string, Map<string, Window>>();
  const tableOf = (key: string) => {
    const kind = key.slice(0, Math.max(0, key.indexOf(':')));
    let table = tables.get(kind);
    if (!table) tables.set(kind, (table = new Map<string, Window>()));
    return table;
  };
  const current = (key: string) => {
    const w = tableOf(key).get(key);
    return w && now() - w.start < windowMs ? w : null;
  };
  const left = (w: { start: number }) => w.start + windowMs - now();
  // Bounds memory under a spray of addresses: finished windows go first, then the oldest (a Map keeps
  // insertion order), so a flood can only shorten other addresses' windows, never grow the heap. A window
  // is inserted when it starts, so the finished ones lead: the walk stops at the first that is not, or a
  // full table would cost each new address a walk over all of it.
  const makeRoom = (windows: Map<string, { start: number }>) => {
    if (windows.size < maxKeys) return;
    for (const [k, v] of windows) {
      if (now() - v.start < windowMs) break;
      windows.delete(k);
    }
    for (const k of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(k);
    }
  };
  // Nothing here waits: each answer is a resolved promise, the FailureLimiter's shape.
  return {
    retryAfter(key, limit) {
      const w = current(key);
      return Promise.resolve(w && w.count >= limit ? seconds(left(w)) : 0);
    },
    fail(key, limit) {
      let w = current(key);
      if (w) w.count++;
      else {
        const windows = tableOf(key);
        makeRoom(windows);
        w = { start: now(), count: 1 };
        windows.delete(key);
        windows.set(key, w);
      }
      return Promise.resolve(w.count > limit ? seconds(left(w)) : 0);
    },
    forgive(key) {
      const w = current(key);
      if (w && w.count > 0) w.count--;
      return Promise.resolve();
    },
    close() {
      tables.clear();
      return Promise.resolve();
    },
  };
}

export interface RedisLimiterOptions {
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Key prefix; tests use their own so runs never share counters. */
  prefix?: string;
  /** How long a Redis call may take before this instance answers from memory instead. */
  timeoutMs?: number;
  /** After a failed call, how long Redis is skipped (memory answers at once) before it is tried again. */
  breakMs?: number;
  now?: () => number;
}

/** Counters in Redis, shared by every instance that uses the same URL and prefix. */
export function redisLimiter(
  url: string,
  windowMs: number,
  options: RedisLimiterOptions = {},
): FailureLimiter & { readonly client: Redis } {
  const prefix = options.prefix ?? 'tokend:fail:';
  const timeout = options.timeoutMs ?? 250;
  const breakMs = options.breakMs ?? 10_000;
  const now = options.now ?? Date.now;
  const client = new Redis(url, {
    // Fail fast rather than queue: a request must not wait for Redis to come back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeout,
    connectTimeout: Math.max(timeout, 1000),
    retryStrategy: (times) => Math.min(times * 200, 2000),
    scripts: LIMIT_SCRIPTS,
  });
  const local = memoryLimiter(windowMs);
  let degraded = false;
  // The circuit breaker: a frozen Redis answers nothing, so each call would wait the whole timeout (a
  // login two of them). After one failure, calls go straight to memory until `openUntil`; then one call
  // at a time probes Redis while the others still answer from memory.
  let openUntil = 0;
  let probing = false;
  // ioredis reconnects by itself; the listener keeps its errors from surfacing as unhandled events. A
  // connection that is ready again has just answered, so the breaker need not wait out its time.
  client.on('error', () => {});
  client.on('ready', () => {
    openUntil = 0;
  });

  async function attempt<T>(remote: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (probing || now() < openUntil) return fallback();
    const probe = degraded;
    if (probe) probing = true;
    try {
      const value = await remote();
      if (degraded) options.logger?.info('Redis is reachable again: rate-limit counters are shared');
      degraded = false;
      openUntil = 0;
      return value;
    } catch (err) {
      if (!degraded)
        options.logger?.warn(
          { err },
          'Redis is unreachable: rate-limit counters fall back to this instance until it returns',
        );
      degraded = true;
      openUntil = now() + breakMs;
      return fallback();
    } finally {
      if (probe) probing = false;
    }
  }

  return {
    client,
    retryAfter: (key, limit) =>
      attempt(
        async () => {
          const { count, ttl } = await peekInRedis(client, prefix + key);
          return count >= limit && ttl > 0 ? seconds(ttl) : 0;
        },
        () => local.retryAfter(key, limit),
      ),
    fail: (key, limit) =>
      attempt(
        async () => {
          const { count, ttl } = await failInRedis(client, prefix + key, windowMs);
          return count > limit ? seconds(ttl) : 0;
        },
        () => local.fail(key, limit),
      ),
    forgive: (key) =>
      attempt(
        async () => {
          await forgiveInRedis(client, prefix + key);
        },
        () => local.forgive(key),
      ),
    async close() {
      client.disconnect();
      await local.close();
    },
  };
}

/** The limiter the settings ask for: Redis when TOKEND_REDIS_URL is set, memory otherwise. */
export function failureLimiter(
  config: Pick<Config, 'redisUrl' | 'failureWindowMs' | 'redisTimeoutMs' | 'redisBreakMs'>,
  logger?: Pick<Logger, 'warn' | 'info'>,
): FailureLimiter {
  if (!config.redisUrl) return memoryLimiter(config.failureWindowMs);
  return redisLimiter(config.redisUrl, config.failureWindowMs, {
    timeoutMs: config.redisTimeoutMs,
    breakMs: config.redisBreakMs,
    ...(logger ? { logger } : {}),
  });
}
