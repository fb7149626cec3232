// A token's network rule (SPEC section 8), pure: `allowedIps` parsed into networks in canonical form
// (`198.51.100.7/24` → `198.51.100.0/24`, an address → /32 or /128, IPv6 as RFC 5952 writes it), and a
// stored list compiled once (per cache fill) into a matcher for the client's address. An empty list
// allows any address; a list is never widened by an entry it cannot read (fail closed).
import { BlockList, isIP } from 'node:net';
import { fail, ok, type Result } from '../errors.js';

export const MAX_ALLOWED_IPS = 50;
const FIELD = 'allowedIps';
// The longest entry worth reading: a full IPv6 address with an IPv4 tail and a prefix is 49 characters.
const ENTRY_MAX = 64;

interface Network {
  family: 4 | 6;
  /** The network address, masked to the prefix. */
  bits: bigint;
  prefix: number;
}

/** `null` or `[]` is any address; otherwise up to 50 distinct networks, answered in canonical form. */
export function parseAllowedIps(entries: readonly string[] | null | undefined): Result<string[]> {
  if (!entries) return ok([]);
  if (entries.length > MAX_ALLOWED_IPS)
    return fail('invalid_request', `at most ${MAX_ALLOWED_IPS} addresses or ranges`, FIELD);
  const canonical: string[] = [];
  for (const entry of entries) {
    const parsed = canonicalNetwork(entry);
    if (!parsed.ok) return parsed;
    // Overlapping ranges are kept (each says what its writer meant); the same network twice is a mistake.
    if (canonical.includes(parsed.value))
      return fail('invalid_request', `${parsed.value} is given twice`, FIELD);
    canonical.push(parsed.value);
  }
  return ok(canonical);
}

/** One address or CIDR range in canonical form, or the 400 naming `allowedIps`. */
export function canonicalNetwork(entry: string): Result<string> {
  const network = parseNetwork(entry.trim());
  if (typeof network === 'string') return fail('invalid_request', network, FIELD);
  return ok(formatNetwork(network));
}

/** What a compiled rule answers: whether a client address may use the token. */
export interface NetworkRule {
  /** True when the rule is empty: any address may. */
  readonly any: boolean;
  allows(address: string): boolean;
}

const ANY: NetworkRule = { any: true, allows: () => true };

/**
 * Compiles a stored rule once, for many checks. An IPv4 range also admits the IPv4-mapped IPv6 form of
 * its addresses (`::ffff:203.0.113.7`), as BlockList matches them. A client address that is not an
 * address, or carries a zone id, is refused by any non-empty rule.
 */
export function compileNetworkRule(allowedIps: readonly string[]): NetworkRule {
  if (allowedIps.length === 0) return ANY;
  const list = new BlockList();
  for (const entry of allowedIps) {
    const network = parseNetwork(entry);
    if (typeof network === 'string') continue;
    const family = network.family === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(formatAddress(network), network.prefix, family);
  }
  return {
    any: false,
    allows(address) {
      if (address.includes('%')) return false;
      const family = isIP(address);
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** The network an entry names, or why it names none. */
function parseNetwork(entry: string): Network | string {
  // Echoed in the answer: cut, and only printable ASCII (every address is), so it cannot rewrite a log line.
  const shown = `"${entry.slice(0, ENTRY_MAX).replace(/[^\x20-\x7e]/g, '?')}"`;
  const unreadable = `${shown} is not an IPv4 or IPv6 address or CIDR range`;
  if (entry.length > ENTRY_MAX) return unreadable;
  if (entry.includes('%')) return `${shown}: zone ids (%...) are not allowed`;
  const [address = '', prefixText, extra] = entry.split('/');
  if (extra !== undefined) return unreadable;
  const family = isIP(address);
  if (family !== 4 && family !== 6) return unreadable;
  const width = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return unreadable;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (prefix > width) return `${shown}: the prefix length is 1 to ${width}`;
  let network: Network = { family, bits: masked(addressBits(address, family), prefix, width), prefix };
  // An IPv4-mapped range is the IPv4 range it maps: stored once, in IPv4's form.
  if (family === 6 && prefix >= 96 && network.bits >> 32n === 0xffffn)
    network = { family: 4, bits: network.bits & 0xffff_ffffn, prefix: prefix - 96 };
  if (network.prefix === 0)
    return `${shown} spans a whole address family: leave it empty to allow any address`;
  return network;
}

const masked = (bits: bigint, prefix: number, width: number) =>
  (bits >> BigInt(width - prefix)) << BigInt(width - prefix);

/** The address's bits; `address` is one `isIP` accepted for this family. */
function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = addressBits(dotted[1], 4);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((n, group) => (n << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function formatNetwork(n: Network): string {
  return `${formatAddress(n)}/${n.prefix}`;
}

function formatAddress(n: Network): string {
  if (n.family === 4)
    return [24n, 16n, 8n, 0n].map((shift) => ((n.bits >> shift) & 0xffn).toString()).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((n.bits >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: lower-case hex without leading zeros; the longest run of two or more zero groups (the
  // first of equal runs) becomes `::`.
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
