// The Lua scripts behind the Redis rate limiter (rate-limit.ts), and their calls. ioredis adds a script
// of its options to the client at run time, untyped, and a reply is whatever Redis sent: each call here
// is looked up by name and each reply narrowed, so a surprise is an error (the limiter then answers from
// memory), never a wrong count.
import type { Redis } from 'ioredis';

// One round trip each. The expiry is set with the first failure of a window (and repaired if a key
// somehow lost it), so a window never slides and a key never lives forever.
const FAIL = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;
const PEEK = `return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}`;
const FORGIVE = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end return 0`;

/** The `scripts` option of the limiter's client (sent by EVALSHA, loaded once). */
export const LIMIT_SCRIPTS = {
  tokendFail: { lua: FAIL, numberOfKeys: 1 },
  tokendPeek: { lua: PEEK, numberOfKeys: 1, readOnly: true },
  tokendForgive: { lua: FORGIVE, numberOfKeys: 1 },
};

async function run(client: Redis, name: keyof typeof LIMIT_SCRIPTS, ...args: (string | number)[]) {
  const script: unknown = Reflect.get(client, name);
  if (typeof script !== 'function') throw new Error(`the Redis client has no script ${name}`);
  const reply: unknown = await Reflect.apply(script, client, args);
  return reply;
}

const isPair = (reply: unknown): reply is [unknown, unknown] => Array.isArray(reply) && reply.length === 2;

/** FAIL's and PEEK's reply: the window's count and its milliseconds to live. */
function counted(reply: unknown): { count: number; ttl: number } {
  if (isPair(reply)) {
    const [count, ttl] = reply;
    if (typeof count === 'number' && typeof ttl === 'number') return { count, ttl };
  }
  throw new Error('Redis answered a rate-limit script with something other than two numbers');
}

/** Counts one failure of `key`, starting its window of `windowMs` if it is the first. */
export const failInRedis = async (client: Redis, key: string, windowMs: number) =>
  counted(await run(client, 'tokendFail', key, windowMs));

/** The failures of `key` in its window, without counting one. */
export const peekInRedis = async (client: Redis, key: string) =>
  counted(await run(client, 'tokendPeek', key));

/** Takes back one failure of `key`; a key that has none is left absent. */
export const forgiveInRedis = async (client: Redis, key: string): Promise<void> => {
  await run(client, 'tokendForgive', key);
};
