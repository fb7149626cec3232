// Which requests count as HTTPS (SPEC section 6): TLS on the socket, or X-Forwarded-Proto from a trusted
// proxy (Fastify's trustProxy, set from TOKEND_TRUST_PROXY). Plain HTTP is allowed only on a direct
// loopback connection without forwarding headers, and only while TOKEND_ALLOW_LOOPBACK_HTTP is on.
import type { FastifyRequest } from 'fastify';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const FORWARDING = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip'];

export function isLoopbackDirect(request: FastifyRequest): boolean {
  const peer = request.socket.remoteAddress ?? '';
  return LOOPBACK.test(peer) && !FORWARDING.some((h) => request.headers[h] !== undefined);
}

export function isSecure(request: FastifyRequest, allowLoopbackHttp: boolean): boolean {
  if (request.protocol === 'https') return true;
  return allowLoopbackHttp && isLoopbackDirect(request);
}
