import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { RosterLogger } from '@roster/core';
import type { RosterMetrics } from '@roster/express';
import { pino } from 'pino';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The logger `roster serve` passes to core and the routers (a pino logger). */
export interface ServerLogger extends RosterLogger {
  /** Writes out what is buffered (before the process exits). */
  flush(): void;
}

export interface ServerLoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where lines go. @default standard output */
  destination?: Writable | NodeJS.WritableStream;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** The fields a pretty line shows first, in this order, as `key=value`. */
const LEADING = ['requestId', 'method', 'route', 'status', 'durationMs', 'projectId'];

/**
 * One pino JSON line as a line for people: `12:03:04.123 INFO  request method=GET route=/contacts/:id
 * status=200 durationMs=1.2 …`. Fields pino adds (`pid`, `hostname`, `time`, `level`, `msg`) are left out.
 */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, ...fields } = record;
  const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const name = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5);
  const keys = [
    ...LEADING.filter((key) => key in fields),
    ...Object.keys(fields).filter((key) => !LEADING.includes(key)),
  ];
  const parts = keys.map((key) => {
    const value = fields[key];
    return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
  });
  return `${when} ${name} ${String(msg ?? '')}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}\n`;
}

/** `roster serve`'s logger: pino, writing JSON lines, or `pretty` lines formatted by `prettyLine`. */
export function createServerLogger(options: ServerLoggerOptions): ServerLogger {
  const base = { level: options.level, base: { pid: process.pid } };
  if (options.format === 'json') {
    const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
    return pino(base, destination);
  }
  const out = options.destination ?? process.stdout;
  // pino's own `flush()` flushes a stream that has one, and does nothing for this one.
  return pino(base, {
    write(line: string) {
      out.write(prettyLine(line));
    },
  });
}

/** The separate listener of `--metrics-port`: `GET /metrics` only. */
export interface MetricsServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startMetricsServer(
  metrics: RosterMetrics,
  options: { port: number; host: string },
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('Only GET /metrics is served here\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end('metrics could not be collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${urlHost}:${port}/metrics`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
