import { cpus } from 'node:os';
import { createRoster } from '@roster/core';
import { spawnBenchScript } from '../bench-script.js';
import type { BenchContext } from '../context.js';
import { machineBusy } from '../load.js';
import { median, result } from '../report.js';
import { freshPgSchema } from './postgres.js';
import { receiver } from './webhooks.js';

/** Upserts each writer process keeps in flight (a server process answering a few requests at once). */
const IN_FLIGHT = 4;

interface Writer {
  go(): void;
  /** The writer's own CPU microseconds while it wrote, once it has finished. */
  done: Promise<number>;
}

/** Starts one writer process (bench/src/outbox-writer.ts); resolves once it is ready to write. */
async function startWriter(ctx: BenchContext, spec: Record<string, unknown>): Promise<Writer> {
  const child = spawnBenchScript(ctx, 'outbox-writer.ts', spec, 'pipe');
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready\n')) resolve();
    });
  });
  const done = new Promise<number>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`outbox writer exited ${code}: ${err.slice(-2000)}`));
      else resolve(Number(out.trim().split('\n').at(-1)!.split(' ')[1]));
    });
  });
  await Promise.race([ready, done]);
  return { go: () => child.stdin.end('go\n'), done };
}

/**
 * `processes` writer processes upsert `total` distinct contacts between them, in a fresh schema
 * with one webhook endpoint subscribed to every event (each process runs the fan-out and the
 * deliveries with its job runner). Returns upserts per second, wall time from the start signal
 * until the last writer finished; the cores the whole machine kept busy meanwhile (the PostgreSQL
 * server and the webhook receiver included); and the writers' own CPU per upsert.
 */
async function upsertRate(ctx: BenchContext, pgUrl: string, processes: number, total: number) {
  const schema = await freshPgSchema(pgUrl);
  const hook = await receiver(() => {});
  try {
    const roster = await createRoster({ database: schema.url, webhooks: { allowPrivateTargets: true } });
    let projectId: string;
    try {
      projectId = (await roster.projects.ensure('bench')).id;
      await roster.webhooks.create(projectId, { url: hook.url, eventTypes: ['*'] });
    } finally {
      await roster.close();
    }
    const share = Math.ceil(total / processes);
    const writers = await Promise.all(
      Array.from({ length: processes }, (_, p) =>
        startWriter(ctx, {
          url: schema.url,
          projectId,
          from: p * share,
          count: Math.min(share, total - p * share),
          inFlight: IN_FLIGHT,
        }),
      ),
    );
    const busy = machineBusy();
    const t0 = performance.now();
    for (const writer of writers) writer.go();
    const cpu = await Promise.all(writers.map((w) => w.done));
    const rate = total / ((performance.now() - t0) / 1000);
    const writerCpuUs = cpu.reduce((a, b) => a + b, 0) / total;
    return { rate, cores: busy(), writerCpuUs };
  } finally {
    await hook.close();
    await schema.drop();
  }
}

/**
 * `pnpm bench --pg postgres://... --only pg-outbox`: single upserts with webhooks on through three
 * processes against one process, interleaved run by run (same rows, same total): whether writes
 * scale with processes now that appends to the outbox take no global lock.
 */
export function pgOutboxSuite(pgUrl: string) {
  return async (ctx: BenchContext): Promise<void> => {
    const total = ctx.quick ? 900 : 3000;
    const one: number[] = [];
    const three: number[] = [];
    const ceilings: number[] = [];
    const cpuOne: number[] = [];
    const cpuThree: number[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      const a = await upsertRate(ctx, pgUrl, 1, total);
      const b = await upsertRate(ctx, pgUrl, 3, total);
      one.push(a.rate);
      three.push(b.rate);
      cpuOne.push(a.writerCpuUs);
      cpuThree.push(b.writerCpuUs);
      // The 3-process run costs the whole machine b.cores / b.rate core-seconds an upsert: with every
      // core busy at that cost it could reach cores × b.rate / b.cores upserts/s, and no more (on a
      // quiet machine; others' work lowers it further). As a ratio to the 1-process rate:
      if (b.cores) ceilings.push((cpus().length * b.rate) / b.cores / a.rate);
      ctx.log(
        `  run ${run + 1}: ${total} upserts, 1 process ${a.rate.toFixed(0)}/s (machine ${a.cores ?? '?'} of ${cpus().length} cores busy, writer CPU ${a.writerCpuUs.toFixed(0)} µs/upsert), 3 processes ${b.rate.toFixed(0)}/s (${b.cores ?? '?'} cores busy, writers' CPU ${b.writerCpuUs.toFixed(0)} µs/upsert)`,
      );
    }
    ctx.add(
      result({
        name: `PostgreSQL: ${total} upserts of distinct contacts with a webhook endpoint on every event, 3 processes (${IN_FLIGHT} in flight each)`,
        unit: 'upserts/s',
        better: 'higher',
        values: three,
        baseline: { name: `the same upserts through 1 process (${IN_FLIGHT} in flight)`, values: one },
        minRatio: 2,
        note:
          `writers' own CPU per upsert (fan-out and deliveries included), median: 1 process ${median(cpuOne).toFixed(0)} µs, ` +
          `3 processes ${median(cpuThree).toFixed(0)} µs; the most 3 processes could reach on this machine's cores ` +
          `at their measured machine-wide CPU per upsert (PostgreSQL included), as a ratio to 1 process, median: ` +
          `${ceilings.length ? `${median(ceilings).toFixed(2)}×` : 'unknown (no /proc)'}`,
      }),
    );
  };
}
