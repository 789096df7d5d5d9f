#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerExportCommand } from './commands/export.js';
import { registerImportCommand } from './commands/import.js';
import { registerKeysCommand } from './commands/keys.js';
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
  registerWebhooksCommand(program);
  for (const command of program.commands) command.showHelpAfterError('(run with --help for usage)');
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof CliError) {
      console.error(`roster: ${error.message}`);
      process.exit(error.exitCode);
    }
    // Core is loaded only by the commands that use it (`--help` stays fast), so only now.
    const { isRosterError } = await import('@roster/core');
    if (isRosterError(error)) {
      // Issues the message does not already say are listed below it.
      const issues =
        error.details.issues
          ?.filter((i) => !error.message.includes(`${i.field}: ${i.message}`))
          .map((i) => `\n  ${i.field}: ${i.message}`)
          .join('') ?? '';
      console.error(`roster: ${error.message}${issues}`);
      process.exit(1);
    }
    console.error('roster: unexpected error:', error);
    process.exit(1);
  }
}

await main(process.argv);
