// The graceful stop of the HTTP server (SIGTERM): stop accepting connections, answer what still arrives
// on open ones with `Connection: close` (SPEC section 5), let every response finish writing, and only
// then close the connections left idle. TOKEND_SHUTDOWN_GRACE bounds the whole; what is left is cut.
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

export interface Drainer {
  /** Resolves once every connection is closed; `cut` counts the responses the grace cut off. */
  drain(graceMs: number): Promise<{ cut: number }>;
}

/** Installed before listen: the responses in flight are known when the stop begins. */
export function drainer(server: Server): Drainer {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  // Node's closeIdleConnections() counts a connection idle once its response is ended, not written: a
  // 16 MB download still in the socket's buffer was cut. A response leaves this set on 'close', which
  // follows 'finish' (its last byte handed to the kernel).
  const closeIdleOnceDone = () => {
    if (inFlight.size === 0) server.closeIdleConnections();
  };
  // One listener for every response: a request costs a set entry, not a closure of its own.
  function settled(this: ServerResponse) {
    inFlight.delete(this);
    if (draining) closeIdleOnceDone();
  }
  // Prepended: it runs before Fastify's handler, which may answer synchronously.
  server.prependListener('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    if (draining) res.setHeader('connection', 'close');
    res.on('close', settled); // 'close' comes once: `once` would wrap it in a closure per request
  });
  return {
    async drain(graceMs) {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
      // http.Server's close() also closes every idle keep-alive connection at once, so a request its
      // client sends at that moment meets a reset. net.Server's only stops accepting; the connections
      // idle then are closed when no response is left in flight, and until then a request on one is
      // answered (with Connection: close). Fastify's later close() finds the server closed, as expected.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      closeIdleOnceDone();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
      });
      const outcome = await Promise.race([closed, expired]);
      clearTimeout(timer);
      if (outcome !== 'expired') return { cut: 0 };
      const cut = inFlight.size;
      server.closeAllConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      return { cut };
    },
  };
}
