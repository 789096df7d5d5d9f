import { createRoster, type ImportProgress, type ImportResult, type Job, type Roster } from '@roster/core';
import type { Command } from 'commander';
import { CliError, type CommonFlags, dbPath, projectName } from '../config.js';

interface ImportFlags extends CommonFlags {
  json?: boolean;
  progress?: boolean;
}

/**
 * SQLite page cache of `roster import`: ~50 MB less peak RSS than the 64 MiB default (which is
 * for serving reads); 8 MiB slowed the import down (docs/performance.md).
 */
const IMPORT_CACHE_KIB = 16 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A one-line progress display on stderr: redrawn in place on a terminal, a line every few seconds otherwise. */
function progressBar(stream: NodeJS.WriteStream, enabled: boolean, rowsBefore: number) {
  const started = Date.now();
  let lastPrinted = 0;
  let drawn = false;
  return {
    update(progress: ImportProgress | null, final = false) {
      if (!enabled || !progress) return;
      const rows = progress.counts.totalRows;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? Math.round((rows - rowsBefore) / seconds) : 0;
      const width = 24;
      const filled = Math.round((progress.percent / 100) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(progress.percent).padStart(3)}%  ${rows.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s  ${progress.counts.failureCount.toLocaleString('en-US')} errors`;
      if (stream.isTTY) {
        stream.write(`\r${line}\u001b[K`);
        drawn = true;
        if (final) stream.write('\n');
      } else if (final || Date.now() - lastPrinted >= 2000) {
        stream.write(`${line}\n`);
        lastPrinted = Date.now();
      }
    },
    done() {
      if (drawn && stream.isTTY) stream.write('\n');
      drawn = false;
    },
  };
}

function printSummary(result: ImportResult, seconds: number, rowsBefore: number): void {
  const rows = result.totalRows - rowsBefore;
  const rate = seconds > 0 ? Math.round(rows / seconds) : rows;
  console.log(
    `Imported ${result.totalRows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${rate.toLocaleString('en-US')} rows/s): ` +
      `${result.createdCount} created, ${result.updatedCount} updated, ${result.failureCount} failed`,
  );
  for (const error of result.errors.slice(0, 20)) {
    console.log(`  line ${error.row}: ${error.error}${error.email ? ` (${error.email})` : ''}`);
  }
  if (result.failureCount > 20) console.log(`  ... and ${result.failureCount - 20} more rejected rows`);
}

/** Runs the job in this process until it is finished, retrying after backoff and waiting for a live lock elsewhere. */
async function runToEnd(
  roster: Roster,
  projectId: string,
  jobId: string,
  onWait: (why: string) => void,
): Promise<Job> {
  for (;;) {
    const job = await roster.jobs.runJob(projectId, jobId);
    if (job.status === 'completed' || job.status === 'failed') return job;
    if (job.status === 'running')
      onWait(`job ${jobId} is being run by another worker (${job.lockedBy}); waiting`);
    const wait = job.status === 'queued' ? Date.parse(job.runAt) - Date.now() : 1000;
    await sleep(Math.min(Math.max(wait, 50), 5000));
  }
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('Import a CSV file of any size from disk (resumes an interrupted import of the same file)')
    .argument('<file>', 'CSV file with an email column (comma, semicolon or tab separated)')
    .option('--db <path>', 'SQLite database file (env ROSTER_DB, default ./roster.db)')
    .option('--project <name>', 'project to import into (created if missing)', 'default')
    .option('--json', 'print the result as one JSON line')
    .option('--no-progress', 'do not show the progress bar')
    .action(async (file: string, flags: ImportFlags) => {
      const roster = await createRoster({
        database: dbPath(flags),
        sqlite: { cacheSizeKiB: IMPORT_CACHE_KIB },
      });
      try {
        const project = await roster.projects.ensure(projectName(flags));
        const { job, resumed } = await roster.imports.enqueueFromPath(project.id, file);
        const done = (job.progress as ImportProgress | null)?.counts.totalRows ?? 0;
        console.error(
          resumed
            ? `Resuming import job ${job.id} of ${file} after ${done.toLocaleString('en-US')} rows`
            : `Importing ${file} (${job.payload.source.size.toLocaleString('en-US')} bytes) as job ${job.id}`,
        );
        const bar = progressBar(process.stderr, flags.progress !== false && !flags.json, done);
        const started = Date.now();
        let polling = true;
        const poll = (async () => {
          while (polling) {
            bar.update(await roster.imports.progress(project.id, job.id).catch(() => null));
            await sleep(200);
          }
        })();
        let waitedNote = false;
        const finished = await runToEnd(roster, project.id, job.id, (why) => {
          if (!waitedNote) console.error(why);
          waitedNote = true;
        }).finally(async () => {
          polling = false;
          await poll;
        });
        bar.update(finished.progress as ImportProgress | null, true);
        bar.done();
        if (finished.status === 'failed') {
          throw new CliError(`Import failed: ${finished.lastError ?? 'unknown error'}`);
        }
        const result = finished.result as ImportResult;
        if (flags.json) console.log(JSON.stringify({ jobId: job.id, ...result }));
        else printSummary(result, (Date.now() - started) / 1000, done);
      } finally {
        await roster.close();
      }
    });
}
