import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { CliError, type CommonFlags, projectName, userPath } from '../config.js';
import { existingProject, rosterOptions, withRoster } from './with-roster.js';

interface ExportFlags extends CommonFlags {
  format: string;
  out?: string;
  progress?: boolean;
  /** False with `--no-escape-formulas`. */
  escapeFormulas: boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Writes with backpressure, so memory stays flat whatever the number of contacts. */
async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * The `--out` file, written whole or not at all: the export goes to `<file>.<pid>.part` beside it
 * and is renamed over `<file>` only once complete. A failed or interrupted (Ctrl-C, SIGTERM) export
 * removes the part file and leaves whatever `<file>` held before untouched.
 */
async function openOutFile(path: string, shown: string) {
  const part = `${path}.${process.pid}.part`;
  const stream = createWriteStream(part);
  try {
    await once(stream, 'open');
  } catch (err) {
    throw new CliError(`Cannot write ${shown}: ${(err as Error).message}`);
  }
  const discard = () => {
    stream.destroy();
    rmSync(part, { force: true });
  };
  // A write that fails later (a full disk) ends the export here, without a partial file.
  stream.on('error', (err) => {
    discard();
    console.error(`Cannot write ${shown}: ${err.message}`);
    process.exit(1);
  });
  const onSignal = (signal: NodeJS.Signals) => {
    discard();
    console.error(`Export interrupted: ${shown} was not written`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stopListening = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return {
    stream,
    async commit(): Promise<void> {
      stream.end();
      await once(stream, 'finish');
      renameSync(part, path);
      stopListening();
    },
    abandon(): void {
      stopListening();
      discard();
    },
  };
}

export function registerExportCommand(program: Command): void {
  rosterOptions(
    program
      .command('export')
      .description('Export every contact of a project as CSV (data fields as columns) or JSON, streaming'),
    { help: 'project to export', default: 'default' },
  )
    .option('--format <format>', 'csv or json', 'csv')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--no-progress', 'do not show progress (shown on stderr when the output is a file or a pipe)')
    .option(
      '--no-escape-formulas',
      "write cells starting with = + - @ tab or CR as they are (default: prefixed with ' so spreadsheets show them as text)",
    )
    .action(async (flags: ExportFlags) => {
      if (flags.format !== 'csv' && flags.format !== 'json') {
        throw new CliError(`Invalid format "${flags.format}": use csv or json`);
      }
      await withRoster(flags, async (roster) => {
        // Loaded here, not at the top: `roster --help` must not pay for them.
        const [{ contactsCsv }, { startProgress }] = await Promise.all([
          import('@roster/core'),
          import('../progress.js'),
        ]);
        const project = await existingProject(roster, projectName(flags));
        await roster.audit.record(project.id, {
          actor: 'cli',
          action: 'contacts.exported',
          target: flags.out ? userPath(flags.out) : null,
          detail: { format: flags.format, filters: {} },
        });
        const file = flags.out ? await openOutFile(userPath(flags.out), flags.out) : undefined;
        const out: Writable = file ? file.stream : process.stdout;
        let count = 0;
        try {
          const total = await roster.contacts.count(project.id);
          // Progress goes to stderr, and not while the contacts themselves go to the terminal.
          const bar = startProgress({
            stream: process.stderr,
            label: 'export',
            enabled: flags.progress !== false && (flags.out !== undefined || !process.stdout.isTTY),
            read: () => ({ done: Math.max(count, 0), total, rows: Math.max(count, 0), rowsBefore: 0 }),
          });
          if (flags.format === 'json') {
            await write(out, '[');
            for await (const contact of roster.contacts.stream(project.id)) {
              await write(out, `${count++ === 0 ? '\n' : ',\n'}${JSON.stringify(contact)}`);
              if (count % 1000 === 0) await yieldToEventLoop(); // let the progress display run
            }
            await write(out, count > 0 ? '\n]\n' : ']\n');
          } else {
            for await (const line of contactsCsv(() => roster.contacts.stream(project.id), {
              escapeFormulas: flags.escapeFormulas,
            })) {
              await write(out, line);
              count++;
              if (count % 1000 === 0) await yieldToEventLoop(); // let the progress display run
            }
            count--; // the header line
          }
          bar.stop({ done: total, total, rows: count, rowsBefore: 0 });
        } catch (err) {
          file?.abandon();
          throw err;
        }
        if (file) {
          await file.commit();
          console.error(`Exported ${count} contacts to ${flags.out}`);
        }
      });
    });
}
