// A real webhook receiver for tests: node:http on 127.0.0.1 (port 0) that keeps every request and
// verifies each with the `standardwebhooks` package, as a platform's receiver would. What it answers is
// up to the test: a status per request (`answer`), or no answer at all (`hang`).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body: `{type, timestamp, data: {event, token}}`. */
  json: { type: string; timestamp: string; data: { event: Record<string, unknown>; token: unknown } };
  id: string;
  signatures: string[];
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** The status for the next request (given the count so far); 200 by default. */
  answer: (n: number) => number;
  /** When true, requests are held open and never answered. */
  hang: boolean;
  /** Whether a request verifies with this secret (standardwebhooks' own check). */
  verifies(r: Received, secret: string): boolean;
  /** The requests with this webhook-id. */
  withId(id: string): Received[];
  stop(): Promise<void>;
}

/** A receiver on `port` (0: any free one; a stopped receiver's, to come back at the same URL). */
export async function startReceiver(port = 0, path = '/hook'): Promise<Receiver> {
  const sockets = new Set<Socket>();
  const held: ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    port: 0,
    received: [],
    answer: () => 200,
    hang: false,
    verifies(r, secret) {
      try {
        new Webhook(secret).verify(r.body, {
          'webhook-id': String(r.headers['webhook-id']),
          'webhook-timestamp': String(r.headers['webhook-timestamp']),
          'webhook-signature': String(r.headers['webhook-signature']),
        });
        return true;
      } catch {
        return false;
      }
    },
    withId: (id) => receiver.received.filter((r) => r.id === id),
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (receiver.hang) {
        held.push(res);
        return;
      }
      const n = receiver.received.length;
      receiver.received.push({
        headers: req.headers,
        body,
        json: JSON.parse(body) as Received['json'],
        id: String(req.headers['webhook-id']),
        signatures: String(req.headers['webhook-signature']).split(' '),
      });
      res.writeHead(receiver.answer(n), { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}${path}`;
  return receiver;
}
