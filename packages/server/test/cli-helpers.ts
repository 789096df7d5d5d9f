import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Contact, createRoster } from '@roster/core';
import { afterEach, beforeEach } from 'vitest';

/**
 * How tests run the `roster` CLI: from its TypeScript sources (never from dist/, which may be stale or
 * missing), with every @roster/* import resolved to sources through the "@roster/source" condition.
 */
export const ROSTER_CLI_ARGS = [
  '--conditions=@roster/source',
  '--import',
  'tsx',
  fileURLToPath(new URL('../src/cli.ts', import.meta.url)),
];

export interface RunResult {
  code: number | null;
  /** The CLI process's id (a job it ran names it in `lockedBy`). */
  pid: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs the `roster` bin to completion (in `cwd`, else this process's working directory). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ROSTER_CLI_ARGS, ...args], {
      env: { ...process.env, ...env },
      ...(cwd === undefined ? {} : { cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, pid: child.pid, stdout, stderr }));
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `roster serve` and waits until it prints the URL it listens on. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ROSTER_CLI_ARGS, 'serve', '--port', '0', ...args], {
      env: { ...process.env, ...env },
      ...(cwd === undefined ? {} : { cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
}

/** Single-quotes `arg` for `sh -c`. */
const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export interface PtyProcess {
  child: ChildProcess;
  /** Everything the terminal showed so far (stdout and stderr together). */
  output: () => string;
  /** Types into the terminal, e.g. `\x03` (Ctrl-C). */
  type: (text: string) => void;
  /** Resolves when `test` matches the output so far (rejects after `timeoutMs`). */
  waitFor: (test: (output: string) => boolean, timeoutMs?: number) => Promise<string>;
  exited: Promise<number | null>;
}

/**
 * Runs the `roster` bin in a pseudo-terminal (util-linux `script`), so stdout and stderr are a TTY
 * as in a user's terminal. Exits with the command's exit code (`script -e`).
 */
export function runInPty(args: string[], env: NodeJS.ProcessEnv = {}): PtyProcess {
  const command = [process.execPath, ...ROSTER_CLI_ARGS, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, COLUMNS: '160', LINES: '40', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d;
    for (const check of waiters) check();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    type: (text) => child.stdin!.write(text),
    waitFor(test, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!test(out)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(out);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; output so far:\n${out}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (test(out)) resolve(out);
          else reject(new Error(`exited; output:\n${out}`));
        });
        check();
      });
    },
    exited,
  };
}

/** The progress frames a terminal was shown: the rows count of each `import`/`export` bar drawn. */
export function progressFrames(output: string, label: string): { percent: number; rows: number }[] {
  const frames: { percent: number; rows: number }[] = [];
  const pattern = new RegExp(
    `${label}(?: \\([^)]*\\))? [#.]+ (\\d+)% \\| ([\\d,]+) rows \\| [\\d,]+ rows/s \\| ETA`,
    'g',
  );
  for (const match of output.matchAll(pattern)) {
    frames.push({ percent: Number(match[1]), rows: Number(match[2]!.replace(/,/g, '')) });
  }
  return frames;
}

/**
 * Gives each test of the file a fresh temporary directory (named `prefix…`), removed after the test:
 * `onCreate` receives its path before the test runs.
 */
export function tempDirPerTest(prefix: string, onCreate: (dir: string) => void): void {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    onCreate(dir);
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * The contacts of the `default` project in `database` (first 100), as `{ email: data }`, or with
 * `value` as `{ email: value(contact) }`.
 */
export async function contactsOf(database: string): Promise<Record<string, Contact['data']>>;
export async function contactsOf<T>(
  database: string,
  value: (contact: Contact) => T,
): Promise<Record<string, T>>;
export async function contactsOf(
  database: string,
  value: (contact: Contact) => unknown = (contact) => contact.data,
): Promise<Record<string, unknown>> {
  const roster = await createRoster({ database });
  try {
    const project = await roster.projects.ensure('default');
    const page = await roster.contacts.list(project.id, { limit: 100 });
    return Object.fromEntries(page.data.map((c) => [c.email, value(c)]));
  } finally {
    await roster.close();
  }
}
