#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from './commands/audit.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerPersonalDataCommand, registerSuppressionsCommand } from './commands/consent.js';
import { registerExportCommand } from './commands/export.js';
import { registerImportCommand } from './commands/import.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWebhooksCommand } from './commands/webhooks.js';
import { CliError } from './config.js';

/** This package's version, read at run time from its package.json (one level above src/ and dist/). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('roster')
    .version(packageVersion(), '-V, --version', 'print the roster version')
    .description('roster: a self-hosted contacts service with Plunk- and Unosend-compatible APIs')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions();
  registerServeCommand(program);
  registerKeysCommand(program);
  registerImportCommand(program);
  registerExportCommand(program);
  registerMigrateCommand(program);
  registerWebhooksCommand(program);
  registerBackupCommands(program);
  registerAuditCommand(program);
  registerSuppressionsCommand(program);
  registerPersonalDataCommand(program);
  for (const command of program.commands) command.showHelpAfterError('(run with --help for usage)');
  return program;
}

/** What a failed command tells the user: one line of text, or with `--json` one JSON line. */
interface Failure {
  message: string;
  /** The line(s) of text without --json: the message, and issues it does not already say. */
  text: string;
  /** A RosterError's code; `missing_driver`; `command_failed` (a CliError); `unexpected`. */
  code: string;
  exitCode: number;
  details?: Record<string, unknown>;
  /** Printed after the line, on stderr only (the stack of an unexpected error). */
  trace?: unknown;
}

async function describeFailure(error: unknown): Promise<Failure> {
  if (error instanceof CliError)
    return {
      message: error.message,
      text: error.message,
      code: 'command_failed',
      exitCode: error.exitCode,
      ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
    };
  // Core is loaded only by the commands that use it (`--help` stays fast), so only now.
  const { isRosterError, MissingDriverError } = await import('@roster/core');
  if (error instanceof MissingDriverError) {
    const message = `the database needs the \`${error.driver}\` package, which is not installed: install it next to roster (npm install ${error.driver})`;
    return {
      message,
      text: message,
      code: 'missing_driver',
      exitCode: 1,
      details: { driver: error.driver },
    };
  }
  if (isRosterError(error)) {
    // Issues the message does not already say are listed below it.
    const issues =
      error.details.issues
        ?.filter((i) => !error.message.includes(`${i.field}: ${i.message}`))
        .map((i) => `\n  ${i.field}: ${i.message}`)
        .join('') ?? '';
    return {
      message: error.message,
      text: `${error.message}${issues}`,
      code: error.code,
      exitCode: 1,
      details: error.details,
    };
  }
  return {
    message: 'unexpected error',
    text: 'unexpected error',
    code: 'unexpected',
    exitCode: 1,
    trace: error,
  };
}

/** The subcommand that ran, if it was given `--json`. */
function ranWithJson(command: Command): boolean {
  return command.commands.some((sub) => sub.opts().json === true || ranWithJson(sub));
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    const failure = await describeFailure(error);
    if (ranWithJson(program)) {
      const { message, code, details } = failure;
      console.log(JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } }));
      if (failure.trace !== undefined) console.error('roster: unexpected error:', failure.trace);
    } else if (failure.trace !== undefined) console.error(`roster: ${failure.text}:`, failure.trace);
    else console.error(`roster: ${failure.text}`);
    process.exit(failure.exitCode);
  }
}

await main(process.argv);
