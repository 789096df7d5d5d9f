/**
 * `pnpm bench [--quick] [--only import-http,list,...]`: roster against its own ceilings and the
 * per-row design. Prints a table and writes bench/results/latest.json. Not part of `pnpm test`.
 *
 * `pnpm bench --pg postgres://...` (or `--dialect postgres` with ROSTER_BENCH_PG_URL) runs the
 * PostgreSQL suites (`pg-import-http`, `pg-list-search`, each in a fresh schema dropped afterwards)
 * instead, and writes bench/results/latest-pg.json.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BenchContext, FULL, QUICK } from './context.js';
import { tempDir } from './fixtures.js';
import { type BenchReport, type BenchResult, toTable, writeReport } from './report.js';
import { cliStartupSuite } from './suites/cli.js';
import { fixtureSuite } from './suites/fixture.js';
import { httpWriteSuite } from './suites/http-write.js';
import { importCliSuite, importHttpSuite } from './suites/imports.js';
import { jobsSuite } from './suites/jobs.js';
import { millionSuite } from './suites/million.js';
import { pgImportHttpSuite, pgListSearchSuite } from './suites/postgres.js';

const SUITES: Record<string, (ctx: BenchContext) => Promise<void>> = {
  fixture: fixtureSuite,
  'import-http': importHttpSuite,
  million: millionSuite,
  'import-cli': importCliSuite,
  jobs: jobsSuite,
  'cli-startup': cliStartupSuite,
  'http-write': httpWriteSuite,
};

const args = process.argv.slice(2).filter((a) => a !== '--');
const quick = args.includes('--quick');
/** The value of `--name value` or `--name=value`. */
function flag(name: string): string | undefined {
  const arg = args.find((a) => a === name || a.startsWith(`${name}=`));
  if (!arg) return undefined;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[args.indexOf(arg) + 1];
}
const dialect = flag('--dialect');
if (dialect !== undefined && dialect !== 'sqlite' && dialect !== 'postgres') {
  console.error(`unknown --dialect ${dialect}; use sqlite or postgres`);
  process.exit(2);
}
const pgUrl = flag('--pg') ?? (dialect === 'postgres' ? process.env.ROSTER_BENCH_PG_URL : undefined);
if (dialect === 'postgres' && !pgUrl) {
  console.error('--dialect postgres needs ROSTER_BENCH_PG_URL (or use --pg postgres://...)');
  process.exit(2);
}
if (pgUrl) {
  SUITES['pg-import-http'] = pgImportHttpSuite(pgUrl);
  SUITES['pg-list-search'] = pgListSearchSuite(pgUrl);
}
const onlyArg = flag('--only');
const only = onlyArg
  ? onlyArg.split(',')
  : pgUrl
    ? ['pg-import-http', 'pg-list-search']
    : Object.keys(SUITES);
for (const name of only) {
  if (!SUITES[name]) {
    console.error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { dir, cleanup } = tempDir();
const results: BenchResult[] = [];
const started = performance.now();
const ctx: BenchContext = {
  root,
  dir,
  quick,
  sizes: quick ? QUICK : FULL,
  runs: 3,
  add: (r) => {
    results.push(r);
    const verdict = r.pass === null ? '' : r.pass ? ' pass' : ' FAIL';
    console.log(
      `  = ${r.name}: ${r.value} ${r.unit}${r.ratio === null ? '' : `, ratio ${r.ratio}`}${verdict}`,
    );
  },
  log: (m) => console.log(m),
};

console.log(`roster bench (${quick ? 'quick' : 'full'}), temp dir ${dir}`);
if (pgUrl) {
  console.log(
    `PostgreSQL ${new URL(pgUrl).host}: same sizes as SQLite (${ctx.sizes.importBytes / 1e6} MB import, ${ctx.sizes.contacts} contacts)`,
  );
}
const failures: string[] = [];
try {
  for (const name of only) {
    const t0 = performance.now();
    console.log(`\n# ${name}`);
    try {
      await SUITES[name]!(ctx);
    } catch (error) {
      failures.push(name);
      console.error(`suite ${name} failed:`, error);
    }
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
} finally {
  cleanup();
}

const probe = new Database(':memory:');
const report: BenchReport = {
  when: new Date().toISOString(),
  node: process.version,
  sqlite: (probe.prepare('select sqlite_version() as v').get() as { v: string }).v,
  quick,
  machine: { cpus: cpus().length, loadavg: loadavg().map((n) => Math.round(n * 100) / 100) },
  durationSeconds: Math.round((performance.now() - started) / 1000),
  results,
};
probe.close();
const out = join(root, pgUrl ? 'bench/results/latest-pg.json' : 'bench/results/latest.json');
writeReport(out, report);
console.log(`\n${toTable(results)}\n`);
console.log(`${report.durationSeconds} s; wrote ${out}`);
if (failures.length) {
  console.error(`suites that did not finish: ${failures.join(', ')}`);
  process.exitCode = 1;
}
