// The token format of SPEC section 1: generate, parse, checksum, hash and display tokens.
// Pure code: the only secret that ever exists here is the one being created, and only its SHA-256
// leaves as something to store. The checksum is public and rejects typos and garbage before any
// database lookup; it is not a security control.
import { hash, randomBytes as osRandomBytes } from 'node:crypto';

/** Scans text for tokens (secret scanners, log redaction); not global, so `test` keeps no state. */
export const TOKEN_PATTERN = /\bsk-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?[0-9A-Za-z]{49}\b/;

const WHOLE_TOKEN = /^sk-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?[0-9A-Za-z]{49}$/;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_BYTES = 32;
const SECRET_CHARS = 43;
const CHECKSUM_CHARS = 6;
const SLUG_MAX = 24;
// `sk-` + secret + checksum; a token longer than MAX_LENGTH is rejected before the regex runs so a
// hostile multi-megabyte header costs nothing.
export const MIN_LENGTH = 3 + SECRET_CHARS + CHECKSUM_CHARS;
export const MAX_LENGTH = 128;

export function isTokenShaped(s: string): boolean {
  return s.length >= MIN_LENGTH && s.length <= MAX_LENGTH && WHOLE_TOKEN.test(s);
}

// The first segments of other vendors' `sk-` keys (OpenAI's `sk-proj-`, `sk-svcacct-`, `sk-admin-`,
// Anthropic's `sk-ant-`): a slug starting with one would make scanners and GitHub attribute our token to
// them, so it gets `key-` in front.
const VENDOR_SEGMENTS = new Set(['proj', 'svcacct', 'admin', 'ant']);

/** The name's readable part of a token, so a leaked token says what it was for; '' means none. */
export function slugify(name: string): string {
  const s = cutSlug(
    name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, ''),
  );
  // SPEC: `key-` counts toward the 24 chars: prefixed after the cut, then cut again by the same rule.
  return VENDOR_SEGMENTS.has(s.split('-', 1)[0] ?? '') ? cutSlug(`key-${s}`) : s;
}

// SPEC: cut at the last '-' within the first 24 chars if there is one, else at 24.
function cutSlug(s: string): string {
  if (s.length <= SLUG_MAX) return s;
  const cut = s.slice(0, SLUG_MAX).lastIndexOf('-');
  return (cut > 0 ? s.slice(0, cut) : s.slice(0, SLUG_MAX)).replace(/-+$/, '');
}

export function encodeBase62(bytes: Uint8Array | bigint, width: number): string {
  let n = typeof bytes === 'bigint' ? bytes : toBigInt(bytes);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(width, '0');
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

// CRC-32 (IEEE, zlib's) by table, over a token's chars (ASCII, so each char is its UTF-8 byte). Plain
// arithmetic in one pass: on every request zlib's native crc32 would first copy the string out.
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 of the first `end` chars of an ASCII string, as zlib's `crc32` of their bytes. */
export function crc32(s: string, end = s.length): number {
  let c = -1;
  for (let i = 0; i < end; i++) c = (CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export function checksum(prefix: string): string {
  // A CRC-32 fits a double exactly, so plain arithmetic does what the BigInt path does, faster: the
  // checksum runs on every request before anything else.
  let n = crc32(prefix);
  let out = '';
  while (n > 0) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(CHECKSUM_CHARS, '0');
}

export function formatToken(secretBytes: Uint8Array, slug: string): string {
  const prefix = `sk-${slug ? `${slug}-` : ''}${encodeBase62(secretBytes, SECRET_CHARS)}`;
  return prefix + checksum(prefix);
}

/** What creation returns (Unkey's shape): only `hash` and `display` are ever stored. */
export interface NewToken {
  token: string;
  hash: string;
  display: string;
}

export function generateToken(
  name: string,
  randomBytes: (n: number) => Uint8Array = osRandomBytes,
): NewToken {
  const secret = randomBytes(SECRET_BYTES);
  if (secret.length !== SECRET_BYTES) throw new Error(`randomBytes returned ${secret.length} bytes`);
  const token = formatToken(secret, slugify(name));
  return { token, hash: hashToken(token), display: displayToken(token) };
}

export interface ParsedToken {
  token: string;
  slug: string | null;
  secret: string;
  checksum: string;
}

// A base62 digit's value from its char code ('0'-'9', 'A'-'Z', 'a'-'z'); only called on checked shapes.
const digit = (c: number) => (c <= 57 ? c - 48 : c <= 90 ? c - 55 : c - 61);

/**
 * Shape and checksum, without allocating: this runs before anything else on every request. The
 * checksum's six digits are read as a number and compared with the CRC (a CRC-32 has exactly one
 * six-digit base62 form, so this is the same test as comparing the strings).
 */
export function isWellFormed(presented: string): boolean {
  if (typeof presented !== 'string' || !isTokenShaped(presented)) return false;
  const end = presented.length - CHECKSUM_CHARS;
  let sum = 0;
  for (let i = end; i < presented.length; i++) sum = sum * 62 + digit(presented.charCodeAt(i));
  return sum === crc32(presented, end);
}

/** null for anything that is not one of our tokens; never throws, whatever a client sends. */
export function parseToken(presented: string): ParsedToken | null {
  if (!isWellFormed(presented)) return null;
  const end = presented.length - CHECKSUM_CHARS;
  const secretStart = end - SECRET_CHARS;
  // The shape check guarantees that anything between `sk-` and the secret is `slug-`.
  const slug = secretStart > 3 ? presented.slice(3, secretStart - 1) : null;
  return {
    token: presented,
    slug,
    secret: presented.slice(secretStart, end),
    checksum: presented.slice(end),
  };
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Enough to recognise a token in a list; about 190 bits of the secret stay unknown. */
export function displayToken(token: string): string {
  return `${token.slice(0, 14)}... ${token.slice(-3)}`;
}
