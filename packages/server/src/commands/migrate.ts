import type { MigrateProgress, MigrateSourceName, MigrateSummary } from '@roster/core';
import { type Command, Option } from 'commander';
import {
  CliError,
  type CommonFlags,
  dbPath,
  formatCount,
  MIGRATE_KEY_ENV,
  migrateKey,
  parsePositiveInt,
  projectName,
} from '../config.js';
import { rosterOptions } from './with-roster.js';

interface MigrateFlags extends CommonFlags {
  from: MigrateSourceName;
  url?: string;
  key?: string;
  dryRun?: boolean;
  concurrency?: string;
  restart?: boolean;
  json?: boolean;
  progress?: boolean;
}

function countsText(s: MigrateSummary): string {
  return [
    `${formatCount(s.created)} created`,
    `${formatCount(s.updated)} updated`,
    `${formatCount(s.unchanged)} unchanged`,
    `${formatCount(s.skipped)} skipped`,
    `${formatCount(s.failed)} failed`,
  ].join(', ');
}

function declaredText(s: MigrateSummary): string {
  const parts = Object.entries(s.declared)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${formatCount(n)} ${n === 1 ? what.replace(/s$/, '').replace(/ie$/, 'y') : what}`);
  return parts.length > 0 ? ` ${s.dryRun ? 'Would declare' : 'Declared'} first: ${parts.join(', ')}.` : '';
}

export function registerMigrateCommand(program: Command): void {
  rosterOptions(
    program
      .command('migrate')
      .description(
        'Move contacts in from Plunk, Unosend or Resend through their public API. Rerunning the same command ' +
          'continues an interrupted run, or finds every contact unchanged after a finished one',
      ),
    { help: 'project to write into (created if missing)', default: 'default' },
  )
    .addOption(
      new Option('--from <provider>', 'the provider to read from')
        .choices(['plunk', 'unosend', 'resend'])
        .makeOptionMandatory(),
    )
    .option(
      '--url <base>',
      "the provider's API base URL, as its SDK takes it (default: its public API root; for a roster server " +
        'http://host:3000 for plunk, http://host:3000/v1 for unosend, http://host:3000/resend for resend)',
    )
    .option('--key <key>', `the provider's API key (or env ${MIGRATE_KEY_ENV}); never printed`)
    .option(
      '--dry-run',
      'read everything, write nothing, and print what would be created, updated and skipped',
    )
    .option('--concurrency <n>', 'requests to the provider in flight at once (1-32, default 4)')
    .option('--restart', 'ignore the checkpoint of an interrupted run and start from the first page')
    .option('--json', 'print the summary as one JSON line')
    .option('--no-progress', 'do not show the progress bar')
    .action(async (flags: MigrateFlags) => {
      const key = migrateKey(flags.key);
      const concurrency =
        flags.concurrency === undefined ? undefined : parsePositiveInt('--concurrency', flags.concurrency);
      // Loaded here, not at the top: `roster --help` must not pay for core and its drivers.
      const [{ createRoster, MigrateSourceError }, { MIGRATE_DEFAULT_URLS }, { startProgress }] =
        await Promise.all([import('@roster/core'), import('@roster/core/schemas'), import('../progress.js')]);
      const roster = await createRoster({ database: dbPath(flags) });
      const controller = new AbortController();
      let interrupted = false;
      let latest: MigrateProgress | null = null;
      try {
        const name = projectName(flags);
        const project = flags.dryRun
          ? await roster.projects.findByName(name)
          : await roster.projects.ensure(name);
        if (!project) {
          throw new CliError(
            `No project named "${name}": a dry run creates nothing, so run it against an existing project (or without --dry-run)`,
          );
        }
        const url = flags.url ?? MIGRATE_DEFAULT_URLS[flags.from];
        console.error(
          `${flags.dryRun ? 'Dry run: reading' : 'Migrating'} the contacts of ${flags.from} at ${url}`,
        );
        const bar = startProgress({
          stream: process.stderr,
          label: flags.dryRun ? 'migrate (dry run)' : 'migrate',
          enabled: flags.progress !== false && !flags.json,
          read: () =>
            latest && {
              done: latest.fetched,
              total: Math.max(latest.total ?? latest.fetched, latest.fetched, 1),
              rows: latest.fetched,
              rowsBefore: 0,
              errors: latest.failed,
            },
        });
        const onInterrupt = () => {
          if (interrupted) process.exit(130);
          interrupted = true;
          controller.abort(new CliError('interrupted', 130));
        };
        process.on('SIGINT', onInterrupt);
        const started = Date.now();
        let summary: MigrateSummary;
        try {
          summary = await roster.migrate.run(flags.from, {
            url,
            key,
            projectId: project.id,
            dryRun: flags.dryRun === true,
            concurrency,
            restart: flags.restart === true,
            signal: controller.signal,
            onProgress: (progress) => {
              latest = progress;
            },
          });
        } catch (error) {
          bar.stop();
          if (interrupted) {
            const fetched = (latest as MigrateProgress | null)?.fetched ?? 0;
            throw new CliError(
              `Interrupted after ${formatCount(fetched)} contacts: what was written is kept; rerun the same command to continue where it stopped.`,
              130,
            );
          }
          if (error instanceof MigrateSourceError) {
            throw new CliError(error.message, 1, error.status === undefined ? {} : { status: error.status });
          }
          throw error;
        } finally {
          process.off('SIGINT', onInterrupt);
        }
        bar.stop();
        if (flags.json) {
          const { fetched, created, updated, unchanged, skipped, failed } = summary;
          const { resumed, dryRun, retries, declared, errors } = summary;
          console.log(
            JSON.stringify({
              fetched,
              created,
              updated,
              unchanged,
              skipped,
              failed,
              resumed,
              dryRun,
              retries,
              declared,
              errors,
            }),
          );
          return;
        }
        const seconds = (Date.now() - started) / 1000;
        const verb = summary.dryRun
          ? 'Dry run: read'
          : summary.resumed
            ? 'Resumed and finished: read'
            : 'Read';
        console.log(
          `${verb} ${formatCount(summary.fetched)} contacts from ${flags.from} in ${seconds.toFixed(1)} s: ` +
            `${summary.dryRun ? 'would be ' : ''}${countsText(summary)}.${declaredText(summary)}` +
            (summary.retries > 0 ? ` ${formatCount(summary.retries)} requests were retried.` : ''),
        );
        for (const error of summary.errors) console.log(`  ${error.email}: ${error.error}`);
        if (summary.failed > summary.errors.length)
          console.log(`  ... and ${formatCount(summary.failed - summary.errors.length)} more`);
      } finally {
        await roster.close();
      }
    });
}
