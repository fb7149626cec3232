// Which requests count as HTTPS (SPEC section 6): TLS on the socket, or X-Forwarded-Proto (or RFC 7239
// `Forwarded: proto=`) from a trusted proxy (TOKEND_TRUST_PROXY, read in client-address.ts). Plain HTTP is
// allowed only on a direct loopback connection without forwarding headers, and only while
// TOKEND_ALLOW_LOOPBACK_HTTP is on.
// Also the answers Fastify gives before routing (bad URLs, broken requests), in the catalogue's shape.
import { type IncomingMessage, STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { Config } from '../config.js';
import { normalizeAddress, requestProtocol, trustedProxies } from './client-address.js';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const FORWARDING = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip'];
const HSTS = 'max-age=31536000; includeSubDomains';

export interface TransportPolicy {
  isSecure(request: FastifyRequest): boolean;
}

export function transportPolicy(config: Pick<Config, 'trustProxy' | 'allowLoopbackHttp'>): TransportPolicy {
  const proxies = trustedProxies(config.trustProxy);
  // Whether a connection's peer is loopback and not a proxy is decided once per connection.
  const localPeers = new WeakMap<Socket, boolean>();
  const isLocalPeer = (socket: Socket) => {
    let local = localPeers.get(socket);
    if (local === undefined) {
      const peer = socket.remoteAddress ?? '';
      // A trusted proxy's connection is never "direct": a proxy on this host that forgot its
      // X-Forwarded-* headers would otherwise pass the whole internet off as local development.
      local = LOOPBACK.test(peer) && !proxies.isProxy(normalizeAddress(peer) ?? peer);
      localPeers.set(socket, local);
    }
    return local;
  };
  return {
    isSecure(request) {
      if (requestProtocol(request) === 'https') return true;
      if (!config.allowLoopbackHttp) return false;
      return isLocalPeer(request.socket) && !FORWARDING.some((h) => request.headers[h] !== undefined);
    },
  };
}

/**
 * tokend's own TLS: Mozilla's "intermediate" profile (v5.7) — TLS 1.2 with ECDHE/DHE and AEAD suites only
 * (no static-RSA key exchange, which has no forward secrecy, and no CBC, LUCKY13's ground), and TLS 1.3.
 * Node's default list also allows both. The client picks among these, as the profile says; DHE uses the
 * RFC 7919 group OpenSSL chooses (`dhparam: 'auto'`).
 */
export const TLS_PROFILE = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
    'DHE-RSA-AES128-GCM-SHA256',
    'DHE-RSA-AES256-GCM-SHA384',
  ].join(':'),
  honorCipherOrder: false,
  dhparam: 'auto',
} as const;

/**
 * What every JSON answer carries (the OWASP REST Security Cheat Sheet's set): no cache or referrer keeps
 * it, nothing frames, sniffs or renders it. helmet's other headers are for documents: they go with the
 * page and the docs (securityHeaders), not with answers that programs read.
 */
export const API_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/**
 * helmet's headers for the page and the docs (CSP for the page, no-referrer, nosniff, frame and
 * cross-origin rules), computed once. Its middleware would set the same dozen headers on every raw
 * response, and both its per-request work and raw headers (which take Node off its fast path for writing
 * the head) showed on the hot path; set through Fastify's reply they cost a few property writes.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const collect = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    removeHeader: () => {},
  };
  const middleware = helmet({
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false, // strictTransport: only over HTTPS
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        upgradeInsecureRequests: null,
      },
    },
  });
  middleware({} as IncomingMessage, collect as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('helmet refused its options', { cause: err });
  });
  return headers;
}

/** HSTS means something only over HTTPS (browsers ignore it on plain HTTP), so it is sent only there. */
export function strictTransport(request: FastifyRequest, reply: FastifyReply): void {
  if (requestProtocol(request) === 'https') void reply.header('strict-transport-security', HSTS);
}

/**
 * What an answer made before routing carries (SPEC section 6: Referrer-Policy on every response, HSTS
 * over HTTPS): the JSON answers' set, as no route's hook has run to set it.
 */
export function edgeHeaders(encrypted: boolean): Record<string, string> {
  return encrypted ? { ...API_HEADERS, 'strict-transport-security': HSTS } : API_HEADERS;
}

/**
 * Errors Fastify meets before a route is chosen (a bad %-escape, an over-long path parameter). Its own
 * answers quote the path, which may hold a token; these say only what is wrong.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  void reply.headers(API_HEADERS);
  strictTransport(request, reply);
  return reply
    .status(tooLong ? 404 : 400)
    .send(
      tooLong
        ? { error: 'not_found', message: 'no such resource' }
        : { error: 'invalid_request', message: 'the URL is not valid', field: 'url' },
    );
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'invalid_request', 'request headers too large'],
  // Node's requestTimeout and headersTimeout (SPEC section 5).
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'request body not received in time'],
};

/** Malformed HTTP from a client (before Fastify sees a request): a short answer, never the bytes sent. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'invalid_request',
    'malformed HTTP request',
  ];
  const body = JSON.stringify({ error: code, message });
  const headers = Object.entries(edgeHeaders((socket as Partial<TLSSocket>).encrypted === true));
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ].join('\r\n');
  // Node's own rule: never in the middle of a response already on the wire (a request timing out while
  // its answer streams).
  const answering = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || answering?.headersSent) {
    socket.destroy(error);
    return;
  }
  // Closed once the answer is flushed, not at once: a 408 cut off is a reset to the client, not a 408.
  socket.end(`${head}\r\n\r\n${body}`);
  socket.destroySoon();
}
