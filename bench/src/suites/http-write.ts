import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { startServer } from '@roster/server';
import express from 'express';
import type { BenchContext } from '../context.js';
import { emailOf } from '../data.js';
import { freshDatabase } from '../fixtures.js';
import { result } from '../report.js';

interface Load {
  requestsPerSecond: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(ctx: BenchContext, spec: Record<string, unknown>): Promise<Load> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@roster/source',
      '--import',
      'tsx',
      join(ctx.root, 'bench/src/load-client.ts'),
      JSON.stringify(spec),
    ],
    { cwd: join(ctx.root, 'bench'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load client exited ${code}: ${err.slice(-2000)}`);
  const l = JSON.parse(out.trim().split('\n').at(-1)!) as Load;
  if (l.errors > 0 || l.non2xx > 0)
    throw new Error(`load on ${spec.url}: ${l.errors} errors, ${l.non2xx} non-2xx`);
  return l;
}

/** A roster server on a fresh SQLite file, with group commit on or off. */
async function serve(path: string, groupCommit: boolean) {
  const { projectId } = await freshDatabase(path);
  const roster = await createRoster({ database: path, sqlite: { groupCommit } });
  const { key } = await roster.keys.create(projectId);
  const server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: () => {} });
  return {
    url: `${server.url}/contacts`,
    auth: { Authorization: `Bearer ${key}` },
    async close() {
      await server.close();
      await roster.close();
    },
  };
}

/**
 * `POST /contacts` (upserts of 1 000 emails, 50 connections) with group commit, against the same
 * server writing one transaction per request and against Express hello world, interleaved
 * (hello, grouped, one-by-one, hello, ...) so machine noise hits every side.
 */
export async function httpWriteSuite(ctx: BenchContext): Promise<void> {
  const hello = express();
  hello.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  const helloServer = await new Promise<import('node:http').Server>((resolve) => {
    const s = hello.listen(0, '127.0.0.1', () => resolve(s));
  });
  const helloUrl = `http://127.0.0.1:${(helloServer.address() as import('node:net').AddressInfo).port}/hello`;
  const emails = Array.from({ length: 1000 }, (_, i) => emailOf(i));
  const seconds = ctx.sizes.loadSeconds;
  const h: Load[] = [];
  const grouped: Load[] = [];
  const single: Load[] = [];
  try {
    await load(ctx, { url: helloUrl, method: 'GET', headers: {}, connections: 50, seconds: 1 });
    for (let run = 0; run < ctx.runs; run++) {
      h.push(await load(ctx, { url: helloUrl, method: 'GET', headers: {}, connections: 50, seconds }));
      for (const [groupCommit, out] of [
        [true, grouped],
        [false, single],
      ] as const) {
        const app = await serve(join(ctx.dir, 'http-write.db'), groupCommit);
        try {
          await load(ctx, {
            url: app.url,
            method: 'POST',
            headers: app.auth,
            connections: 50,
            seconds: 1,
            emails,
          });
          out.push(
            await load(ctx, {
              url: app.url,
              method: 'POST',
              headers: app.auth,
              connections: 50,
              seconds,
              emails,
            }),
          );
        } finally {
          await app.close();
        }
      }
      ctx.log(
        `  run ${run + 1}: hello ${h.at(-1)!.requestsPerSecond.toFixed(0)} req/s, POST grouped ${grouped.at(-1)!.requestsPerSecond.toFixed(0)}, POST one tx each ${single.at(-1)!.requestsPerSecond.toFixed(0)}`,
      );
    }
  } finally {
    await new Promise((r) => helloServer.close(r));
  }
  const rps = (loads: Load[]) => loads.map((l) => l.requestsPerSecond);
  ctx.add(
    result({
      name: 'HTTP POST /contacts upsert, group commit (autocannon 50 conn)',
      unit: 'req/s',
      better: 'higher',
      values: rps(grouped),
      baseline: { name: 'Express 5 hello world (same run, interleaved)', values: rps(h) },
      minRatio: 0.5,
    }),
  );
  ctx.add(
    result({
      name: 'HTTP POST /contacts upsert, group commit vs one transaction per write',
      unit: 'req/s',
      better: 'higher',
      values: rps(grouped),
      baseline: { name: 'same server, sqlite.groupCommit off', values: rps(single) },
    }),
  );
  ctx.add(
    result({
      name: 'HTTP POST /contacts p99, group commit',
      unit: 'ms',
      better: 'lower',
      values: grouped.map((l) => l.p99),
      baseline: { name: 'hello world p99', values: h.map((l) => l.p99) },
      note: 'target: p99 <= 2 x hello world p99 (ratio >= 0.5)',
      minRatio: 0.5,
    }),
  );
}
