import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ROSTER_CLI_ARGS, runCli } from './cli-helpers.js';

// CLI processes start Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

const dir = mkdtempSync(join(tmpdir(), 'roster-cli-export-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const partFiles = () => readdirSync(dir).filter((name) => name.endsWith('.part'));

describe('roster export --out', () => {
  const db = join(dir, 'contacts.db');

  it('writes the file whole, or leaves what was there: a missing folder, then an interrupted export', async () => {
    const rows = 50_000;
    const lines = ['email,plan'];
    for (let i = 0; i < rows; i++) lines.push(`user${i}@example.com,${i % 3 ? 'pro' : 'free'}`);
    const csv = join(dir, 'contacts.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    expect((await runCli(['import', csv, '--db', db, '--no-progress'])).code).toBe(0);

    const missing = await runCli(['export', '--db', db, '--out', join(dir, 'no-such-folder', 'out.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Cannot write');
    expect(missing.stderr).toContain('no-such-folder');
    expect(missing.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace

    // An earlier export stays as it was when the next one is interrupted half-way.
    const out = join(dir, 'out.csv');
    writeFileSync(out, 'an earlier export\n');
    const child = spawn(
      process.execPath,
      [...ROSTER_CLI_ARGS, 'export', '--db', db, '--out', out, '--no-progress'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Wait until the part file holds some contacts, then interrupt.
    let interrupted = false;
    for (let i = 0; i < 6000 && !interrupted; i++) {
      const part = partFiles()[0];
      if (part && statSync(join(dir, part)).size > 0) {
        child.kill('SIGINT');
        interrupted = true;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    expect(interrupted, 'the export never started writing').toBe(true);
    expect(await exited).toBe(130);
    expect(stderr).toContain('Export interrupted');
    expect(readFileSync(out, 'utf8')).toBe('an earlier export\n');
    expect(partFiles()).toEqual([]);

    // Run to its end, the export replaces the file with every contact.
    const done = await runCli(['export', '--db', db, '--out', out, '--no-progress']);
    expect(done.code).toBe(0);
    expect(done.stderr).toContain(`Exported ${rows} contacts`);
    const exported = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(exported).toHaveLength(rows + 1);
    expect(exported).toContain('user0@example.com,true,free');
    expect(partFiles()).toEqual([]);
    expect(existsSync(out)).toBe(true);
  });
});
