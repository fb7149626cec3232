// A TCP relay for outage tests: tokend talks to PostgreSQL or Redis through it, and a test can cut it
// (open connections reset, new ones refused, as when a server stops), hang it (connections accepted
// and never answered, as in a network partition), or freeze it (open connections too stop forwarding
// but stay open, as with a stopped server process or a silent partition), then restore it — without
// touching the real server.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Rewrites `url` (postgres://, redis://) to go through the relay. */
  via(url: string): string;
  cut(): void;
  hang(): void;
  /** Open connections stop forwarding (no reset, no FIN); new ones are accepted and held. */
  freeze(): void;
  /** Forwards again; connections held by a freeze go through, as after a partition heals. */
  restore(): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'open' | 'cut' | 'hang' | 'freeze' = 'open';
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const held = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const link = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    track(upstream);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode === 'cut') return void client.resetAndDestroy();
    if (mode === 'hang') return; // accepted, never answered
    if (mode === 'freeze') {
      // Paused: not even its FIN is read, so a client that gives up sees no answer either way.
      client.pause();
      held.add(client);
      client.on('close', () => held.delete(client));
      return;
    }
    link(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dropAll = () => {
    for (const s of sockets) s.resetAndDestroy();
    sockets.clear();
    pairs.clear();
    held.clear();
  };
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      mode = 'cut';
      dropAll();
    },
    hang() {
      mode = 'hang';
      dropAll();
    },
    freeze() {
      mode = 'freeze';
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      const wasFrozen = mode === 'freeze';
      mode = 'open';
      if (!wasFrozen) return;
      for (const [client, upstream] of pairs) client.pipe(upstream).pipe(client);
      for (const client of held) link(client);
      held.clear();
    },
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
