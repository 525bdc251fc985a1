// A TCP proxy that a test (or the test runner) can close and reopen, to make a server such as Redis
// unreachable for the processes that connect through it without touching the server itself.
import net from "node:net";

export interface TcpProxy {
  /** The port clients connect to (stays the same across close and open). */
  readonly port: number;
  readonly isOpen: boolean;
  /** Drops every connection and stops listening: clients see the server vanish (connection refused). */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let listeningPort = port;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const created = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        client.pipe(upstream).pipe(client);
      });
      created.once("error", reject);
      created.listen(listeningPort, "127.0.0.1", () => {
        listeningPort = (created.address() as net.AddressInfo).port;
        server = created;
        resolve();
      });
    });

  await listen();
  return {
    get port() {
      return listeningPort;
    },
    get isOpen() {
      return server !== undefined;
    },
    async close() {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    async open() {
      if (!server) await listen();
    },
  };
}

/** The same URL with the proxy's host and port (for REDIS_URL). */
export function throughProxy(url: string, proxy: Pick<TcpProxy, "port">): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(proxy.port);
  return parsed.toString();
}
