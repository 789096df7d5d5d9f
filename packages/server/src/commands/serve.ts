import { createRoster, type Roster } from '@roster/core';
import type { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PROJECT } from '../config.js';
import { readServeConfig, resolveServeSettings } from '../config-file.js';
import { startServer } from '../server.js';

interface ServeFlags {
  port?: string;
  host?: string;
  db?: string;
  apiKey: string[];
  concurrency?: string;
  lockTimeout?: string;
  config?: string;
}

/** Makes sure the default project can be reached: registers `--api-key`s, or mints a first key. */
async function ensureKeys(roster: Roster, apiKeys: string[], print: (line: string) => void): Promise<void> {
  const project = await roster.projects.ensure(DEFAULT_PROJECT);
  for (const key of apiKeys) await roster.keys.register(project.id, key);
  if ((await roster.keys.countActive()) === 0) {
    const created = await roster.keys.create(project.id, { prefix: 'sk_' });
    print(`Created project "${project.name}" with API key (shown once, keep it): ${created.key}`);
  }
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the HTTP server (Plunk-compatible API at /contacts)')
    .option('--port <port>', `port to listen on (env PORT, default ${DEFAULT_PORT})`)
    .option('--host <host>', `interface to bind (env HOST, default ${DEFAULT_HOST})`)
    .option('--db <path>', 'SQLite database file or postgres:// URL (env ROSTER_DB, default ./roster.db)')
    .option('--api-key <key>', 'register this exact key for the default project (repeatable)', collect, [])
    .option('--concurrency <n>', 'background jobs (imports, bulk operations) run at once (default 2)')
    .option(
      '--lock-timeout <ms>',
      'a job lock older than this is released and the job runs again in any process (default 30000)',
    )
    .option(
      '--config <file>',
      'JSON file with port, host, db, apiKeys, concurrency, lockTimeoutMs (flags and env win)',
    )
    .action(async (flags: ServeFlags) => {
      const file = flags.config === undefined ? {} : readServeConfig(flags.config);
      const { port, host, database, apiKeys, concurrency, lockTimeoutMs } = resolveServeSettings(
        flags,
        process.env,
        file,
      );
      const roster = await createRoster({ database, jobs: { concurrency, lockTimeoutMs } });
      await roster.jobs.start();
      await ensureKeys(roster, apiKeys, (line) => console.log(line));
      const running = await startServer({ roster, port, host });

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${signal} received: finishing in-flight requests`);
        await running.close();
        await roster.close();
        console.log('roster stopped');
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      // Printed last: whoever waits for this line may signal right away.
      console.log(`roster listening on ${running.url}`);
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
