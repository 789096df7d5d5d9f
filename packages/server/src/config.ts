import { isAbsolute, resolve } from 'node:path';

/**
 * Shared CLI settings. Only the server package reads the environment: `dbPath` here and
 * `resolveServeSettings` in config-file.ts (given `process.env` by `roster serve`). Flags win over
 * env, env over defaults.
 */
export interface CommonFlags {
  db?: string;
  project?: string;
  /** `--allow-private-webhook-targets`, on the commands that have it (serve, webhooks add/test). */
  allowPrivateWebhookTargets?: boolean;
}

export const DEFAULT_DB = './roster.db';

/** The help of every command's `--db`. */
export const DB_HELP = `SQLite database file path, or a postgres:// URL (env ROSTER_DB, default ./roster.db)`;
export const DEFAULT_PROJECT = 'default';
export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';

export function dbPath(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): string {
  const typed = flags.db ?? env.ROSTER_DB;
  return typed === undefined ? DEFAULT_DB : userDbPath(typed, env);
}

/**
 * A file path the user typed (an argument, a flag, an environment variable), made absolute against
 * the directory they typed the command in. pnpm and npm run a package script (`corepack pnpm roster
 * import contacts.csv`) in the package's root and set `INIT_CWD` to where the user was: there, a
 * relative path means the user's directory, not the root. Without `INIT_CWD` (or when it is the
 * working directory) the path is returned as it is.
 */
export function userPath(path: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const base = env.INIT_CWD;
  if (!base || isAbsolute(path) || resolve(base) === resolve(cwd)) return path;
  return resolve(base, path);
}

/** `--db` / `ROSTER_DB` as the user typed it: a SQLite file path goes through `userPath`; a URL or `:memory:` does not. */
export function userDbPath(value: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (value === '' || value === ':memory:' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  return userPath(value, env, cwd);
}

/** The environment variable every command honours for private webhook targets (1/true, 0/false). */
export const ALLOW_PRIVATE_WEBHOOKS_ENV = 'ROSTER_WEBHOOKS_ALLOW_PRIVATE';

/** Ends every refusal of a private webhook target (CLI and HTTP): how this CLI allows them. */
export const PRIVATE_WEBHOOKS_HINT = `to allow them, start roster with --allow-private-webhook-targets or ${ALLOW_PRIVATE_WEBHOOKS_ENV}=1`;

/** A boolean environment variable: `1`/`true` or `0`/`false` (unset or empty: undefined). */
export function envFlag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === '1' || value.toLowerCase() === 'true') return true;
  if (value === '0' || value.toLowerCase() === 'false') return false;
  throw new CliError(`Invalid ${name}="${value}": use 1 or 0`);
}

/**
 * Whether webhooks may go to private targets, the same way for every command: the command's
 * `--allow-private-webhook-targets`, else `ROSTER_WEBHOOKS_ALLOW_PRIVATE`, else the config file's
 * `allowPrivateWebhookTargets` (serve), else no.
 */
export function allowPrivateWebhookTargets(
  flag: boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
  fileValue?: boolean,
): boolean {
  if (flag) return true;
  return envFlag(ALLOW_PRIVATE_WEBHOOKS_ENV, env[ALLOW_PRIVATE_WEBHOOKS_ENV]) ?? fileValue ?? false;
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

/**
 * An error whose message is shown to the user as is, with exit code 1 (or `exitCode`). `details`
 * go into the JSON error line of a command run with `--json` (e.g. the failed job's id).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Every count a command prints (rows, bytes, rates): whole numbers with thousands separators, `12,345`.
 * Written out instead of `toLocaleString('en-US')`: the first `Intl` number format maps ~7 MB of
 * ICU data from the `node` binary into memory, which `roster import` counts against its peak RSS.
 */
export function formatCount(n: number): string {
  const whole = Math.round(n);
  if (!Number.isSafeInteger(whole)) return whole.toLocaleString('en-US');
  const digits = String(Math.abs(whole));
  let grouped = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let at = grouped.length; at < digits.length; at += 3) grouped += `,${digits.slice(at, at + 3)}`;
  return whole < 0 ? `-${grouped}` : grouped;
}

/** Where `roster migrate` reads the provider's key when `--key` is not given (keeps it out of shell history). */
export const MIGRATE_KEY_ENV = 'ROSTER_MIGRATE_KEY';

/** The provider key of `roster migrate`: `--key`, else env `ROSTER_MIGRATE_KEY`; a CliError when neither is set. */
export function migrateKey(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const key = flag ?? env[MIGRATE_KEY_ENV];
  if (key === undefined || key.trim() === '') {
    throw new CliError(
      `No API key for the source: pass --key, or set ${MIGRATE_KEY_ENV} (which keeps it out of your shell history)`,
    );
  }
  return key.trim();
}
