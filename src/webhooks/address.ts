// Where a webhook may go (SPEC section 10, against SSRF): `https://` only, and only to public
// addresses, unless the URL's hostname is listed in TOKEND_WEBHOOK_ALLOWED_HOSTS (exact, port ignored),
// in which case http:// and any address are allowed. The name is resolved and every address checked at
// creation, on PATCH and at each delivery; the delivery then connects to the very address checked.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export const MAX_URL_LENGTH = 2000;

// Loopback, private, link-local, unique-local and the other ranges no receiver of ours lives in.
const refused = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  refused.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  refused.addSubnet(net, bits, 'ipv6');

/** Whether an address is one a webhook may not reach (IPv4-mapped IPv6 judged as its IPv4). */
export function isRefusedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return refused.check(mapped[1], 'ipv4');
  // The same, as the URL parser writes it: [::ffff:127.0.0.1] becomes [::ffff:7f00:1].
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex?.[1] && hex[2]) {
    const [hi, lo] = [Number.parseInt(hex[1], 16), Number.parseInt(hex[2], 16)];
    return refused.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  }
  const family = isIP(address);
  if (family === 0) return true;
  return refused.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export interface Target {
  url: URL;
  /** The address to connect to, checked. */
  address: string;
  family: 4 | 6;
}

export type TargetCheck = { ok: true; target: Target } | { ok: false; reason: string };

/** Parses and checks a webhook URL and resolves it to an address that may be reached. */
export async function checkTarget(raw: string, allowedHosts: readonly string[]): Promise<TargetCheck> {
  if (raw.length > MAX_URL_LENGTH)
    return { ok: false, reason: `is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  const hostname = url.hostname.toLowerCase();
  const allowed = allowedHosts.includes(hostname);
  if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:'))
    return { ok: false, reason: 'must be https://' };
  if (url.username || url.password) return { ok: false, reason: 'must not hold credentials' };
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(bare)) addresses = [{ address: bare, family: isIP(bare) }];
  else {
    try {
      addresses = await lookup(bare, { all: true, verbatim: true });
    } catch {
      return { ok: false, reason: `host ${hostname} does not resolve` };
    }
  }
  const [first] = addresses;
  if (!first) return { ok: false, reason: `host ${hostname} does not resolve` };
  if (!allowed && addresses.some((a) => isRefusedAddress(a.address)))
    return { ok: false, reason: 'resolves to a loopback, private, link-local or unique-local address' };
  return { ok: true, target: { url, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
