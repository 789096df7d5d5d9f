import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { spawnBenchScript } from './bench-script.js';
import type { BenchContext } from './context.js';

/** What one autocannon run reports (bench/src/load-client.ts). */
export interface Load {
  requestsPerSecond: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

/** autocannon in a child process against `spec.url`; killed if it outlives its run by a minute. */
export async function runLoad(ctx: BenchContext, spec: Record<string, unknown>): Promise<Load> {
  const child = spawnBenchScript(ctx, 'load-client.ts', spec);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), ((spec.seconds as number) + 60) * 1000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  if (code !== 0) throw new Error(`load client exited ${code}: ${err.slice(-2000)}`);
  const load = JSON.parse(out.trim().split('\n').at(-1)!) as Load;
  if (load.errors > 0 || load.non2xx > 0) {
    throw new Error(`load on ${spec.url} had ${load.errors} errors and ${load.non2xx} non-2xx answers`);
  }
  return load;
}

/** The baseline of every HTTP ratio: Express hello world on a loopback port. */
export async function startHelloWorld(): Promise<{ url: string; close: () => Promise<void> }> {
  const hello = express();
  hello.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = hello.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
