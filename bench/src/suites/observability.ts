import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { contactIdText, createRoster } from '@roster/core';
import { createMetrics } from '@roster/express';
import { createServerLogger, startServer } from '@roster/server';
import type { BenchContext } from '../context.js';
import { freshDatabase, openRaw, seedContacts } from '../fixtures.js';
import { type Load, runLoad } from '../http-load.js';
import { result } from '../report.js';

/**
 * `GET /contacts/:id` (50 connections) on one roster served twice in the same process: once with
 * JSON request logging (pino, written to /dev/null) and Prometheus metrics (prom-client, a scrape
 * every second), once with both off. Loads alternate (off, on, off, on, ...) so machine noise hits
 * both sides; the ratio is on / off (goal >= 0.95), in req/s and in the server's CPU time per request.
 */
export async function observabilitySuite(ctx: BenchContext): Promise<void> {
  const path = join(ctx.dir, 'observability.db');
  const { projectId } = await freshDatabase(path);
  const contacts = ctx.quick ? 20_000 : 100_000;
  const raw = openRaw(path);
  try {
    seedContacts(raw, projectId, 0, contacts);
  } finally {
    raw.close();
  }
  const sink = createWriteStream('/dev/null');
  const logger = createServerLogger({ format: 'json', level: 'info', destination: sink });
  const roster = await createRoster({ database: path, logger });
  const metrics = createMetrics(roster);
  const { key } = await roster.keys.create(projectId);
  const raw2 = openRaw(path);
  const ids = (
    raw2
      .prepare(
        'select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) limit 1000',
      )
      .all(projectId) as {
      id: unknown;
    }[]
  ).map((row) => contactIdText(row.id));
  raw2.close();
  const plain = await startServer({ roster, port: 0, host: '127.0.0.1', onError: () => {} });
  const observed = await startServer({
    roster,
    port: 0,
    host: '127.0.0.1',
    onError: () => {},
    logger,
    metrics,
  });
  // Prometheus scrapes now and then: every second here, so the scrape's work is part of the cost.
  const scraper = setInterval(() => void metrics.registry.metrics(), 1000);
  const auth = { Authorization: `Bearer ${key}` };
  const base = { connections: 50, seconds: ctx.sizes.loadSeconds, headers: auth, method: 'GET', ids };
  const off: Load[] = [];
  const on: Load[] = [];
  // The server's CPU time per answered request (this process serves; autocannon runs in a child):
  // less shaken than req/s when other work shares the cores.
  const offCpu: number[] = [];
  const onCpu: number[] = [];
  const measured = async (spec: Record<string, unknown>, cpu: number[]): Promise<Load> => {
    const before = process.cpuUsage();
    const load = await runLoad(ctx, spec);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / load.total);
    return load;
  };
  try {
    // Warm both (JIT, statement caches), then alternate.
    await runLoad(ctx, { ...base, seconds: 1, url: `${plain.url}/contacts` });
    await runLoad(ctx, { ...base, seconds: 1, url: `${observed.url}/contacts` });
    for (let run = 0; run < ctx.runs; run++) {
      off.push(await measured({ ...base, url: `${plain.url}/contacts` }, offCpu));
      on.push(await measured({ ...base, url: `${observed.url}/contacts` }, onCpu));
      ctx.log(
        `  run ${run + 1}: GET /contacts/:id off ${off.at(-1)!.requestsPerSecond.toFixed(0)} req/s (${offCpu.at(-1)!.toFixed(0)} µs CPU/request), with logs and metrics ${on.at(-1)!.requestsPerSecond.toFixed(0)} req/s (${onCpu.at(-1)!.toFixed(0)} µs CPU/request)`,
      );
    }
    ctx.add(
      result({
        name: 'HTTP GET /contacts/:id with JSON logs + metrics (autocannon 50 conn)',
        unit: 'req/s',
        better: 'higher',
        values: on.map((l) => l.requestsPerSecond),
        baseline: {
          name: 'same server, logs and metrics off (same run)',
          values: off.map((l) => l.requestsPerSecond),
        },
        minRatio: 0.95,
      }),
    );
    ctx.add(
      result({
        name: 'HTTP GET /contacts/:id server CPU per request, with JSON logs + metrics',
        unit: 'µs',
        better: 'lower',
        values: onCpu,
        baseline: { name: 'same server, logs and metrics off (same run)', values: offCpu },
        minRatio: 0.95,
      }),
    );
  } finally {
    clearInterval(scraper);
    await plain.close();
    await observed.close();
    metrics.close();
    await roster.close();
    sink.end();
  }
}
