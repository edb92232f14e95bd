// A TCP proxy in front of a real Postgres server, to simulate network failures without touching the
// server: forward (normal), refuse (accept and close at once), blackhole (accept and stay silent,
// like a partitioned network path), stall the open connections, or kill them.
import net from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

export interface TcpProxy {
  port: number;
  /** The same postgres:// URL, through the proxy. */
  url(target: string): string;
  setMode(mode: ProxyMode): void;
  /** Open connections stop carrying data in both directions, for ever (a black-holed path). */
  stallOpenConnections(): void;
  killOpenConnections(): void;
  openConnections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  stalled: boolean;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const pairs = new Set<Pair>();
  const server = net.createServer((client) => {
    const pair: Pair = { client, upstream: undefined, stalled: false };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', end);
    client.on('close', end);
    // A reset, as from a port nobody listens on (ECONNRESET for the client).
    if (mode === 'refuse') {
      pairs.delete(pair);
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') {
      pair.stalled = true;
      client.on('data', () => {});
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', end);
    upstream.on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (!pair.stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.stalled) client.write(chunk);
    });
  });
  const killOpenConnections = () => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    pairs.clear();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url(target) {
      const url = new URL(target);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    setMode(next) {
      mode = next;
    },
    stallOpenConnections() {
      for (const pair of pairs) pair.stalled = true;
    },
    killOpenConnections,
    openConnections: () => pairs.size,
    async close() {
      killOpenConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
