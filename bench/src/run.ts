/**
 * `pnpm bench [--quick] [--only import-http,list,...]`: roster against its own ceilings and the
 * per-row design. Prints a table and writes bench/results/latest.json. Not part of `pnpm test`.
 *
 * `pnpm bench --pg postgres://...` (or `--dialect postgres` with ROSTER_BENCH_PG_URL) runs the
 * PostgreSQL suites (`pg-import-http`, `pg-list-search`, `pg-claim`, `pg-outbox`, each in a fresh schema dropped afterwards)
 * instead, and writes bench/results/latest-pg.json.
 *
 * Opt-in suites run only when named in `--only` (never in the default or `--quick` run): `scale`
 * (1 M and 10 M contacts on SQLite, 1 M and 5 M on PostgreSQL with `--pg`; `--scale-sizes small,big`
 * and `--scale-pg-sizes small,big` change them; `--scale-pg-keep` keeps the PostgreSQL schemas it builds and
 * `--scale-pg-schemas small,big` measures such kept schemas again without rebuilding them). A run of opt-in suites alone writes
 * bench/results/latest-scale.json, so it never replaces the latest full run's report.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BenchContext, FULL, QUICK } from './context.js';
import { tempDir } from './fixtures.js';
import { LoadTracker, type LoadWindow } from './load.js';
import { type BenchReport, type BenchResult, type SuiteTiming, toTable, writeReport } from './report.js';
import { claimSuite } from './suites/claim.js';
import { cliStartupSuite } from './suites/cli.js';
import { consentSuite } from './suites/consent.js';
import { dashboardSuite } from './suites/dashboard.js';
import { fixtureSuite } from './suites/fixture.js';
import { httpWriteSuite } from './suites/http-write.js';
import { importCliSuite, importHttpSuite } from './suites/imports.js';
import { jobsSuite } from './suites/jobs.js';
import { migrateSuite } from './suites/migrate.js';
import { millionSuite } from './suites/million.js';
import { observabilitySuite } from './suites/observability.js';
import { overviewSuite } from './suites/overview.js';
import { pgOutboxSuite } from './suites/pg-outbox.js';
import { pgImportHttpSuite, pgListSearchSuite } from './suites/postgres.js';
import { resendSuite } from './suites/resend.js';
import { parseScaleSizes, SCALE_QUICK_SIZES, SCALE_SIZES, scaleSuite } from './suites/scale.js';
import { segmentsSuite } from './suites/segments.js';
import { webhooksSuite } from './suites/webhooks.js';

const SUITES: Record<string, (ctx: BenchContext) => Promise<void>> = {
  fixture: fixtureSuite,
  'import-http': importHttpSuite,
  million: millionSuite,
  'import-cli': importCliSuite,
  jobs: jobsSuite,
  'cli-startup': cliStartupSuite,
  'http-write': httpWriteSuite,
  dashboard: dashboardSuite,
  segments: segmentsSuite,
  webhooks: webhooksSuite,
  consent: consentSuite,
  claim: claimSuite(),
  migrate: migrateSuite,
  observability: observabilitySuite,
  resend: resendSuite,
  overview: overviewSuite,
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
  SUITES['pg-claim'] = claimSuite(pgUrl);
  SUITES['pg-outbox'] = pgOutboxSuite(pgUrl);
}
/** `--scale-sizes` / `--scale-pg-sizes`, or the default (smaller with --quick). */
function scaleSizes(name: string, fallback: readonly [number, number]): [number, number] {
  const text = flag(name);
  if (text === undefined) return [...fallback];
  const sizes = parseScaleSizes(text);
  if (typeof sizes === 'string') {
    console.error(`${name}: ${sizes}`);
    process.exit(2);
  }
  return sizes;
}
/** `--scale-pg-schemas small,big`: two schema names (kept by `--scale-pg-keep`), needs `--pg`. */
function scaleSchemas(text: string): [string, string] {
  const names = text.split(',');
  if (names.length !== 2 || names.some((s) => !/^[a-z_][a-z0-9_]*$/.test(s)) || !pgUrl) {
    console.error(`--scale-pg-schemas: expected two schema names, small then big, and --pg; got ${text}`);
    process.exit(2);
  }
  return names as [string, string];
}
const scaleDefaults = quick ? SCALE_QUICK_SIZES : SCALE_SIZES;
const sqliteScale = scaleSizes('--scale-sizes', scaleDefaults.sqlite);
SUITES.scale = scaleSuite({
  sqlite: sqliteScale,
  // --scale-sizes alone sets both dialects (a quick check); --scale-pg-sizes PostgreSQL's.
  postgres:
    flag('--scale-sizes') && !flag('--scale-pg-sizes')
      ? sqliteScale
      : scaleSizes('--scale-pg-sizes', scaleDefaults.postgres),
  ...(pgUrl ? { pgUrl } : {}),
  ...(args.includes('--scale-pg-keep') ? { pgKeep: true } : {}),
  ...(flag('--scale-pg-schemas') ? { pgSchemas: scaleSchemas(flag('--scale-pg-schemas')!) } : {}),
});
/** Suites that run only when named in --only (too long for a full run). */
const OPT_IN = new Set(['scale']);
const onlyArg = flag('--only');
const only = onlyArg
  ? onlyArg.split(',')
  : pgUrl
    ? ['pg-import-http', 'pg-list-search', 'pg-claim', 'pg-outbox']
    : Object.keys(SUITES).filter((name) => !OPT_IN.has(name));
for (const name of only) {
  if (!SUITES[name]) {
    console.error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { dir, cleanup } = tempDir();
const results: BenchResult[] = [];
const sections: string[] = [];
const started = performance.now();
const loadAtStart = loadavg().map((n) => Math.round(n * 100) / 100);
const tracker = new LoadTracker();
/** The load window of the current batch of `add` calls, and when the last `add` happened. */
let batch: LoadWindow | null = null;
let lastAdd = 0;
const ctx: BenchContext = {
  root,
  dir,
  quick,
  sizes: quick ? QUICK : FULL,
  runs: 3,
  add: (r) => {
    if (!batch || performance.now() - lastAdd > 250) {
      batch = tracker.close();
      tracker.open();
    }
    lastAdd = performance.now();
    const noisy = tracker.isNoisy(batch);
    results.push({ ...r, load: batch, noisy });
    const verdict = r.pass === null ? '' : r.pass ? ' pass' : ' FAIL';
    console.log(
      `  = ${r.name}: ${r.value} ${r.unit}${r.ratio === null ? '' : `, ratio ${r.ratio}`}${verdict}` +
        ` (load ${batch.before}→${batch.after}, max ${batch.max}${noisy ? ': NOISY' : ''})`,
    );
  },
  mark: () => {
    batch = null;
    tracker.open();
  },
  log: (m) => console.log(m),
  section: (markdown) => sections.push(markdown),
};

console.log(`roster bench (${quick ? 'quick' : 'full'}), temp dir ${dir}`);
if (pgUrl && only.some((name) => name.startsWith('pg-'))) {
  console.log(
    `PostgreSQL ${new URL(pgUrl).host}: same sizes as SQLite (${ctx.sizes.importBytes / 1e6} MB import, ${ctx.sizes.contacts} contacts)`,
  );
}
const failures: string[] = [];
const suites: SuiteTiming[] = [];
try {
  for (const name of only) {
    const t0 = performance.now();
    console.log(`\n# ${name} (load average ${loadavg()[0]!.toFixed(2)})`);
    const whole = new LoadTracker();
    ctx.mark();
    try {
      await SUITES[name]!(ctx);
    } catch (error) {
      failures.push(name);
      console.error(`suite ${name} failed:`, error);
    }
    const load = whole.close();
    whole.stop();
    suites.push({ name, seconds: Math.round((performance.now() - t0) / 1000), load });
    console.log(
      `  (${suites.at(-1)!.seconds} s; load average ${load.before}→${load.after}, max ${load.max}` +
        `${load.cpu ? `; cores busy: bench ${load.cpu.bench}, others ${load.cpu.others}` : ''})`,
    );
  }
} finally {
  tracker.stop();
  cleanup();
}

const probe = new Database(':memory:');
const report: BenchReport = {
  when: new Date().toISOString(),
  node: process.version,
  sqlite: (probe.prepare('select sqlite_version() as v').get() as { v: string }).v,
  quick,
  machine: {
    cpus: cpus().length,
    loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
    loadavgAtStart: loadAtStart,
  },
  durationSeconds: Math.round((performance.now() - started) / 1000),
  suites,
  results,
  ...(sections.length ? { sections } : {}),
};
probe.close();
const out = join(
  root,
  only.every((name) => OPT_IN.has(name))
    ? 'bench/results/latest-scale.json'
    : pgUrl
      ? 'bench/results/latest-pg.json'
      : 'bench/results/latest.json',
);
writeReport(out, report);
console.log(`\n${toTable(results)}\n`);
const noisy = results.filter((r) => r.noisy).length;
console.log(
  `${report.durationSeconds} s; load average ${loadAtStart[0]} at the start, ${report.machine.loadavg[0]} at the end; ` +
    `${noisy} of ${results.length} metrics noisy (load average above ${cpus().length} cores while measured); ` +
    `wrote ${out} and ${out.replace(/\.json$/, '.md')}`,
);
if (failures.length) {
  console.error(`suites that did not finish: ${failures.join(', ')}`);
  process.exitCode = 1;
}
