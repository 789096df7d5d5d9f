import { join } from 'node:path';
import { createRoster, type Roster } from '@roster/core';
import type { BenchContext } from '../context.js';
import { freshDatabase, untilJobsDrained } from '../fixtures.js';
import { percentile, result } from '../report.js';

/** A started roster with default job settings on a fresh SQLite file. */
async function startedRoster(path: string): Promise<{ roster: Roster; projectId: string }> {
  const { projectId } = await freshDatabase(path);
  const roster = await createRoster({ database: path, jobs: { autoStart: true, onError: () => {} } });
  return { roster, projectId };
}

/**
 * An app importing many small lists: `n` one-row CSVs enqueued one after the other through
 * `roster.imports.enqueue` while the runner (default settings) works; jobs/s from the first
 * enqueue until the last job is completed.
 */
async function drain(path: string, n: number): Promise<{ rate: number; cpuMs: number }> {
  const { roster, projectId } = await startedRoster(path);
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      await roster.imports.enqueue(projectId, {
        file: Buffer.from(`email,plan\nuser${i}@example.com,pro\n`),
      });
    }
    await untilJobsDrained(roster);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const done = await roster.db
      .selectFrom('roster_jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'completed')
      .executeTakeFirstOrThrow();
    if (Number(done.n) !== n) throw new Error(`${done.n} of ${n} jobs completed`);
    return { rate: n / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / n };
  } finally {
    await roster.close();
  }
}

/**
 * Enqueue → running with an idle runner (default settings): the time from calling `enqueue`
 * until the job's handler starts, one job at a time. Returns the samples in ms.
 */
async function pickupLatency(path: string, samples: number): Promise<number[]> {
  const { projectId } = await freshDatabase(path);
  const roster = await createRoster({ database: path, jobs: { onError: () => {} } });
  let started: (() => void) | null = null;
  roster.jobs.register({
    type: 'bench-mark',
    async run() {
      started?.();
      return null;
    },
  });
  await roster.jobs.start();
  try {
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const t0 = performance.now();
      await roster.jobs.enqueue(projectId, 'bench-mark', { i });
      await running;
      out.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 5)); // let the job complete: the runner is idle again
    }
    return out;
  } finally {
    await roster.close();
  }
}

export async function jobsSuite(ctx: BenchContext): Promise<void> {
  const path = join(ctx.dir, 'jobs.db');
  const n = ctx.sizes.drainJobs;
  const rates: number[] = [];
  const cpuMs: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const drained = await drain(path, n);
    rates.push(drained.rate);
    cpuMs.push(drained.cpuMs);
    const latencies = await pickupLatency(path, ctx.quick ? 50 : 200);
    p50s.push(percentile(latencies, 50));
    p99s.push(percentile(latencies, 99));
    ctx.log(
      `  run ${run + 1}: ${rates.at(-1)!.toFixed(0)} jobs/s drained (${cpuMs.at(-1)!.toFixed(2)} ms CPU per job); enqueue→running p50 ${p50s.at(-1)!.toFixed(2)} ms, p99 ${p99s.at(-1)!.toFixed(2)} ms`,
    );
  }
  ctx.add(
    result({
      name: `${n} one-row import jobs enqueued and drained (default settings, SQLite file)`,
      unit: 'jobs/s',
      better: 'higher',
      values: rates,
      minValue: 100,
    }),
  );
  ctx.add(
    result({
      name: 'CPU time per one-row import job drained (enqueue + run, whole process)',
      unit: 'ms',
      better: 'lower',
      values: cpuMs,
      note: 'load-independent: 1000 / value is the jobs/s one free core could drain',
    }),
  );
  ctx.add(
    result({
      name: 'enqueue → running p50 (idle runner, default settings)',
      unit: 'ms',
      better: 'lower',
      values: p50s,
      maxValue: 20,
    }),
  );
  ctx.add(
    result({
      name: 'enqueue → running p99 (idle runner, default settings)',
      unit: 'ms',
      better: 'lower',
      values: p99s,
    }),
  );
}
