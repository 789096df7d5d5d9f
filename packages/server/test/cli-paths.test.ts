import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgTestSchema, PG_URL, type PgTestSchema } from '@roster/test-harness';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contactsOf, runCli, type ServeProcess, startServe } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

/**
 * `corepack pnpm roster import contacts.csv` typed in a folder of the clone: pnpm runs the script
 * in the repository's root and sets INIT_CWD to the folder the user typed the command in.
 */
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let userDir: string;
beforeEach(() => {
  userDir = mkdtempSync(join(tmpdir(), 'roster-init-cwd-'));
  writeFileSync(join(userDir, 'contacts.csv'), 'email,plan\nada@example.com,pro\nbob@example.com,free\n');
});
afterEach(() => {
  rmSync(userDir, { recursive: true, force: true });
  // What the CLI wrote in the repository's root when it got a path wrong (so a failure leaves no litter).
  for (const name of ['here.db', 'env.db', 'out.csv'])
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(REPO_ROOT, name + suffix), { force: true });
});

/** Runs the CLI as a pnpm script run from `userDir` runs it: in the repository's root. */
const runFromUserDir = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { INIT_CWD: userDir, ROSTER_DB: '', ...env }, REPO_ROOT);

describe('relative paths of a CLI run as a pnpm script (INIT_CWD)', () => {
  it('reads the import file and writes --db and export --out where the user typed the command', async () => {
    const imported = await runFromUserDir(['import', 'contacts.csv', '--db', 'here.db', '--json']);
    expect(imported.stderr).not.toContain('roster:');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ totalRows: 2, createdCount: 2 });
    expect(existsSync(join(REPO_ROOT, 'here.db'))).toBe(false);
    expect(await contactsOf(join(userDir, 'here.db'))).toEqual({
      'ada@example.com': { plan: 'pro' },
      'bob@example.com': { plan: 'free' },
    });

    const exported = await runFromUserDir(['export', '--db', 'here.db', '--out', 'out.csv', '--no-progress']);
    expect(exported.code).toBe(0);
    expect(existsSync(join(REPO_ROOT, 'out.csv'))).toBe(false);
    expect(readFileSync(join(userDir, 'out.csv'), 'utf8')).toContain('ada@example.com');
  });

  it('reads ROSTER_DB relative to where the user typed the command', async () => {
    const res = await runFromUserDir(['import', 'contacts.csv', '--json'], { ROSTER_DB: 'env.db' });
    expect(res.code).toBe(0);
    expect(existsSync(join(REPO_ROOT, 'env.db'))).toBe(false);
    expect(Object.keys(await contactsOf(join(userDir, 'env.db')))).toHaveLength(2);
  });

  describe('roster serve', () => {
    let server: ServeProcess | undefined;
    afterEach(async () => {
      if (server && server.child.exitCode === null) server.child.kill('SIGTERM');
      await server?.exited;
      server = undefined;
    });

    it('reads --config where the user typed the command (and its db beside the file)', async () => {
      writeFileSync(
        join(userDir, 'roster.json'),
        JSON.stringify({ db: 'served.db', apiKeys: ['sk_paths_test'] }),
      );
      server = await startServe(['--config', 'roster.json'], { INIT_CWD: userDir, ROSTER_DB: '' }, REPO_ROOT);
      const res = await fetch(`${server.url}/health`);
      expect(res.status).toBe(200);
      expect(existsSync(join(userDir, 'served.db'))).toBe(true);
    });
  });
});

describe.skipIf(!PG_URL)('a postgres:// --db with INIT_CWD', () => {
  let schema: PgTestSchema;
  afterEach(async () => {
    await schema?.drop();
  });

  it('is used as the URL it is, while the import file is read where the user typed the command', async () => {
    schema = await createPgTestSchema();
    const res = await runFromUserDir(['import', 'contacts.csv', '--db', schema.url, '--json']);
    expect(res.stderr).not.toContain('roster:');
    expect(res.code).toBe(0);
    expect(await contactsOf(schema.url)).toEqual({
      'ada@example.com': { plan: 'pro' },
      'bob@example.com': { plan: 'free' },
    });
  });
});
