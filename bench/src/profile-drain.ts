/**
 * Where one-row import jobs spend their time (not part of `pnpm bench`):
 *
 *   node --conditions=@roster/source --import tsx bench/src/profile-drain.ts [jobs]
 *
 * Enqueues `jobs` one-row CSVs with the runner started (default settings, a SQLite file), waits for
 * the drain, and prints the SQLite statements run per job (by SQL text, with their summed time)
 * and the commits per job: load-independent counts. Writes a CPU profile of the drain to
 * /tmp/roster-profile-drain.cpuprofile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { freshDatabase, tempDir, untilJobsDrained } from './fixtures.js';
import { type Profile, summarise } from './profile-summary.js';
import { statementCounter } from './statement-counter.js';

const n = Number(process.argv[2] ?? 300);
const counter = statementCounter(140);
const counts = counter.counts;

const { dir, cleanup } = tempDir();
try {
  const path = join(dir, 'drain.db');
  const { projectId } = await freshDatabase(path);
  const roster = await createRoster({ database: path, jobs: { autoStart: true, onError: console.error } });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  counter.counting = true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const enqueueMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const e0 = performance.now();
    await roster.imports.enqueue(projectId, { file: Buffer.from(`email,plan\nuser${i}@example.com,pro\n`) });
    enqueueMs.push(performance.now() - e0);
  }
  const enqueued = performance.now() - t0;
  await untilJobsDrained(roster);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  counter.counting = false;
  const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
  writeFileSync('/tmp/roster-profile-drain.cpuprofile', JSON.stringify(profile));
  await roster.close();
  console.log(
    `${n} jobs in ${seconds.toFixed(2)} s: ${(n / seconds).toFixed(1)} jobs/s; enqueueing took ${(enqueued / 1000).toFixed(2)} s (${(enqueued / n).toFixed(2)} ms each)`,
  );
  console.log(
    `process CPU ${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms per job (user ${(cpu.user / 1000 / n).toFixed(2)}, system ${(cpu.system / 1000 / n).toFixed(2)}): at most ${(1e6 / ((cpu.user + cpu.system) / n)).toFixed(0)} jobs/s on one free core`,
  );
  const rows = [...counts].sort((a, b) => b[1].ms - a[1].ms);
  let calls = 0;
  let ms = 0;
  for (const [, c] of rows) {
    calls += c.calls;
    ms += c.ms;
  }
  console.log(
    `${(calls / n).toFixed(1)} statements per job, ${(ms / n).toFixed(2)} ms in SQLite per job (${((ms / 1000 / seconds) * 100).toFixed(0)} % of the wall time)`,
  );
  for (const [sql, c] of rows.slice(0, 40)) {
    console.log(
      `  ${(c.calls / n).toFixed(2).padStart(6)}/job ${(c.ms / n).toFixed(3).padStart(7)} ms/job  ${sql}`,
    );
  }
  summarise(profile, n, join(import.meta.dirname, '../..'), 'job');
} finally {
  cleanup();
}
