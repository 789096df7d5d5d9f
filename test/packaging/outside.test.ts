/**
 * The packages as a user gets them: build, `pnpm pack` every published package, install the tarballs
 * with npm into a throwaway project in the OS temp folder (outside the workspace, so no workspace link or
 * TypeScript source can help), then with plain `node`:
 * (a) an Express app mounting both routers answers POST /contacts and GET /v1/contacts, completes an
 *     import and a bulk job, and uses a name of each subpath (@roster/core/schemas, @roster/core/wire);
 *     (b) the project's own vitest runs a suite on startRoster() and drainJobs();
 * (c) `npx roster serve`, `npx roster import`, `npx roster export`; (d) `tsc --noEmit` of a TypeScript
 * consumer under moduleResolution node16 and bundler with strict settings and skipLibCheck false.
 * Skipped (saying so) only when npm cannot reach the registry. npm's cache is kept across runs in the OS
 * temp folder. better-sqlite3 is installed from the registry at the exact version the workspace uses, with
 * install scripts off; its native addon is then the one the workspace's install compiled from the same
 * source for this Node (copied), or, when that is missing, compiled here by `npm rebuild` (minutes).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./outside/', import.meta.url));
const PACKAGES = ['core', 'dashboard', 'express', 'server', 'testing'];
const npmCache = join(tmpdir(), 'roster-outside-npm-cache');
const MINUTES = 60_000;
/** The workspace's better-sqlite3 (installed and compiled by `pnpm install`). */
const workspaceSqlite = join(
  createRequire(join(root, 'packages/core/package.json')).resolve('better-sqlite3/package.json'),
  '..',
);
const sqliteVersion: string = JSON.parse(readFileSync(join(workspaceSqlite, 'package.json'), 'utf8')).version;

async function registryProblem(): Promise<string | null> {
  try {
    await run('npm', ['ping', '--cache', npmCache], { timeout: 30_000 });
    return null;
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? 'npm ping failed';
  }
}

const offline = await registryProblem();
if (offline) console.warn(`outside.test.ts SKIPPED: npm cannot reach the registry (${offline})`);

/** pnpm as this test was started (`pnpm test` sets npm_execpath), else from PATH. */
function pnpm(args: string[], cwd: string) {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm\.c?js$/.test(execpath)) return run(process.execPath, [execpath, ...args], { cwd });
  return run('pnpm', args, { cwd });
}

describe.skipIf(offline !== null)(
  `installed from packed tarballs in a project outside the workspace${offline ? ` (SKIPPED: npm registry unreachable: ${offline})` : ''}`,
  () => {
    let work: string;
    let project: string;
    const npx = (args: string[], timeout = 2 * MINUTES) =>
      run('npx', ['--no-install', ...args], { cwd: project, timeout, maxBuffer: 16 * 1024 * 1024 });

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'roster-outside-'));
      const tarballs = join(work, 'tarballs');
      mkdirSync(tarballs);
      await run(join(root, 'node_modules/.bin/tsc'), ['-b', 'tsconfig.build.json'], { cwd: root });
      for (const name of PACKAGES) {
        await pnpm(['pack', '--pack-destination', tarballs], join(root, 'packages', name));
      }
      const files = readdirSync(tarballs);
      const dependencies: Record<string, string> = {
        express: '^5.1.0',
        'better-sqlite3': sqliteVersion,
        vitest: '^4.1.12',
        typescript: '~5.9.3',
        '@types/express': '^5.0.3',
        '@types/node': '^20.19.0',
      };
      for (const name of PACKAGES) {
        const file = files.find((f) => f.startsWith(`roster-${name}-`));
        if (!file) throw new Error(`no tarball for @roster/${name} in ${files.join(', ')}`);
        dependencies[`@roster/${name}`] = `file:${join(tarballs, file)}`;
      }
      project = join(work, 'app');
      mkdirSync(project);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'outside-app', private: true, type: 'module', dependencies }, null, 2),
      );
      for (const f of ['app.mjs', 'consumer.ts', 'tsconfig.node16.json', 'tsconfig.bundler.json']) {
        copyFileSync(join(fixtures, f), join(project, f));
      }
      copyFileSync(join(fixtures, 'fixture-suite.mjs'), join(project, 'roster.test.mjs'));
      const npm = (args: string[]) =>
        run('npm', [...args, '--no-audit', '--no-fund', '--cache', npmCache], {
          cwd: project,
          timeout: 10 * MINUTES,
          maxBuffer: 16 * 1024 * 1024,
        });
      await npm(['install', '--ignore-scripts']);
      const addon = join(workspaceSqlite, 'build/Release/better_sqlite3.node');
      if (existsSync(addon)) {
        const target = join(project, 'node_modules/better-sqlite3/build/Release');
        mkdirSync(target, { recursive: true });
        cpSync(addon, join(target, 'better_sqlite3.node'));
      } else {
        await npm(['rebuild', 'better-sqlite3']);
      }
    }, 15 * MINUTES);

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('installs the packages as compiled JavaScript, no TypeScript sources', () => {
      const core = join(project, 'node_modules/@roster/core');
      expect(existsSync(join(core, 'dist/index.js'))).toBe(true);
      expect(existsSync(join(core, 'dist/index.d.ts'))).toBe(true);
      for (const subpath of ['schemas', 'wire', 'internal']) {
        expect(existsSync(join(core, `dist/${subpath}.js`))).toBe(true);
        expect(existsSync(join(core, `dist/${subpath}.d.ts`))).toBe(true);
      }
      expect(existsSync(join(core, 'dist/imports/csv-parse-worker.js'))).toBe(true);
      expect(existsSync(join(core, 'src'))).toBe(false);
      expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
    });

    it(
      '(a) runs an Express app with both routers, an import and a bulk job, under plain node',
      async () => {
        const { stdout } = await run(process.execPath, ['app.mjs', join(work, 'app.db')], {
          cwd: project,
          timeout: 2 * MINUTES,
        });
        const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
        expect(seen.created).toEqual({ status: 201, email: 'ada@example.com' });
        expect(seen.listed).toEqual({ status: 200, emails: ['ada@example.com'] });
        expect(seen.importQueued).toBe(202);
        expect(seen.imported).toMatchObject({
          state: 'completed',
          result: { totalRows: 2, createdCount: 2, failureCount: 0 },
        });
        expect(seen.bulkQueued).toBe(202);
        expect(seen.bulk).toMatchObject({ state: 'completed', result: { successCount: 1 } });
        expect(seen.subscribedAfterBulk).toBe(false);
        expect(seen.subpaths).toEqual({ maxPageSize: 100, schemaRejects: true, webhookEventTypes: true });
      },
      3 * MINUTES,
    );

    it(
      "(b) runs the project's own vitest suite on startRoster() and drainJobs()",
      async () => {
        const { stdout } = await npx(['vitest', 'run', '--reporter=verbose']);
        expect(stdout).toContain('runs a queued import with drainJobs()');
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the reporter's colours
        expect(stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed/);
      },
      3 * MINUTES,
    );

    it(
      '(c) runs npx roster serve, import and export on a temporary database',
      async () => {
        const db = join(work, 'cli.db');
        const version = await npx(['roster', '--version']);
        expect(version.stdout.trim()).toBe('0.1.0');

        const serve: ChildProcess = spawn(
          'npx',
          ['--no-install', 'roster', 'serve', '--db', db, '--port', '0'],
          {
            cwd: project,
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true, // its own process group, so SIGTERM reaches roster serve and not only npx
          },
        );
        try {
          const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
            let out = '';
            const timer = setTimeout(() => reject(new Error(`roster serve did not start:\n${out}`)), MINUTES);
            const onData = (d: Buffer) => {
              out += d;
              const listening = /listening on (http:\/\/\S+)/.exec(out);
              const created = /(sk_[0-9a-f]+)/.exec(out);
              if (listening && created) {
                clearTimeout(timer);
                resolve({ url: listening[1]!, key: created[1]! });
              }
            };
            serve.stdout!.on('data', onData);
            serve.stderr!.on('data', onData);
            serve.on('close', (code) => reject(new Error(`roster serve exited ${code}:\n${out}`)));
          });
          const res = await fetch(`${url}/contacts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'served@example.com' }),
          });
          expect(res.status).toBe(201);
        } finally {
          const exited = new Promise((r) => serve.once('close', r));
          process.kill(-serve.pid!, 'SIGTERM');
          await exited;
        }

        const csv = join(work, 'people.csv');
        writeFileSync(csv, 'email,plan\ngrace@example.com,pro\nalan@example.com,free\n');
        const imported = await npx(['roster', 'import', csv, '--db', db, '--json']);
        expect(JSON.parse(imported.stdout)).toMatchObject({ createdCount: 2, failureCount: 0 });

        const exported = await npx(['roster', 'export', '--db', db]);
        const lines = exported.stdout.trim().split('\n');
        expect(lines).toHaveLength(4); // header + served@, grace@, alan@
        expect(exported.stdout).toContain('served@example.com');
        expect(exported.stdout).toContain('grace@example.com');
        expect(exported.stdout).toContain('alan@example.com');
      },
      5 * MINUTES,
    );

    it.each(['node16', 'bundler'])(
      '(d) type-checks a strict TypeScript consumer under moduleResolution %s',
      async (mode) => {
        const result = await npx(['tsc', '-p', `tsconfig.${mode}.json`]).catch((error) => error);
        expect(result.stdout ?? '').toBe(''); // tsc reports errors on stdout; npm may warn on stderr
        expect(result.code ?? 0).toBe(0);
      },
      3 * MINUTES,
    );
  },
);
