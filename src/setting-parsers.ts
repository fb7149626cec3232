// The parsers of the settings in config.ts: each turns an environment variable's text into its value or
// throws the message that config.ts reports beside the variable's name. They read no environment.
import { isIP } from 'node:net';

export type Parser<T> = (raw: string) => T;

export const text: Parser<string> = (raw) => raw;
export const optional: Parser<string | undefined> = (raw) => (raw === '' ? undefined : raw);

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^\d+$/.test(raw)) throw new Error('must be a whole number');
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
    return value;
  };
}

export const boolean: Parser<boolean> = (raw) => {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new Error('must be true or false');
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "1s", "15m", "8h", "7d"; a bare number is seconds. Returns milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new Error('must be a duration such as 500ms, 1s, 15m, 8h or 7d');
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000));
}

export const duration: Parser<number> = parseDuration;

/** A duration of at least `minMs`: a timeout of 0 would mean "never", which is what these settings end. */
export function durationAtLeast(minMs: number): Parser<number> {
  return (raw) => {
    const ms = parseDuration(raw);
    if (ms < minMs) throw new Error(`must be at least ${minMs}ms`);
    return ms;
  };
}

export const url: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  try {
    new URL(raw);
  } catch {
    throw new Error('must be a URL');
  }
  return raw;
};

/** Addresses or CIDRs of trusted proxies, comma-separated. Never "true": trust is by address. */
export const addressList: Parser<string[]> = (raw) => {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    const [address, bits] = item.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (!family || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new Error(`"${item}" is not an IP address or CIDR`);
    }
  }
  return items;
};

export const level: Parser<string> = (raw) => {
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)) {
    throw new Error('must be one of fatal, error, warn, info, debug, trace, silent');
  }
  return raw;
};
