/**
 * Shared CLI settings. Only the server package reads the environment: `dbPath` here and
 * `resolveServeSettings` in config-file.ts (given `process.env` by `roster serve`). Flags win over
 * env, env over defaults.
 */
export interface CommonFlags {
  db?: string;
  project?: string;
}

export const DEFAULT_DB = './roster.db';

/** The help of every command's `--db`. */
export const DB_HELP = `SQLite database file path, or a postgres:// URL (env ROSTER_DB, default ./roster.db)`;
export const DEFAULT_PROJECT = 'default';
export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';

export function dbPath(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): string {
  return flags.db ?? env.ROSTER_DB ?? DEFAULT_DB;
}

export function projectName(flags: CommonFlags): string {
  return flags.project ?? DEFAULT_PROJECT;
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new CliError(`Invalid port "${value}": use a number from 0 to 65535`);
  }
  return Number(value);
}

export function parsePositiveInt(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new CliError(`Invalid ${name} "${value}": use a whole number >= 1`);
  return Number(value);
}

/** An error whose message is shown to the user as is, with exit code 1 (or `exitCode`). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
