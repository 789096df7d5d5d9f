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
  /** The load client's own CPU time per request, µs. */
  clientCpuUs: number;
  /** The answers' mean size on the wire (status line and headers included), bytes. */
  bytesPerAnswer: number;
  /** Cores busy on the whole machine during the load (/proc/stat; 0 where it is not readable). */
  coresBusy: number;
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

/**
 * The baselines of the HTTP ratios, one Express 5 app on a loopback port: `GET /hello` answers
 * `{"hello":"world"}` (hello world, the baseline of the read routes), and `POST /echo` parses a
 * JSON body with `express.json()` and answers a JSON object of the size and shape of a
 * `POST /contacts` answer (the body's `email` and `data`, an id, a project id, two ISO times and
 * `_meta`), without a database: the baseline of the JSON write routes, so their ratio measures
 * roster's work rather than Express's body parsing, which every JSON API pays. With `answers` (a
 * contact's id → the JSON object `GET /contacts/:id` answers for it), `GET /contacts/:id` answers
 * that object from memory with `res.json` (404 for any other id): the baseline of the read routes
 * that measures roster's work rather than the size of the answer, which the load client and Express
 * pay for any API answering the same bytes (hello world is kept beside it). `POST /track-echo`
 * does the same as `POST /echo` for `POST /v1/track` bodies (`event`, `email`, `data`), answering
 * an object of track's shape (`success`, the contact's and the event's ids and a time): the
 * baseline of `POST /v1/track`.
 */
export async function startHelloWorld(answers?: ReadonlyMap<string, unknown>): Promise<{
  url: string;
  jsonUrl: string;
  /** `GET <memoryUrl>/<id>` answers `answers.get(id)` (with `answers` only). */
  memoryUrl: string;
  /** `POST` here: the JSON echo of a `POST /v1/track` body, answered in track's shape. */
  trackJsonUrl: string;
  close: () => Promise<void>;
}> {
  const hello = express();
  hello.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  if (answers) {
    hello.get('/contacts/:id', (req, res) => {
      const answer = answers.get(req.params.id);
      if (answer === undefined) res.status(404).json({ error: 'not found' });
      else res.json(answer);
    });
  }
  const created = new Date().toISOString();
  hello.post('/echo', express.json(), (req, res) => {
    const body = req.body as { email?: unknown; data?: unknown };
    res.json({
      id: '019aea3c-7b1e-7c4e-9a51-3f2d8e6b1c0a',
      email: body.email,
      subscribed: true,
      data: body.data,
      projectId: '019aea3c-7b1e-7c4e-9a51-000000000001',
      createdAt: created,
      updatedAt: new Date().toISOString(),
      _meta: { isNew: false, isUpdate: true },
    });
  });
  // The same echo for `POST /v1/track` bodies, answered in track's shape (`success` and the
  // contact's id, the event's id and its time): the baseline of `POST /v1/track`.
  hello.post('/track-echo', express.json(), (req, res) => {
    const body = req.body as { event?: unknown; email?: unknown };
    if (typeof body.event !== 'string' || typeof body.email !== 'string') {
      res.status(400).json({ error: 'event and email required' });
      return;
    }
    res.json({
      success: true,
      data: {
        contact: '019aea3c-7b1e-7c4e-9a51-3f2d8e6b1c0a',
        event: '019aea3c-7b1e-7c4e-9a51-3f2d8e6b1c0b',
        timestamp: new Date().toISOString(),
      },
    });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = hello.listen(0, '127.0.0.1', () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/hello`,
    jsonUrl: `${origin}/echo`,
    memoryUrl: `${origin}/contacts`,
    trackJsonUrl: `${origin}/track-echo`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
