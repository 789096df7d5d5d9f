import type { ImportPreset, ImportProgress, ImportResult, Job, Roster } from '@roster/core';
import type { Command } from 'commander';
import { CliError, type CommonFlags, dbPath, formatCount, projectName, userPath } from '../config.js';
import { capHeap } from '../heap-cap.js';
import type { ProgressSample } from '../progress.js';
import { rosterOptions } from './with-roster.js';

interface ImportFlags extends CommonFlags {
  audience?: string;
  emailColumn?: string;
  nameColumns?: boolean;
  force?: boolean;
  json?: boolean;
  progress?: boolean;
  preset?: string;
  map?: string[];
  dryRun?: boolean;
}

/** `--map column=field` (repeatable) as the library's `map`; the field is after the last `=`. */
function parseMap(values: string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const map: Record<string, string> = {};
  for (const value of values) {
    const at = value.lastIndexOf('=');
    if (at <= 0 || at === value.length - 1) {
      throw new CliError(`--map ${value}: write it as column=field (e.g. --map "E-Mail=email")`);
    }
    map[value.slice(0, at)] = value.slice(at + 1);
  }
  return map;
}

/** One file to import: the CSV file, or one CSV entry of a ZIP archive. */
interface ImportTarget {
  entry?: string;
  /** How the target is named in messages. */
  label: string;
}

/**
 * SQLite page cache of `roster import`: ~50 MB less peak RSS than the 64 MiB default (which is
 * for serving reads) at 16 MiB, ~3 MB less again at 12 MiB for ~1 % more CPU; 8 MiB slowed the
 * import down (docs/performance.md, "Design choices behind the numbers").
 */
const IMPORT_CACHE_KIB = 12 * 1024;

/**
 * V8 heap kept by `roster import` (see heap-cap.ts): a full collection once 24 MiB are used (or what
 * stayed alive plus 12 MiB), and a young generation that does not grow. With the CSV parsed in this
 * thread (no worker and its second V8 heap), this sets peak RSS. 16 MiB kept peak RSS under 128 MiB
 * for 3-5 % more CPU (more full collections); since ids are made as flat strings (core's `uuidv7`)
 * an import promotes ~27 % less garbage and 24 MiB fits again (docs/performance.md, "Design choices
 * behind the numbers").
 */
const IMPORT_HEAP_CAP_MIB = 24;

/** The project id a dry run reads against when the project does not exist yet (no contacts, no audiences). */
const NO_PROJECT_ID = '00000000-0000-7000-8000-000000000000';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rowsText = formatCount;

/**
 * The summary line. A resumed import reports the job's totals and, separately, what this run
 * did and how fast: the rows of earlier runs are not counted against this run's time.
 */
function printSummary(result: ImportResult, seconds: number, rowsBefore: number): void {
  const rows = result.totalRows - rowsBefore;
  const rate = seconds > 0 ? Math.round(rows / seconds) : rows;
  const counts = countsText(result);
  if (rowsBefore > 0) {
    console.log(
      `Imported ${rowsText(result.totalRows)} rows in all: ${counts}. This run resumed after ` +
        `${rowsText(rowsBefore)} rows and imported ${rowsText(rows)} in ${seconds.toFixed(1)} s (${rowsText(rate)} rows/s)`,
    );
  } else {
    console.log(
      `Imported ${rowsText(result.totalRows)} rows in ${seconds.toFixed(1)} s (${rowsText(rate)} rows/s): ${counts}`,
    );
  }
  printErrors(result);
}

function countsText(result: ImportResult): string {
  return `${formatCount(result.createdCount)} created, ${formatCount(result.updatedCount)} updated, ${formatCount(result.failureCount)} failed${suppressionsText(result)}`;
}

/** A Mailchimp cleaned members file: the addresses added to the suppression list. */
function suppressionsText(result: ImportResult): string {
  const added = result.suppressionsAddedCount;
  return added === undefined ? '' : `, ${formatCount(added)} suppressed (cleaned)`;
}

function printErrors(result: ImportResult): void {
  for (const error of result.errors.slice(0, 20)) {
    console.log(`  line ${error.row}: ${error.error}${error.email ? ` (${error.email})` : ''}`);
  }
  if (result.failureCount > 20)
    console.log(`  ... and ${formatCount(result.failureCount - 20)} more rejected rows`);
}

/** `--audience`: an audience id, or the name of exactly one audience of the project. */
async function resolveAudience(roster: Roster, projectId: string, value: string): Promise<string> {
  const audiences = await roster.audiences.list(projectId);
  const byId = audiences.find((a) => a.id === value.toLowerCase());
  if (byId) return byId.id;
  const named = audiences.filter((a) => a.name === value);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) {
    throw new CliError(
      `${named.length} audiences are named "${value}": pass the id of one (${named.map((a) => a.id).join(', ')})`,
    );
  }
  throw new CliError(`No audience with the id or name "${value}" in this project`);
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
  rosterOptions(
    program
      .command('import')
      .description(
        'Import a CSV file of any size from disk. Rerunning the same command resumes an interrupted import; ' +
          'a file already imported unchanged is not imported again (unless --force)',
      )
      .argument(
        '<file>',
        'CSV file with an email column (comma, semicolon or tab separated), or a ZIP of CSV files (--preset mailchimp)',
      ),
    { help: 'project to import into (created if missing)', default: 'default' },
  )
    .option('--audience <id|name>', 'put every imported contact in this audience of the project')
    .option(
      '--email-column <name>',
      'the header of the column holding the emails (any case; default email); a column named email is then ignored',
    )
    .option(
      '--name-columns',
      'fill first and last names from first_name/firstName/"first name" (and last) columns instead of data',
    )
    .option(
      '--force',
      'import again a file already imported unchanged; for a file changed since its import was interrupted, cancel that import and start from row 1',
    )
    .option(
      '--preset <name>',
      "read another tool's export: mailchimp (its audience export ZIP or one of its CSVs) or listmonk (its subscriber export CSV)",
    )
    .option(
      '--map <column=field>',
      'read a column as email, firstName, lastName, subscribed, data.<key>[:number|boolean|json] or skip (repeatable; over the preset)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--dry-run',
      'read and check every row, write nothing, and print what would be created, updated and skipped',
    )
    .option('--json', 'print the result as one JSON line')
    .option('--no-progress', 'do not show the progress bar')
    .action(async (file: string, flags: ImportFlags) => {
      // Before core is loaded: loading it would grow V8's young generation (see heap-cap.ts).
      const stopHeapCap = capHeap(IMPORT_HEAP_CAP_MIB);
      // Loaded here, not at the top: `roster --help` must not pay for core and its drivers.
      const [{ createRoster, isRosterError }, { startProgress }] = await Promise.all([
        import('@roster/core'),
        import('../progress.js'),
      ]);
      const roster = await createRoster({
        database: dbPath(flags),
        sqlite: { cacheSizeKiB: IMPORT_CACHE_KIB },
        // Parsing in this thread: with a worker (its second V8 heap, the records copied between
        // the heaps) a 10 MB import peaked at 192 MB of RSS against 124 MB, for ~19 % more CPU and
        // ~5 % less wall time (docs/performance.md, "Design choices behind the numbers").
        imports: { parseInWorker: false },
      });
      let interrupted = false;
      try {
        // A dry run creates nothing, not even the project: into a project that does not exist yet,
        // every valid row would be created (no project has this id).
        const project = flags.dryRun
          ? ((await roster.projects.findByName(projectName(flags))) ?? { id: NO_PROJECT_ID })
          : await roster.projects.ensure(projectName(flags));
        const audienceId =
          flags.audience === undefined
            ? undefined
            : await resolveAudience(roster, project.id, flags.audience);
        const path = userPath(file);
        const presetOptions = {
          ...(flags.preset === undefined ? {} : { preset: flags.preset as ImportPreset }),
          ...(flags.map === undefined ? {} : { map: parseMap(flags.map) }),
        };
        // A ZIP archive (Mailchimp's audience export): each of its CSV entries is imported in turn.
        const isZip = await roster.imports.zipEntries(path).catch(() => null);
        const targets: ImportTarget[] = isZip
          ? isZip.map((entry) => ({ entry, label: `${file}: ${entry}` }))
          : [{ label: file }];
        if (isZip && isZip.length === 0) throw new CliError(`${file} is a ZIP archive without CSV files`);
        // With several files, --json prints one line for all of them at the end.
        const lines: Record<string, unknown>[] = [];
        const emit = (line: Record<string, unknown>) => {
          if (targets.length === 1) console.log(JSON.stringify(line));
          else lines.push(line);
        };

        if (flags.dryRun) {
          for (const target of targets) {
            const result = await roster.imports.dryRunFromPath(project.id, path, {
              audienceId,
              nameColumns: flags.nameColumns === true,
              ...(flags.emailColumn === undefined ? {} : { emailColumn: flags.emailColumn }),
              ...presetOptions,
              ...(target.entry === undefined ? {} : { entry: target.entry }),
            });
            if (flags.json) {
              emit({
                dryRun: true,
                ...(target.entry === undefined ? {} : { entry: target.entry }),
                ...result,
              });
            } else {
              console.log(
                `Dry run of ${target.label}: ${rowsText(result.totalRows)} rows would be read: ` +
                  `${formatCount(result.createdCount)} created, ${formatCount(result.updatedCount)} updated, ` +
                  `${formatCount(result.failureCount)} skipped (rejected)${suppressionsText(result)}. Nothing was written.`,
              );
              printErrors(result);
            }
          }
          if (flags.json && targets.length > 1) console.log(JSON.stringify({ dryRun: true, files: lines }));
          return;
        }

        const importOne = async (target: ImportTarget): Promise<ImportResult | null> => {
          const enqueued = await roster.imports
            .enqueueFromPath(project.id, path, {
              ...presetOptions,
              ...(target.entry === undefined ? {} : { entry: target.entry }),
              audienceId,
              nameColumns: flags.nameColumns === true,
              force: flags.force === true,
              ...(flags.emailColumn === undefined ? {} : { emailColumn: flags.emailColumn }),
            })
            .catch((error: unknown) => {
              const jobId =
                isRosterError(error) && error.code === 'conflict' ? error.details.jobId : undefined;
              if (typeof jobId !== 'string') throw error;
              throw new CliError(
                `${target.label} changed after import job ${jobId} started, so that import cannot resume. ` +
                  `To import the file as it is now from row 1, run the same command with --force (it cancels job ${jobId}).`,
                1,
                { jobId },
              );
            });
          const { job, resumed } = enqueued;
          if (enqueued.alreadyImported) {
            const result = job.result as ImportResult;
            if (flags.json) emit({ jobId: job.id, alreadyImported: true, ...result });
            else {
              console.log(
                `${target.label} was already imported by job ${job.id} (completed at ${job.updatedAt}): ` +
                  `${rowsText(result.totalRows)} rows, ${countsText(result)}. Nothing to do; use --force to import it again.`,
              );
            }
            return result;
          }
          await roster.audit.record(project.id, {
            actor: 'cli',
            action: 'import.started',
            target: job.id,
            detail: { file: path, ...(target.entry === undefined ? {} : { entry: target.entry }), resumed },
          });
          if (enqueued.replaced) {
            console.error(
              `Cancelled import job ${enqueued.replaced.id} of the earlier version of ${target.label}`,
            );
          }
          const before = job.progress as ImportProgress | null;
          const done = before?.counts.totalRows ?? 0;
          console.error(
            resumed
              ? `Resuming import job ${job.id} of ${target.label} after ${rowsText(done)} rows`
              : `Importing ${target.label} (${formatCount(job.payload.source.size)} bytes) as job ${job.id}`,
          );
          const size = job.payload.source.size;
          // Until the job's first block of rows is read, the display starts where the job stands.
          const initial: ProgressSample = {
            done: before?.bytes ?? 0,
            total: size,
            rows: done,
            rowsBefore: done,
            errors: before?.counts.failureCount ?? 0,
          };
          const bar = startProgress({
            stream: process.stderr,
            label: 'import',
            enabled: flags.progress !== false && !flags.json,
            read: () => {
              const live = roster.imports.live(job.id);
              return live
                ? { done: live.bytes, total: size, rows: live.rows, rowsBefore: done, errors: live.failures }
                : initial;
            },
          });
          // Ctrl-C: the batch in flight is committed or rolled back, the job is released, and
          // rerunning the same command continues after the last committed batch.
          const onInterrupt = () => {
            if (interrupted) process.exit(130);
            interrupted = true;
            bar.stop();
            const live = roster.imports.live(job.id);
            console.error(
              `\nInterrupted after ${rowsText(live?.rows ?? done)} rows read: stopping import job ${job.id}. ` +
                'Rerun the same command to resume where it stopped.',
            );
            void roster.close().finally(() => process.exit(130));
          };
          process.on('SIGINT', onInterrupt);
          const started = Date.now();
          let waitedNote = false;
          const finished = await runToEnd(roster, project.id, job.id, (why) => {
            if (!waitedNote) {
              bar.stop();
              console.error(why);
            }
            waitedNote = true;
          });
          if (interrupted) return null;
          process.off('SIGINT', onInterrupt);
          const result = finished.result as ImportResult | null;
          bar.stop(
            result && {
              done: size,
              total: size,
              rows: result.totalRows,
              rowsBefore: done,
              errors: result.failureCount,
            },
          );
          if (finished.status === 'failed') {
            throw new CliError(`Import failed: ${finished.lastError ?? 'unknown error'}`, 1, {
              jobId: job.id,
            });
          }
          if (flags.json) emit({ jobId: job.id, ...result });
          else printSummary(result as ImportResult, (Date.now() - started) / 1000, done);
          return result as ImportResult;
        };
        for (const target of targets) {
          const result = await importOne(target);
          if (result === null) return; // interrupted
          if (flags.json && targets.length > 1) {
            const line = lines[lines.length - 1];
            if (line) line.entry = target.entry;
          }
        }
        if (flags.json && targets.length > 1) console.log(JSON.stringify({ files: lines }));
      } finally {
        stopHeapCap();
        if (!interrupted) await roster.close();
      }
    });
}
