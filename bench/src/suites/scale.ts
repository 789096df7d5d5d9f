import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnBenchScript } from '../bench-script.js';
import type { BenchContext } from '../context.js';
import { removeDb } from '../fixtures.js';
import { LoadTracker, type LoadWindow } from '../load.js';
import { median, result, round } from '../report.js';
import { freshPgSchema, pgSchemaUrl } from './postgres.js';

/**
 * `pnpm bench --only scale` (opt-in: never part of the default or `--quick` run unless named): the
 * same operations on a small and a big project, 1 M and 10 M contacts on SQLite and, with `--pg`,
 * 1 M and 5 M on PostgreSQL, side by side with the ratio big / small. Operations that should not
 * grow with the table (pages, by id, rare search) pass when they stay within 1.5×. Each size runs
 * in its own process (bench/src/scale-worker.ts), so its peak RSS is that size's alone.
 */

/** The operations timed at every size; `notGrow` ones should stay within 1.5× from small to big. */
export const SCALE_TIMES = {
  page1: { label: 'list page 1 (limit 100), core p50', notGrow: true },
  pageDeep: { label: 'list page at half depth (limit 100, cursor), core p50', notGrow: true },
  firstWithTotal: { label: 'first page with total, core p50', notGrow: true },
  byId: { label: 'contacts.get by id (1 000 ids spread over the table), core p50', notGrow: true },
  rare: { label: 'search rare term, core p50', notGrow: true },
  rareTotal: { label: 'search rare term with total, core p50', notGrow: true },
  common: { label: 'search common term "gmail", core p50', notGrow: false },
  commonTotal: { label: 'search common term "gmail" with total, core p50', notGrow: false },
  segmentCount: { label: 'segment count (data.plan equals "pro"), contacts.count p50', notGrow: false },
  bulkUnsubscribe: { label: 'bulk unsubscribe job, 1 000 ids (enqueue + runOnce)', notGrow: false },
} as const;
export type ScaleTime = keyof typeof SCALE_TIMES;

/** Growth allowed from the small to the big size for the `notGrow` operations. */
const MAX_GROWTH = 1.5;

/** What the worker process is asked to do (JSON on its command line). */
export interface ScaleSpec {
  dialect: 'sqlite' | 'postgres';
  /** A SQLite file path (created by the worker), or the URL of a fresh PostgreSQL schema. */
  database: string;
  contacts: number;
  /** How many of the contacts are imported through roster's CSV import job (the last ones). */
  importRows: number;
  /** Where the worker writes its CSV. */
  dir: string;
  runs: number;
  requests: number;
  /** Where the worker writes its ScaleFigures. */
  out: string;
  /** PostgreSQL: the schema holds the project already (kept from an earlier run): only time the operations. */
  existing?: boolean;
}

/** What the worker measured at one size. */
export interface ScaleFigures {
  dialect: ScaleSpec['dialect'];
  contacts: number;
  /** Contacts written straight into the schema, and how fast. */
  seeded: number;
  seedRowsPerSecond: number;
  /** SQLite: opening roster on the seeded file (it builds the substring index); PostgreSQL: ANALYZE. */
  openSeconds: number;
  importRows: number;
  /** Roster's CSV import job, enqueue to completed, into a table of `contacts - importRows`. */
  importRowsPerSecond: number;
  rareTerm: string;
  rareMatches: number;
  /** Per run: the median of that run's samples (ms); bulkUnsubscribe: one job per run. */
  times: Record<ScaleTime, number[]>;
  /** SQLite: file size after a TRUNCATE checkpoint; PostgreSQL: every relation of the schema. */
  databaseBytes: number;
  /** `process.resourceUsage().maxRSS` of the worker process at its end, in bytes. */
  maxRssBytes: number;
  seconds: number;
  /** PostgreSQL: pages of the pg_trgm index's pending list merged before the timing. */
  ginPendingPages?: number;
  /** Measured on a kept schema (`ScaleSpec.existing`): no generation or import figures. */
  existing?: boolean;
}

export interface ScaleOptions {
  /** Small and big size on SQLite. */
  sqlite: [number, number];
  /** Small and big size on PostgreSQL (only with `pgUrl`). */
  postgres: [number, number];
  pgUrl?: string;
  /** `--scale-pg-keep`: keep the PostgreSQL schemas built (their names are logged) instead of dropping them. */
  pgKeep?: boolean;
  /**
   * `--scale-pg-schemas small,big`: time the operations on these schemas, kept by an earlier
   * `--scale-pg-keep` run of the same sizes, instead of building new ones (nothing is dropped).
   */
  pgSchemas?: [string, string];
}

export const SCALE_SIZES = { sqlite: [1_000_000, 10_000_000], postgres: [1_000_000, 5_000_000] } as const;
export const SCALE_QUICK_SIZES = { sqlite: [100_000, 1_000_000], postgres: [100_000, 1_000_000] } as const;

/** `--scale-sizes 100000,1000000`: two sizes, small then big, at least 10 000 each. */
export function parseScaleSizes(text: string): [number, number] | string {
  const sizes = text.split(',').map((s) => Number(s.replace(/_/g, '')));
  if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n < 10_000)) {
    return `expected two contact counts of at least 10000, small then big (e.g. 100000,1000000); got ${text}`;
  }
  if (sizes[0]! >= sizes[1]!) return `the first size must be the smaller; got ${text}`;
  return sizes as [number, number];
}

/** 1 000 000 → "1 M", 250 000 → "250 k". */
export function sizeLabel(n: number): string {
  if (n >= 1_000_000) return `${round(n / 1_000_000)} M`;
  if (n >= 1000) return `${round(n / 1000)} k`;
  return String(n);
}

interface SizeRun {
  figures: ScaleFigures;
  load: LoadWindow;
}

/** Runs the worker for one size, forwarding its lines to the log; resolves with its figures. */
async function runWorker(ctx: BenchContext, spec: ScaleSpec): Promise<SizeRun> {
  const tracker = new LoadTracker();
  const child = spawnBenchScript(ctx, 'scale-worker.ts', spec);
  let err = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) ctx.log(line);
  });
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const load = tracker.close();
  tracker.stop();
  if (code !== 0) throw new Error(`scale worker (${spec.dialect}, ${spec.contacts}) exited ${code}: ${err}`);
  return { figures: JSON.parse(readFileSync(spec.out, 'utf8')) as ScaleFigures, load };
}

/**
 * One size on one dialect, in a database of its own that is removed afterwards (PostgreSQL: unless
 * `options.pgKeep`; with `existing`, that kept schema is measured again, and kept).
 */
async function runSize(
  ctx: BenchContext,
  dialect: ScaleSpec['dialect'],
  contacts: number,
  options: ScaleOptions,
  existing?: string,
): Promise<SizeRun> {
  const spec = (database: string): ScaleSpec => ({
    dialect,
    database,
    contacts,
    importRows: Math.min(100_000, Math.floor(contacts / 10)),
    dir: ctx.dir,
    runs: ctx.runs,
    requests: ctx.sizes.requests,
    out: join(ctx.dir, `scale-${dialect}-${contacts}.json`),
    ...(existing ? { existing: true } : {}),
  });
  ctx.log(`${dialect}, ${contacts} contacts:`);
  if (dialect === 'sqlite') {
    const path = join(ctx.dir, `scale-${contacts}.db`);
    try {
      return await runWorker(ctx, spec(path));
    } finally {
      removeDb(path);
      rmSync(join(ctx.dir, `scale-${dialect}-${contacts}.csv`), { force: true });
    }
  }
  if (existing) return runWorker(ctx, spec(pgSchemaUrl(options.pgUrl!, existing)));
  const schema = await freshPgSchema(options.pgUrl!);
  try {
    return await runWorker(ctx, spec(schema.url));
  } finally {
    if (options.pgKeep) ctx.log(`  kept schema ${schema.name} (--scale-pg-keep)`);
    else await schema.drop();
    rmSync(join(ctx.dir, `scale-${dialect}-${contacts}.csv`), { force: true });
  }
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 3 });
const ms = (values: number[]) => `${fmt(round(median(values)))} ms`;
const growth = (small: number, big: number) => round(big / small);

/** The side-by-side table of one dialect (Markdown), and its results for the runner. */
function compare(ctx: BenchContext, dialect: ScaleSpec['dialect'], small: SizeRun, big: SizeRun): string {
  const [a, b] = [small.figures, big.figures];
  const [la, lb] = [sizeLabel(a.contacts), sizeLabel(b.contacts)];
  const title = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const rows: string[] = [];
  const row = (label: string, x: string, y: string, ratio: number | null, verdict = '') =>
    rows.push(`| ${label} | ${x} | ${y} | ${ratio === null ? '—' : `${fmt(ratio)}×`} | ${verdict} |`);
  for (const [key, { label, notGrow }] of Object.entries(SCALE_TIMES) as [
    ScaleTime,
    (typeof SCALE_TIMES)[ScaleTime],
  ][]) {
    const ratio = growth(median(a.times[key]), median(b.times[key]));
    row(
      label,
      ms(a.times[key]),
      ms(b.times[key]),
      ratio,
      notGrow ? (ratio <= MAX_GROWTH ? 'yes' : 'NO') : '',
    );
    ctx.add(
      result({
        name: `${title} scale: ${label}, ${lb} vs ${la} contacts`,
        unit: 'ms',
        better: 'lower',
        values: b.times[key],
        baseline: { name: `the same on ${la} contacts`, values: a.times[key] },
        ...(notGrow
          ? { minRatio: round(1 / MAX_GROWTH), note: `${lb} <= ${MAX_GROWTH} x ${la} means ratio >= 0.667` }
          : {}),
      }),
    );
  }
  // Kept schemas measured again (`existing`) have no generation or import figures.
  const built = !a.existing && !b.existing;
  const rate = (f: ScaleFigures) => `${fmt(Math.round(f.importRowsPerSecond))} rows/s`;
  if (built) {
    row(
      `import rate: CSV import job of the last ${fmt(a.importRows)} / ${fmt(b.importRows)} contacts`,
      rate(a),
      rate(b),
      growth(a.importRowsPerSecond, b.importRowsPerSecond),
    );
    ctx.add(
      result({
        name: `${title} scale: CSV import job rows/s into ${lb} vs ${la} contacts`,
        unit: 'rows/s',
        better: 'higher',
        values: [b.importRowsPerSecond],
        baseline: { name: `the same into ${la} contacts`, values: [a.importRowsPerSecond] },
      }),
    );
  }
  const gb = (f: ScaleFigures) =>
    `${fmt(round(f.databaseBytes / 1e9))} GB (${fmt(Math.round(f.databaseBytes / f.contacts))} B/contact)`;
  row('database bytes', gb(a), gb(b), growth(a.databaseBytes, b.databaseBytes));
  const mb = (f: ScaleFigures) => `${fmt(Math.round(f.maxRssBytes / 1e6))} MB`;
  row('peak RSS of the worker process', mb(a), mb(b), growth(a.maxRssBytes, b.maxRssBytes));
  for (const [name, unit, value] of [
    ['database bytes per contact', 'B', (f: ScaleFigures) => f.databaseBytes / f.contacts],
    ['peak RSS of the worker process', 'MB', (f: ScaleFigures) => f.maxRssBytes / 1e6],
  ] as const) {
    ctx.add(
      result({
        name: `${title} scale: ${name}, ${lb} vs ${la} contacts`,
        unit,
        better: 'lower',
        values: [value(b)],
        baseline: { name: `the same with ${la} contacts`, values: [value(a)] },
      }),
    );
  }
  const seed = (f: ScaleFigures) => `${fmt(Math.round(f.seedRowsPerSecond))} rows/s`;
  const open = (f: ScaleFigures) => `${fmt(round(f.openSeconds))} s`;
  if (built) {
    row(
      'generation: raw inserts of the rest (not roster)',
      seed(a),
      seed(b),
      growth(a.seedRowsPerSecond, b.seedRowsPerSecond),
    );
    row(
      dialect === 'sqlite' ? 'first open (builds the substring index)' : 'ANALYZE roster_contacts',
      open(a),
      open(b),
      growth(a.openSeconds, b.openSeconds),
    );
  }
  if (a.ginPendingPages !== undefined && b.ginPendingPages !== undefined) {
    row(
      'pg_trgm pending list merged before timing (pages of 8 kB)',
      fmt(a.ginPendingPages),
      fmt(b.ginPendingPages),
      a.ginPendingPages === 0 ? null : growth(a.ginPendingPages, b.ginPendingPages),
    );
  }
  const matches = (f: ScaleFigures) => `${f.rareMatches} match${f.rareMatches === 1 ? '' : 'es'}`;
  const load = (r: SizeRun) =>
    `${r.figures.seconds} s, load average ${r.load.before}→${r.load.after} (max ${r.load.max})` +
    (r.load.cpu ? `, cores busy: bench ${r.load.cpu.bench}, others ${r.load.cpu.others}` : '');
  return [
    `### ${title}: ${la} and ${lb} contacts`,
    '',
    `${la}: ${load(small)}. ${lb}: ${load(big)}.${built ? '' : ' Kept schemas measured again (not rebuilt).'} Rare terms "${a.rareTerm}" (${matches(a)}) and ` +
      `"${b.rareTerm}" (${matches(b)}). Each time is the median of ${a.times.page1.length} runs' p50.`,
    '',
    `| metric | ${la} | ${lb} | ${lb} / ${la} | within ${MAX_GROWTH}× |`,
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

export function scaleSuite(options: ScaleOptions) {
  return async (ctx: BenchContext): Promise<void> => {
    const dialects: [ScaleSpec['dialect'], [number, number]][] = [];
    // Kept PostgreSQL schemas measured again: SQLite's sizes are not rebuilt either.
    if (!options.pgSchemas) dialects.push(['sqlite', options.sqlite]);
    if (options.pgUrl) dialects.push(['postgres', options.postgres]);
    for (const [dialect, [smallSize, bigSize]] of dialects) {
      const kept = dialect === 'postgres' ? options.pgSchemas : undefined;
      const small = await runSize(ctx, dialect, smallSize, options, kept?.[0]);
      const big = await runSize(ctx, dialect, bigSize, options, kept?.[1]);
      const table = compare(ctx, dialect, small, big);
      ctx.log(`\n${table}`);
      ctx.section(table);
    }
  };
}
