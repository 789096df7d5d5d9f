import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { startServer } from '@roster/server';
import type { BenchContext } from '../context.js';
import { emailOf } from '../data.js';
import { freshDatabase } from '../fixtures.js';
import { type Load, runLoad, startHelloWorld } from '../http-load.js';
import { result } from '../report.js';

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
 * server writing one transaction per request, against Express parsing the same JSON bodies and
 * answering a contact-sized JSON object (the target's baseline, see `startHelloWorld`) and against
 * Express hello world, interleaved (hello, JSON echo, grouped, one-by-one, hello, ...) so machine
 * noise hits every side.
 */
export async function httpWriteSuite(ctx: BenchContext): Promise<void> {
  const hello = await startHelloWorld();
  const helloUrl = hello.url;
  const emails = Array.from({ length: 1000 }, (_, i) => emailOf(i));
  const seconds = ctx.sizes.loadSeconds;
  const h: Load[] = [];
  const j: Load[] = [];
  const grouped: Load[] = [];
  const single: Load[] = [];
  try {
    const json = { url: hello.jsonUrl, method: 'POST', headers: {}, connections: 50, emails };
    await runLoad(ctx, { url: helloUrl, method: 'GET', headers: {}, connections: 50, seconds: 1 });
    await runLoad(ctx, { ...json, seconds: 1 });
    for (let run = 0; run < ctx.runs; run++) {
      h.push(await runLoad(ctx, { url: helloUrl, method: 'GET', headers: {}, connections: 50, seconds }));
      j.push(await runLoad(ctx, { ...json, seconds }));
      for (const [groupCommit, out] of [
        [true, grouped],
        [false, single],
      ] as const) {
        const app = await serve(join(ctx.dir, 'http-write.db'), groupCommit);
        try {
          await runLoad(ctx, {
            url: app.url,
            method: 'POST',
            headers: app.auth,
            connections: 50,
            seconds: 1,
            emails,
          });
          out.push(
            await runLoad(ctx, {
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
        `  run ${run + 1}: hello ${h.at(-1)!.requestsPerSecond.toFixed(0)} req/s, JSON echo ${j.at(-1)!.requestsPerSecond.toFixed(0)}, POST grouped ${grouped.at(-1)!.requestsPerSecond.toFixed(0)}, POST one tx each ${single.at(-1)!.requestsPerSecond.toFixed(0)}`,
      );
    }
  } finally {
    await hello.close();
  }
  const rps = (loads: Load[]) => loads.map((l) => l.requestsPerSecond);
  ctx.add(
    result({
      name: 'HTTP POST /contacts upsert, group commit (autocannon 50 conn)',
      unit: 'req/s',
      better: 'higher',
      values: rps(grouped),
      baseline: {
        name: 'Express 5 JSON echo: express.json() body, contact-sized JSON answer (same run, interleaved)',
        values: rps(j),
      },
      minRatio: 0.5,
    }),
  );
  // The same loads against hello world, the baseline before the JSON echo: reported, no target.
  ctx.add(
    result({
      name: 'HTTP POST /contacts upsert, group commit vs hello world (autocannon 50 conn)',
      unit: 'req/s',
      better: 'higher',
      values: rps(grouped),
      baseline: { name: 'Express 5 hello world (same run, interleaved)', values: rps(h) },
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
