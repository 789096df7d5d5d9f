import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCsv } from '../scripts/import-csv.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const KEY = 'sk_self_hosted_example_key'; // from roster.config.json
const run = promisify(execFile);

let dir: string;
let child: ChildProcess;
let url: string;

/**
 * `roster serve --config roster.config.json`, with a copy of the config in a temporary directory (its
 * relative `db` then lands there) and `--port 0` for a free port.
 */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roster-self-hosted-'));
  copyFileSync(join(here, 'roster.config.json'), join(dir, 'roster.config.json'));
  // `roster serve` from the CLI's sources (the example's `pnpm serve` runs the built bin; tests never use dist/).
  const cli = join(here, 'node_modules/@roster/server/src/cli.ts');
  child = spawn(
    process.execPath,
    [
      '--conditions=@roster/source',
      '--import',
      'tsx',
      cli,
      'serve',
      '--config',
      join(dir, 'roster.config.json'),
      '--port',
      '0',
    ],
    { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`roster serve did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`roster serve exited with ${code}:\n${out}`)));
  });
});
afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('self-hosted roster', () => {
  it('uses the key and the database from the config file', async () => {
    const res = await fetch(`${url}/contacts`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(existsSync(join(dir, 'roster.db'))).toBe(true);
  });

  it('imports the CSV over HTTP and reports the job’s result', async () => {
    const states: string[] = [];
    const status = await importCsv({
      url,
      key: KEY,
      file: join(here, 'contacts.csv'),
      pollMs: 50,
      onProgress: (s) => states.push(s.state),
    });
    expect(status.state).toBe('completed');
    expect(status.result).toMatchObject({ totalRows: 5, createdCount: 4, failureCount: 1 });
    expect(status.result!.errors).toEqual([expect.objectContaining({ row: 6, email: 'not-an-email' })]);
    expect(states.at(-1)).toBe('completed');

    const res = await fetch(`${url}/contacts?search=ada`, { headers: { authorization: `Bearer ${KEY}` } });
    const page = (await res.json()) as { data: unknown[] };
    expect(page.data).toEqual([
      expect.objectContaining({
        email: 'ada@example.com',
        subscribed: true,
        data: expect.objectContaining({ plan: 'pro', company: 'Analytical Engines' }),
      }),
    ]);
  });

  it('runs as a script, printing the outcome', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/import-csv.ts', 'contacts.csv'],
      {
        cwd: here,
        env: { ...process.env, ROSTER_URL: url, ROSTER_KEY: KEY },
      },
    );
    // The same file again: every valid row now updates an existing contact.
    expect(stdout).toContain('imported 4 of 5 rows (0 new, 4 updated, 1 rejected)');
    expect(stdout).toMatch(/row 6 \(not-an-email\): /);
  });
});
