import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Roster } from '@roster/core';
import { createServerApp, type ServerAppOptions } from './app.js';

export interface StartServerOptions extends ServerAppOptions {
  roster: Roster;
  /** @default 3000 (0 picks a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** How long `close()` waits for in-flight requests before cutting connections. @default 10000 */
  shutdownTimeoutMs?: number;
  /** Transport limits of the HTTP server (see `SERVER_LIMIT_DEFAULTS`). */
  limits?: ServerLimits;
}

/** Limits of the HTTP server itself, so slow or idle clients cannot hold sockets and memory. */
export interface ServerLimits {
  /**
   * Open connections at once; further ones are closed on arrival.
   * @default 1000
   */
  maxConnections?: number;
  /**
   * Open connections at once from one remote address (the socket's peer address: behind a proxy,
   * that is the proxy's); further ones from that address are closed on arrival, so one client
   * cannot take all `maxConnections`.
   * @default 100
   */
  maxConnectionsPerClient?: number;
  /**
   * A client must send the whole request head within this many ms (Node's `headersTimeout`).
   * @default 10000
   */
  headersTimeoutMs?: number;
  /**
   * A client must send the whole request (head and body) within this many ms (Node's `requestTimeout`).
   * @default 60000
   */
  requestTimeoutMs?: number;
  /**
   * An idle keep-alive connection is closed after this many ms (Node's `keepAliveTimeout`).
   * @default 5000
   */
  keepAliveTimeoutMs?: number;
}

export const SERVER_LIMIT_DEFAULTS = {
  maxConnections: 1000,
  maxConnectionsPerClient: 100,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
} as const satisfies Required<ServerLimits>;

export interface RunningServer {
  /** e.g. `http://127.0.0.1:3000` */
  url: string;
  port: number;
  server: Server;
  /** Stops accepting, lets in-flight requests finish, then resolves. Does not close the roster. */
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const app = createServerApp(options.roster, options);
  const host = options.host ?? '127.0.0.1';
  const limits = { ...SERVER_LIMIT_DEFAULTS, ...definedOnly(options.limits ?? {}) };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(
      `roster: the headers timeout (${limits.headersTimeoutMs} ms) must not exceed the request timeout (${limits.requestTimeoutMs} ms)`,
    );
  }
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for requests past their timeouts (its default is 30 s).
      connectionsCheckingInterval: Math.max(
        250,
        Math.min(5_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 2)),
      ),
    },
    app,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  limitConnectionsPerClient(server, limits.maxConnectionsPerClient);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? 10_000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Keep-alive connections with no request in flight would hold close() open.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * Closes a new connection at once when its remote address already holds `max` open connections.
 * Counted per socket peer address (an IPv4-mapped IPv6 address counts as its IPv4 address); the
 * count drops when a connection closes, so the table only holds addresses with open connections.
 */
function limitConnectionsPerClient(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const raw = socket.remoteAddress ?? '';
    const address = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
