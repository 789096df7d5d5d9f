import { spawn } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRoster, isValidEmail, normaliseEmail, type RosterOptions } from '@roster/core';
import { startServer } from '@roster/server';
import { parse } from 'csv-parse';
import type { BenchContext } from '../context.js';
import { freshDatabase, rawUpsert, seedPreexisting, writeCsv } from '../fixtures.js';
import { result } from '../report.js';

/** Starts a roster server on `path` with the job runner on, and returns what a client needs. */
async function serve(path: string, projectId: string, imports?: RosterOptions['imports']) {
  const roster = await createRoster({
    database: path,
    jobs: { autoStart: true, onError: () => {} },
    ...(imports ? { imports } : {}),
  });
  const { key } = await roster.keys.create(projectId);
  const server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: () => {} });
  return {
    url: server.url,
    auth: { Authorization: `Bearer ${key}` },
    async close() {
      await server.close();
      await roster.close();
    },
  };
}

/** POST /contacts/import, then poll the job until `completed`; returns rows/s (upload to done). */
export async function httpImport(
  path: string,
  projectId: string,
  csv: Buffer,
  rows: number,
  imports?: RosterOptions['imports'],
  /** Filled with `performance.now()` at the upload's start, its answer and the poll that saw `completed`. */
  times?: { start?: number; answered?: number; completed?: number },
): Promise<number> {
  const app = await serve(path, projectId, imports);
  try {
    const t0 = performance.now();
    if (times) times.start = t0;
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
    const res = await fetch(`${app.url}/contacts/import`, { method: 'POST', headers: app.auth, body: form });
    if (res.status !== 202) throw new Error(`import answered ${res.status}: ${await res.text()}`);
    const { jobId } = (await res.json()) as { jobId: string };
    if (times) times.answered = performance.now();
    const deadline = Date.now() + 10 * 60_000;
    while (true) {
      const status = (await (
        await fetch(`${app.url}/contacts/import/${jobId}`, { headers: app.auth })
      ).json()) as { state: string; result: { successCount: number; failureCount: number } | null };
      if (status.state === 'completed') {
        if (status.result?.successCount !== rows) {
          throw new Error(`import applied ${status.result?.successCount} of ${rows} rows`);
        }
        break;
      }
      if (status.state === 'failed' || Date.now() > deadline)
        throw new Error(`import ${status.state}: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const t1 = performance.now();
    if (times) times.completed = t1;
    return rows / ((t1 - t0) / 1000);
  } finally {
    await app.close();
  }
}

/**
 * Plunk's worker design: parse the CSV, then for every row read the contact by email and either
 * update it (data merged) or create it: two statements per row, each its own transaction.
 */
async function perRowImport(path: string, projectId: string, csvPath: string, rows: number): Promise<number> {
  const roster = await createRoster({ database: path });
  try {
    const t0 = performance.now();
    const parser = createReadStream(csvPath).pipe(parse({ columns: true, skip_empty_lines: true }));
    let n = 0;
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      const email = normaliseEmail(record.email ?? '');
      if (!isValidEmail(email)) continue;
      const { email: _drop, ...data } = record;
      const existing = await roster.contacts.findByEmail(projectId, email);
      if (existing) await roster.contacts.update(projectId, existing.id, { data });
      else await roster.contacts.create(projectId, { email, data });
      n++;
    }
    if (n !== rows) throw new Error(`per-row import applied ${n} of ${rows} rows`);
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await roster.close();
  }
}

export async function importHttpSuite(ctx: BenchContext): Promise<void> {
  const csvPath = join(ctx.dir, 'import.csv');
  const rows = await writeCsv(csvPath, ctx.sizes.importBytes);
  const csv = readFileSync(csvPath);
  ctx.log(`import: ${rows} rows, ${(csv.byteLength / 1e6).toFixed(2)} MB, 20 % already present`);
  const dbPath = join(ctx.dir, 'import.db');
  const prepare = async () => {
    const { projectId } = await freshDatabase(dbPath);
    seedPreexisting(dbPath, projectId, rows);
    return projectId;
  };
  const roster: number[] = [];
  const raw: number[] = [];
  const perRow: number[] = [];
  const inThread: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    raw.push(rawUpsert(dbPath, await prepare(), rows));
    roster.push(await httpImport(dbPath, await prepare(), csv, rows));
    // The same import with the CSV parsed in the job's thread (the default parses files of 4.5 MiB
    // and more, so the full run's 5 MB, in a worker; the quick run's 1 MB in the job's thread).
    inThread.push(await httpImport(dbPath, await prepare(), csv, rows, { parseInWorker: false }));
    perRow.push(await perRowImport(dbPath, await prepare(), csvPath, rows));
    ctx.log(
      `  run ${run + 1}: raw ${raw.at(-1)!.toFixed(0)} rows/s, roster HTTP ${roster.at(-1)!.toFixed(0)} (parsed in the job's thread ${inThread.at(-1)!.toFixed(0)}), per-row ${perRow.at(-1)!.toFixed(0)}`,
    );
  }
  ctx.add(
    result({
      name: `import HTTP end to end (${rows} rows, ${(csv.byteLength / 1e6).toFixed(1)} MB)`,
      unit: 'rows/s',
      better: 'higher',
      values: roster,
      baseline: { name: 'raw better-sqlite3 prepared upsert, 10k-row tx', values: raw },
      minRatio: 0.8,
    }),
  );
  ctx.add(
    result({
      name: "import HTTP, CSV parsed in the job's thread (imports.parseInWorker: false)",
      unit: 'rows/s',
      better: 'higher',
      values: inThread,
      baseline: { name: 'raw better-sqlite3 prepared upsert, 10k-row tx', values: raw },
      note: 'the default parses files of 4.5 MiB and more in a worker: compare with the ratio of the line above',
    }),
  );
  ctx.add(
    result({
      name: 'import vs per-row design (read + write per row)',
      unit: 'rows/s',
      better: 'higher',
      values: roster,
      baseline: { name: 'per-row import (findByEmail, then update or create)', values: perRow },
      minRatio: 10,
    }),
  );
}

/** Reads the peak RSS (VmHWM) and current RSS of a process from /proc, in MB. */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** `roster import` in a child process; returns rows/s, peak RSS and the RSS curve. */
async function cliImport(ctx: BenchContext, dbPath: string, csvPath: string, rows: number) {
  // The compiled CLI, as installed users run it (`pnpm bench` builds first): no TypeScript loader.
  const cli = join(ctx.root, 'packages/server/dist/cli.js');
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [cli, 'import', csvPath, '--db', dbPath, '--project', 'bench', '--no-progress'],
    { cwd: join(ctx.root, 'packages/server'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const samples: { t: number; rss: number }[] = [];
  let peak = 0;
  const timer = setInterval(() => {
    const mem = memoryOf(child.pid!);
    if (!mem) return;
    peak = Math.max(peak, mem.hwm);
    samples.push({ t: performance.now() - t0, rss: mem.rss });
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`roster import exited ${code}: ${output.slice(-2000)}`);
  // Flatness: peak RSS in the first quarter of the run against the peak over the whole run.
  const quarter = samples.filter((s) => s.t <= (seconds * 1000) / 4);
  const early = Math.max(0, ...quarter.map((s) => s.rss));
  return { rate: rows / seconds, peak, early };
}

export async function importCliSuite(ctx: BenchContext): Promise<void> {
  const csvPath = join(ctx.dir, 'large.csv');
  const rows = await writeCsv(csvPath, ctx.sizes.cliBytes);
  const bytes = statSync(csvPath).size;
  ctx.log(`cli import: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB`);
  const dbPath = join(ctx.dir, 'cli.db');
  const raw: number[] = [];
  const rate: number[] = [];
  const peak: number[] = [];
  const early: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const { projectId } = await freshDatabase(dbPath);
    raw.push(rawUpsert(dbPath, projectId, rows));
    await freshDatabase(dbPath);
    const out = await cliImport(ctx, dbPath, csvPath, rows);
    rate.push(out.rate);
    peak.push(out.peak);
    early.push(out.early);
    ctx.log(
      `  run ${run + 1}: raw ${raw.at(-1)!.toFixed(0)} rows/s, roster import ${out.rate.toFixed(0)} rows/s, RSS first quarter ${out.early.toFixed(0)} MB, peak ${out.peak.toFixed(0)} MB`,
    );
  }
  ctx.add(
    result({
      name: `import CLI (${rows} rows, ${(bytes / 1e6).toFixed(0)} MB, fresh file)`,
      unit: 'rows/s',
      better: 'higher',
      values: rate,
      baseline: { name: 'raw better-sqlite3 prepared upsert, 10k-row tx', values: raw },
      minRatio: 0.8,
    }),
  );
  ctx.add(
    result({
      name: 'import CLI peak RSS (process, whole run)',
      unit: 'MB',
      better: 'lower',
      values: peak,
      baseline: { name: 'peak RSS in the first quarter of the run', values: early },
      maxValue: 128,
      note: 'ratio near 1 = memory flat as rows grow',
    }),
  );
}
