/**
 * Where a CSV import spends its time (not part of `pnpm bench`):
 *
 *   node --conditions=@roster/source --import tsx bench/src/profile-import.ts [bytes] [--worker]
 *
 * Writes the import suite's CSV (5 MB unless `bytes` says otherwise; 20 % of its emails already
 * stored), posts it to `POST /contacts/import` of a server in this process and polls it to
 * `completed`, as the `import-http` suite does. Prints the main thread's CPU profile (top frames by
 * self and inclusive time, per row) and the SQLite statements run (by SQL text, with their summed
 * time): the split between parsing, roster's JavaScript per row and SQLite. `--worker` parses the
 * CSV in a worker thread whatever its size (`imports.workerMinBytes: 0`); without it the default
 * decides (a worker from 4.5 MiB, so for the 5 MB file).
 * Writes the profile to /tmp/roster-profile-import.cpuprofile.
 *
 * `--triggers [--rounds=N]` measures instead what the daily-count triggers of migration 0019 cost the
 * import's writes: the raw prepared upsert (the import suites' baseline) and roster's HTTP import,
 * each on a fresh database with the triggers and on one with them dropped, interleaved round by
 * round (3 rounds unless `--rounds` says otherwise); prints each run and the medians.
 *
 * `--split [--rounds=N]` measures the process's CPU time per row (load-independent, unlike wall
 * time) of the parts of an import as `roster import` runs it (in this process: `enqueueFromPath`,
 * then `jobs.runJob`, parsing in this thread), interleaved round by round: csv-parse alone; a dry
 * run (parse, row checks and normalisation, one read per batch); the raw prepared upsert with and
 * without the daily-count triggers; the whole import with and without them.
 *
 * `--phases [--rounds=N]` times the phases of the HTTP import (wall ms from the upload's start, as the
 * suite times it): the upload's answer, the first and last run of every SQLite statement (the file's
 * chunks stored and read, the job's claim, the contacts' upserts, the commits, the completion, the
 * file's delete) and the poll that saw `completed`; round by round after a raw upsert of the same rows,
 * with the process's CPU per row of both and the load average. Prints each round's milestones, their
 * medians and the last round's whole timeline.
 *
 * `--worker-ab=<bytes>,<bytes>,... [--rounds=N]` chooses `imports.workerMinBytes`: for each file size,
 * round by round, the raw prepared upsert, then roster's HTTP import with the CSV parsed in the job's
 * thread (`parseInWorker: false`) and in a worker (`workerMinBytes: 0`), the two in alternating
 * order; prints each run (rows/s and the process's CPU µs per row, the worker's included) and the
 * medians of the ratios to the raw upsert of the same round. A size where the worker's median ratio
 * is higher belongs above the threshold.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { parse } from 'csv-parse/sync';
import { freshDatabase, openRaw, rawUpsert, seedPreexisting, tempDir, writeCsv } from './fixtures.js';
import { type Profile, summarise } from './profile-summary.js';
import { statementCounter } from './statement-counter.js';
import { httpImport } from './suites/imports.js';

const args = process.argv.slice(2);
const bytes = Number(args.find((a) => /^\d+$/.test(a)) ?? 5_000_000);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
const worker = args.includes('--worker');
const triggers = args.includes('--triggers');
const split = args.includes('--split');
const phases = args.includes('--phases');
const workerAb = args
  .find((a) => a.startsWith('--worker-ab='))
  ?.slice(12)
  .split(',')
  .map(Number);
/** The triggers of migration 0019 (the overview's daily counts) on `roster_contacts`. */
const DAILY_TRIGGERS = [
  'roster_contacts_daily_insert',
  'roster_contacts_daily_delete',
  'roster_contacts_daily_subscribed',
];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const counter = statementCounter(120);
const counts = counter.counts;

const { dir, cleanup } = tempDir();
try {
  const csvPath = join(dir, 'import.csv');
  const rows = await writeCsv(csvPath, bytes);
  const csv = readFileSync(csvPath);
  const dbPath = join(dir, 'import.db');
  const prepare = async (withTriggers: boolean, seedRows = rows) => {
    const { projectId } = await freshDatabase(dbPath);
    seedPreexisting(dbPath, projectId, seedRows);
    if (!withTriggers) {
      const db = openRaw(dbPath);
      for (const name of DAILY_TRIGGERS) db.exec(`drop trigger ${name}`);
      db.close();
    }
    return projectId;
  };
  if (workerAb) {
    type Side = { rate: number[]; ratio: number[]; cpu: number[] };
    const side = (): Side => ({ rate: [], ratio: [], cpu: [] });
    const sizes = await Promise.all(
      workerAb.map(async (size) => {
        const path = join(dir, `import-${size}.csv`);
        const n = await writeCsv(path, size);
        return { size, rows: n, csv: readFileSync(path), raw: side(), thread: side(), worker: side() };
      }),
    );
    const variants = {
      thread: { parseInWorker: false },
      worker: { workerMinBytes: 0 },
    } as const;
    // Warm-up, not counted: the first import of a process pays for loading and compiling code.
    for (const variant of Object.values(variants)) {
      const s = sizes[0]!;
      await httpImport(dbPath, await prepare(true, s.rows), s.csv, s.rows, variant);
    }
    for (let round = 0; round < rounds; round++) {
      for (const s of sizes) {
        const cpuOf = async (into: Side, run: () => number | Promise<number>) => {
          const cpu0 = process.cpuUsage();
          into.rate.push(await run());
          const cpu = process.cpuUsage(cpu0);
          into.cpu.push((cpu.user + cpu.system) / s.rows);
        };
        const raw = await prepare(true, s.rows);
        await cpuOf(s.raw, () => rawUpsert(dbPath, raw, s.rows));
        const order = round % 2 === 0 ? (['thread', 'worker'] as const) : (['worker', 'thread'] as const);
        for (const name of order) {
          const projectId = await prepare(true, s.rows);
          await cpuOf(s[name], () => httpImport(dbPath, projectId, s.csv, s.rows, variants[name]));
          s[name].ratio.push(s[name].rate.at(-1)! / s.raw.rate.at(-1)!);
        }
        console.log(
          `round ${round + 1}, ${s.size} B (${s.rows} rows), load ${loadavg()[0]!.toFixed(1)}: raw ${s.raw.rate.at(-1)!.toFixed(0)} rows/s; ` +
            `thread ${s.thread.rate.at(-1)!.toFixed(0)} (${s.thread.ratio.at(-1)!.toFixed(3)}×, ${s.thread.cpu.at(-1)!.toFixed(1)} µs CPU/row); ` +
            `worker ${s.worker.rate.at(-1)!.toFixed(0)} (${s.worker.ratio.at(-1)!.toFixed(3)}×, ${s.worker.cpu.at(-1)!.toFixed(1)} µs CPU/row)`,
        );
      }
    }
    console.log(`\nmedians of ${rounds} rounds (ratio to the raw upsert of the same round):`);
    for (const s of sizes) {
      console.log(
        `  ${s.size} B: raw ${median(s.raw.rate).toFixed(0)} rows/s; thread ${median(s.thread.ratio).toFixed(3)}× ` +
          `(${median(s.thread.rate).toFixed(0)} rows/s, ${median(s.thread.cpu).toFixed(1)} µs CPU/row); worker ` +
          `${median(s.worker.ratio).toFixed(3)}× (${median(s.worker.rate).toFixed(0)} rows/s, ${median(s.worker.cpu).toFixed(1)} µs CPU/row)`,
      );
    }
  } else if (phases) {
    // Milestones: a label and the SQL text it starts with (first or last run of it).
    const milestones: [string, 'first' | 'last', string][] = [
      ['file: first chunk stored', 'first', 'insert into "roster_file_chunks"'],
      ['file: last chunk stored', 'last', 'insert into "roster_file_chunks"'],
      ['job: queued', 'first', 'insert into "roster_jobs"'],
      ['file: first chunk read', 'first', 'select "seq", "bytes" from "roster_file_chunks"'],
      ['contacts: first upsert', 'first', 'insert into "roster_contacts"'],
      ['contacts: last upsert', 'last', 'insert into "roster_contacts"'],
      ['file: deleted', 'first', 'delete from "roster_file_chunks"'],
    ];
    const table = new Map<string, number[]>();
    const push = (label: string, value: number) => table.set(label, [...(table.get(label) ?? []), value]);
    await httpImport(dbPath, await prepare(true), csv, rows); // warm-up, not counted
    for (let round = 0; round < rounds; round++) {
      const rawProject = await prepare(true);
      const load0 = loadavg()[0]!;
      let cpu0 = process.cpuUsage();
      const rawRate = rawUpsert(dbPath, rawProject, rows);
      let cpu = process.cpuUsage(cpu0);
      const rawCpu = (cpu.user + cpu.system) / rows;
      const projectId = await prepare(true);
      counts.clear();
      const times: { start?: number; answered?: number; completed?: number } = {};
      counter.counting = true;
      cpu0 = process.cpuUsage();
      const rate = await httpImport(dbPath, projectId, csv, rows, undefined, times);
      cpu = process.cpuUsage(cpu0);
      counter.counting = false;
      const start = times.start!;
      const at = (label: string, value: number) => {
        push(label, value - start);
        return `${label} ${(value - start).toFixed(0)}`;
      };
      const parts = [at('upload answered', times.answered!)];
      for (const [label, which, prefix] of milestones) {
        const entry = [...counts].find(([text]) => text.startsWith(prefix))?.[1];
        if (entry) parts.push(at(label, entry[which]));
      }
      const commits = counts.get('commit');
      if (commits) parts.push(at('last commit', commits.last));
      parts.push(at('completed seen by the poll', times.completed!));
      push('raw upsert (ms)', (rows / rawRate) * 1000);
      push('ratio', rate / rawRate);
      console.log(
        `round ${round + 1} (load ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}): raw ${rawRate.toFixed(0)} rows/s ` +
          `(${rawCpu.toFixed(1)} µs CPU/row), HTTP ${rate.toFixed(0)} rows/s (${((cpu.user + cpu.system) / rows).toFixed(1)} µs CPU/row), ` +
          `${(rate / rawRate).toFixed(3)}×\n  ms from the upload's start: ${parts.join('; ')}`,
      );
    }
    console.log(`\nmedians of ${rounds} rounds:`);
    for (const [label, values] of table)
      console.log(
        `  ${median(values)
          .toFixed(label === 'ratio' ? 3 : 0)
          .padStart(8)}  ${label}`,
      );
    console.log(
      '\nlast round, every statement (ms from the first statement: first run, last run; calls, summed ms):',
    );
    const t0 = Math.min(...[...counts.values()].map((e) => e.first));
    for (const [text, e] of [...counts].sort((a, b) => a[1].first - b[1].first)) {
      console.log(
        `  ${(e.first - t0).toFixed(0).padStart(6)} ${(e.last - t0).toFixed(0).padStart(6)} ${String(e.calls).padStart(5)}x ${e.ms.toFixed(1).padStart(8)} ms  ${text}`,
      );
    }
  } else if (split) {
    const cpuOf = async (run: () => unknown) => {
      const cpu0 = process.cpuUsage();
      await run();
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / rows;
    };
    /** The import as `roster import` runs it, on a database prepared by `prepare`. */
    const rosterImport = async (dryRun: boolean) => {
      const roster = await createRoster({
        database: dbPath,
        jobs: { autoStart: false },
        imports: { parseInWorker: false },
      });
      try {
        const projectId = (await roster.projects.ensure('bench')).id;
        return await cpuOf(async () => {
          if (dryRun) return roster.imports.dryRunFromPath(projectId, csvPath);
          const { job } = await roster.imports.enqueueFromPath(projectId, csvPath);
          const done = await roster.jobs.runJob(projectId, job.id);
          if (done.status !== 'completed') throw new Error(`import ${done.status}`);
        });
      } finally {
        await roster.close();
      }
    };
    const parts: Record<string, () => Promise<number>> = {
      'csv-parse alone (sync, whole file)': () =>
        cpuOf(() => parse(csv, { relax_column_count: true, skip_empty_lines: true })),
      'dry run: parse + row checks + one read per batch': async () => {
        await prepare(true);
        return rosterImport(true);
      },
      'raw prepared upsert, daily triggers on': async () => {
        const projectId = await prepare(true);
        return cpuOf(() => rawUpsert(dbPath, projectId, rows));
      },
      'raw prepared upsert, daily triggers dropped': async () => {
        const projectId = await prepare(false);
        return cpuOf(() => rawUpsert(dbPath, projectId, rows));
      },
      'roster import (enqueueFromPath + runJob), daily triggers on': async () => {
        await prepare(true);
        return rosterImport(false);
      },
      'roster import, daily triggers dropped': async () => {
        await prepare(false);
        return rosterImport(false);
      },
    };
    const cpu = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(parts)) {
        const value = await run();
        cpu.set(name, [...(cpu.get(name) ?? []), value]);
      }
      console.log(`round ${round + 1} done (load average ${loadavg()[0]!.toFixed(1)})`);
    }
    console.log(`\nCPU µs per row, ${rows} rows (median of ${rounds}; each run):`);
    for (const [name, values] of cpu) {
      console.log(
        `  ${median(values).toFixed(1).padStart(7)}  ${name}  (${values.map((v) => v.toFixed(1)).join(', ')})`,
      );
    }
  } else if (triggers) {
    // Rows/s (wall) and the process's CPU µs per row (this process runs all of it: the raw
    // statement, or the server, the job and the client), [with, without] the triggers.
    type Runs = { rate: number[][]; cpu: number[][] };
    const runs: Record<'raw' | 'roster', Runs> = {
      raw: { rate: [[], []], cpu: [[], []] },
      roster: { rate: [[], []], cpu: [[], []] },
    };
    const measure = async (into: Runs, k: number, run: () => number | Promise<number>) => {
      const cpu0 = process.cpuUsage();
      into.rate[k]!.push(await run());
      const cpu = process.cpuUsage(cpu0);
      into.cpu[k]!.push((cpu.user + cpu.system) / rows);
    };
    for (let round = 0; round < rounds; round++) {
      for (const [k, withTriggers] of [true, false].entries()) {
        const raw = await prepare(withTriggers);
        await measure(runs.raw, k, () => rawUpsert(dbPath, raw, rows));
        const project = await prepare(withTriggers);
        await measure(runs.roster, k, () => httpImport(dbPath, project, csv, rows));
      }
      const last = (side: Runs, k: number) =>
        `${side.rate[k]!.at(-1)!.toFixed(0)} rows/s (${side.cpu[k]!.at(-1)!.toFixed(1)} µs CPU/row)`;
      console.log(
        `round ${round + 1}: raw ${last(runs.raw, 0)} with the daily triggers, ${last(runs.raw, 1)} without; roster HTTP ${last(runs.roster, 0)} with, ${last(runs.roster, 1)} without`,
      );
    }
    for (const side of ['raw', 'roster'] as const) {
      const [rateWith, rateWithout] = runs[side].rate.map(median) as [number, number];
      const [cpuWith, cpuWithout] = runs[side].cpu.map(median) as [number, number];
      console.log(
        `${side}: medians ${rateWith.toFixed(0)} rows/s and ${cpuWith.toFixed(1)} µs CPU/row with the triggers, ${rateWithout.toFixed(0)} rows/s and ${cpuWithout.toFixed(1)} µs without: +${((rateWithout / rateWith - 1) * 100).toFixed(0)} % wall time, +${((cpuWith / cpuWithout - 1) * 100).toFixed(0)} % CPU per row with them`,
      );
    }
  } else {
    const projectId = await prepare(true);

    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    counter.counting = true;
    const cpu0 = process.cpuUsage();
    const rate = await httpImport(dbPath, projectId, csv, rows, worker ? { workerMinBytes: 0 } : undefined);
    const cpu = process.cpuUsage(cpu0);
    counter.counting = false;
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    session.disconnect();
    writeFileSync('/tmp/roster-profile-import.cpuprofile', JSON.stringify(profile));

    console.log(
      `${rows} rows, ${(csv.byteLength / 1e6).toFixed(1)} MB: ${rate.toFixed(0)} rows/s; process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (${((cpu.user + cpu.system) / rows).toFixed(1)} µs/row)`,
    );
    const statements = [...counts].sort((a, b) => b[1].ms - a[1].ms);
    const sqlMs = statements.reduce((sum, [, e]) => sum + e.ms, 0);
    console.log(
      `\nSQLite statements: ${sqlMs.toFixed(0)} ms in all (${((sqlMs * 1000) / rows).toFixed(1)} µs/row)`,
    );
    for (const [text, e] of statements.slice(0, 25)) {
      console.log(`  ${e.ms.toFixed(1).padStart(9)} ms ${String(e.calls).padStart(7)}x  ${text}`);
    }
    summarise(profile, rows, join(import.meta.dirname, '../..'), 'row');
  }
} finally {
  cleanup();
}
