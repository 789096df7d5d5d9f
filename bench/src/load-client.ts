/**
 * Runs one autocannon load in its own process (so the client does not compete with the server's
 * event loop) and prints the summary as one JSON line. Spawned by `runLoad`.
 *
 * argv[2]: JSON `{ url, method, headers, connections, seconds, ids?, emails? }`. With `ids`, each
 * request's path ends in the next id; with `emails`, each POST body upserts the next email (with
 * `event` too, each body is a `POST /v1/track` call recording that event for the next email); with
 * `idempotencyKeys`, each request sends a fresh `Idempotency-Key`.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  ids?: string[];
  emails?: string[];
  event?: string;
  idempotencyKeys?: boolean;
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const base = new URL(spec.url);
let n = 0;

/** The machine's busy and total CPU time so far (all cores, in clock ticks, from /proc/stat; zeros elsewhere). */
function machineTicks(): { busy: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - cpu[3]! - cpu[4]!, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

const machine0 = machineTicks();
const wall0 = performance.now();
const cpu0 = process.cpuUsage();
const result = await autocannon({
  url: base.origin,
  connections: spec.connections,
  duration: spec.seconds,
  headers: spec.headers,
  requests: [
    {
      method: spec.method,
      setupRequest: (request) => {
        const i = n++;
        let path = base.pathname;
        if (spec.ids) path = `${path}/${spec.ids[i % spec.ids.length]}`;
        const out = { ...request, path };
        if (spec.emails) {
          out.body = JSON.stringify({
            ...(spec.event ? { event: spec.event } : {}),
            email: spec.emails[i % spec.emails.length],
            data: { visits: i, plan: i % 2 ? 'pro' : 'free' },
          });
          out.headers = { ...request.headers, 'content-type': 'application/json' };
        }
        if (spec.idempotencyKeys) {
          out.headers = {
            ...(out.headers ?? request.headers),
            'idempotency-key': `bench-${process.pid}-${i}`,
          };
        }
        return out;
      },
    },
  ],
});

const cpu = process.cpuUsage(cpu0);
const wallSeconds = (performance.now() - wall0) / 1000;
const machine1 = machineTicks();
const ticks = machine1.total - machine0.total;

process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    // This load client's own CPU time per request (µs), and the answers' mean size (bytes, headers included).
    clientCpuUs: (cpu.user + cpu.system) / Math.max(1, result.requests.total),
    bytesPerAnswer: result.throughput.total / Math.max(1, result.requests.total),
    // Cores busy on the whole machine during the load (every process: server, this client, others).
    // (/proc/stat counts in USER_HZ, 100 per second on Linux.)
    coresBusy: ticks > 0 ? (machine1.busy - machine0.busy) / (wallSeconds * 100) : 0,
  })}\n`,
);
