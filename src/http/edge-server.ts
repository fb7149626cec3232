// The Node server under Fastify: how long a client may take (connection, headers, request, keep-alive,
// from the TOKEND_*_TIMEOUT settings) and the response class that gives Node's own answers (a missing
// Host) the headers every response carries. buildApp passes these as Fastify's server options.
import {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  ServerResponse,
  type ServerOptions,
} from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Config } from '../config.js';
import { edgeHeaders } from './transport.js';

type Timeouts = Pick<
  Config,
  'connectionTimeoutMs' | 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs'
>;

/** Fastify's own timeout options; Fastify sets them on the server it creates. */
export function fastifyTimeouts(config: Timeouts) {
  return {
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
  };
}

/** What Fastify passes to http(s).createServer. */
export function serverOptions(config: Timeouts): ServerOptions {
  // Node refuses a headers timeout longer than the request timeout (which bounds the headers anyway).
  const headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  return {
    ServerResponse: EdgeResponse,
    requestTimeout: config.requestTimeoutMs,
    headersTimeout,
    // Node looks for expired requests only this often, 30 s by default: a 10 s timeout would run to 40 s.
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeout / 4))),
  };
}

/**
 * Node answers a few requests itself, before Fastify sees them (an HTTP/1.1 request without Host, the
 * 503 over maxRequestsPerSocket, a 417), and Fastify a few before routing: those heads lack the headers
 * a route's hook sets. Routed answers carry Referrer-Policy already, so for them this is one lookup.
 */
export class EdgeResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    const headers = rest[rest.length - 1];
    const listed =
      typeof headers === 'object' && headers !== null && !Array.isArray(headers)
        ? 'referrer-policy' in (headers as OutgoingHttpHeaders)
        : false;
    if (!listed && !this.hasHeader('referrer-policy')) {
      const encrypted = (this.socket as Partial<TLSSocket> | null)?.encrypted === true;
      for (const [name, value] of Object.entries(edgeHeaders(encrypted))) {
        if (!this.hasHeader(name)) this.setHeader(name, value);
      }
    }
    return super.writeHead(statusCode, ...(rest as [OutgoingHttpHeaders]));
  }
}
