// Who is on the other end of a request, behind the proxies in TOKEND_TRUST_PROXY: the client address that
// rate limits, usage and network rules all see, and the protocol and host the client used. Forwarding
// headers count only on a connection from a trusted proxy: X-Forwarded-For/-Proto/-Host, or RFC 7239
// `Forwarded` where a proxy writes that instead. Entries are normalised (ports and brackets stripped,
// IPv4-mapped IPv6 unwrapped), so `ip:port` from a proxy never makes a new client per source port.
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** TOKEND_TRUST_PROXY, for the functions below (set by buildApp through trustForwarding). */
    readonly trustedProxies: readonly string[];
    /** clientAddress(this), for whoever holds only the request (the log's request serializer). */
    readonly clientAddress: string;
  }
}

/** Gives every request of `app` the trusted-proxy list, so that one argument — the request — suffices. */
export function trustForwarding(app: FastifyInstance, trustProxy: readonly string[]): void {
  app.decorateRequest('trustedProxies', { getter: () => trustProxy });
  app.decorateRequest('clientAddress', {
    getter(this: FastifyRequest) {
      return clientAddress(this);
    },
  });
}

export interface TrustedProxies {
  isProxy(address: string): boolean;
}

const NONE: readonly string[] = [];
const compiled = new WeakMap<readonly string[], TrustedProxies>();

/** The list from TOKEND_TRUST_PROXY, compiled once per list (the config keeps the same array). */
export function trustedProxies(list: readonly string[]): TrustedProxies {
  let trust = compiled.get(list);
  if (trust) return trust;
  const proxies = new BlockList();
  for (const entry of list) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) proxies.addAddress(address, family);
    else proxies.addSubnet(address, Number(bits), family);
  }
  trust = {
    // A normalised IPv4 address also matches IPv6 rules written for its mapped form, and the reverse.
    isProxy: (address) =>
      list.length > 0 &&
      (isIPv4(address)
        ? proxies.check(address, 'ipv4') || proxies.check(`::ffff:${address}`, 'ipv6')
        : isIP(address) === 6 && proxies.check(address, 'ipv6')),
  };
  compiled.set(list, trust);
  return trust;
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
const MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/**
 * One address as a proxy or the socket writes it — `198.51.100.7`, `198.51.100.7:4711`, `[2001:db8::1]`,
 * `[2001:db8::1]:4711`, `"[2001:db8::1]:4711"`, `::ffff:198.51.100.7` — as a bare address; null when it is
 * none (`unknown`, an obfuscated `_name`, garbage).
 */
export function normalizeAddress(raw: string): string | null {
  let text = raw.trim();
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) text = text.slice(1, -1);
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    const rest = text.slice(end + 1);
    if (end < 0 || (rest !== '' && !/^:\d{1,5}$/.test(rest))) return null;
    text = text.slice(1, end);
  } else if (/^[\d.]+:\d{1,5}$/.test(text)) {
    text = text.slice(0, text.indexOf(':'));
  }
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return null;
  const lower = text.toLowerCase();
  const mapped = MAPPED.exec(lower)?.[1];
  if (mapped) return mapped;
  const hex = MAPPED_HEX.exec(lower);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1] ?? '0', 16), parseInt(hex[2] ?? '0', 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return lower;
}

/** RFC 7239 elements, nearest proxy last; parameter names lower-cased, quoted values unquoted. */
export function parseForwarded(header: string): Record<string, string>[] {
  const elements: Record<string, string>[] = [];
  let element: Record<string, string> = {};
  let pair = '';
  let quoted = false;
  const endPair = () => {
    const eq = pair.indexOf('=');
    if (eq > 0) element[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1).trim();
    pair = '';
  };
  for (let i = 0; i < header.length; i++) {
    const c = header.charAt(i);
    if (quoted) {
      if (c === '\\' && i + 1 < header.length) pair += header[++i];
      else if (c === '"') quoted = false;
      else pair += c;
    } else if (c === '"') quoted = true;
    else if (c === ';') endPair();
    else if (c === ',') {
      endPair();
      elements.push(element);
      element = {};
    } else pair += c;
  }
  endPair();
  elements.push(element);
  return elements;
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

const last = (list: string) => list.slice(list.lastIndexOf(',') + 1).trim();

interface Peer {
  /** The connection's peer, normalised (it is an address whenever the socket is open). */
  address: string;
  /** Whether that peer is a proxy in TOKEND_TRUST_PROXY. */
  proxy: boolean;
}

// Both are the connection's, not the request's: decided once per connection, not three times a request.
const peers = new WeakMap<object, Peer>();

function peerOf(request: FastifyRequest): Peer {
  const socket = request.socket as object | undefined;
  let peer = socket && peers.get(socket);
  if (!peer) {
    const raw = request.socket?.remoteAddress ?? '';
    const address = normalizeAddress(raw) ?? raw;
    peer = { address, proxy: trustedProxies(request.trustedProxies ?? NONE).isProxy(address) };
    if (socket) peers.set(socket, peer);
  }
  return peer;
}

/**
 * Whether the connection itself comes from a proxy in TOKEND_TRUST_PROXY (its peer, not anything it says):
 * only then are a gateway's headers about the original request (its URI, its method) believed.
 */
export function fromTrustedProxy(request: FastifyRequest): boolean {
  return peerOf(request).proxy;
}

/**
 * The client's address: the connection's peer, or — on a connection from a trusted proxy — the right-most
 * address in X-Forwarded-For (else in `Forwarded: for=`) that is not itself a trusted proxy. X-Forwarded-For
 * wins when both are present: it is what nearly every proxy writes, and such a proxy passes a client's own
 * `Forwarded` on untouched. An entry that names no address (`unknown`) stops the walk at the hop after it.
 */
export function clientAddress(request: FastifyRequest): string {
  const { address: peer, proxy } = peerOf(request);
  if (!proxy) return peer;
  const trust = trustedProxies(request.trustedProxies ?? NONE);
  const xff = header(request, 'x-forwarded-for');
  const forwarded = xff === undefined ? header(request, 'forwarded') : undefined;
  const hops =
    xff !== undefined
      ? xff.split(',')
      : forwarded !== undefined
        ? parseForwarded(forwarded).map((e) => e.for ?? '')
        : [];
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const next = normalizeAddress(hops[i] ?? '');
    if (next === null) return client;
    client = next;
    if (!trust.isProxy(next)) return client;
  }
  return client;
}

/** What the nearest trusted proxy says about the request: X-Forwarded-<name>, else Forwarded's `name=`. */
function forwardedParam(request: FastifyRequest, name: 'proto' | 'host') {
  if (!peerOf(request).proxy) return undefined;
  const x = header(request, `x-forwarded-${name}`);
  if (x !== undefined) return last(x);
  const forwarded = header(request, 'forwarded');
  if (forwarded === undefined) return undefined;
  const elements = parseForwarded(forwarded);
  return elements[elements.length - 1]?.[name];
}

/** `https` for TLS on the socket or a trusted proxy that says so; otherwise what it says, or `http`. */
export function requestProtocol(request: FastifyRequest): string {
  if ((request.socket as { encrypted?: boolean } | undefined)?.encrypted) return 'https';
  return forwardedParam(request, 'proto')?.toLowerCase() ?? 'http';
}

/** The Host the client asked for (the institution's): from a trusted proxy's forwarding headers first. */
export function requestHost(request: FastifyRequest): string {
  return forwardedParam(request, 'host') ?? request.headers.host ?? '';
}
