import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
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
        const out: Writable = flags.out ? createWriteStream(userPath(flags.out)) : process.stdout;
        let count = 0;
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
        if (flags.out) {
          out.end();
          await once(out, 'finish');
          console.error(`Exported ${count} contacts to ${flags.out}`);
        }
      });
    });
}
