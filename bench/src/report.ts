import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadWindow } from './load.js';

/** One line of `bench/results/latest.json`. */
export interface BenchResult {
  name: string;
  /** Median over the runs. */
  value: number;
  unit: string;
  /** What the value is compared with, or null when the metric has only an absolute target. */
  baseline: string | null;
  baselineValue: number | null;
  /** "Times as good as the baseline": value/baseline for rates, baseline/value for times. */
  ratio: number | null;
  /** e.g. `ratio >= 0.7`, `value <= 5 ms`; null when the metric is only reported. */
  target: string | null;
  /** null when there is no target. */
  pass: boolean | null;
  /** Extra figures: min, max, runs, p99... (table only uses min/max). */
  min: number;
  max: number;
  runs: number;
  note?: string;
  /** The machine's load while the metric was measured (set by the runner, see bench/src/load.ts). */
  load?: LoadWindow;
  /** True when the 1-minute load average exceeded the core count during the measurement. */
  noisy?: boolean;
}

/** How long one suite took, and the machine's load meanwhile. */
export interface SuiteTiming {
  name: string;
  seconds: number;
  load: LoadWindow;
}

export interface BenchReport {
  when: string;
  node: string;
  sqlite: string;
  quick: boolean;
  /** `loadavg` at the end of the run, `loadavgAtStart` at its start. */
  machine: { cpus: number; loadavg: number[]; loadavgAtStart: number[] };
  durationSeconds: number;
  /** Wall time of each suite (the full run should stay under 20 minutes on 2 cores). */
  suites: SuiteTiming[];
  results: BenchResult[];
  /** Markdown sections added by suites (`ctx.section`), printed after the suites' table. */
  sections?: string[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** How a metric's ratio is read: `rate` = higher is better (value/baseline), `time` = lower is better. */
export type Better = 'higher' | 'lower';

export interface MetricSpec {
  name: string;
  unit: string;
  better: Better;
  /** Per-run values of the subject. */
  values: number[];
  baseline?: { name: string; values: number[] };
  /** Pass condition on the ratio (`>=`), e.g. 0.7; or on the value itself. */
  minRatio?: number;
  maxValue?: number;
  minValue?: number;
  note?: string;
}

/** Builds a result: medians of each side, the ratio "as good as" the baseline, and the verdict. */
export function result(spec: MetricSpec): BenchResult {
  const value = median(spec.values);
  const baselineValue = spec.baseline ? median(spec.baseline.values) : null;
  let ratio: number | null = null;
  if (baselineValue !== null && value > 0 && baselineValue > 0) {
    ratio = spec.better === 'higher' ? value / baselineValue : baselineValue / value;
  }
  const targets: string[] = [];
  let pass: boolean | null = null;
  if (spec.minRatio !== undefined) {
    targets.push(`ratio >= ${spec.minRatio}`);
    pass = ratio !== null && ratio >= spec.minRatio;
  }
  if (spec.minValue !== undefined) {
    targets.push(`>= ${spec.minValue} ${spec.unit}`);
    pass = (pass ?? true) && value >= spec.minValue;
  }
  if (spec.maxValue !== undefined) {
    targets.push(`<= ${spec.maxValue} ${spec.unit}`);
    pass = (pass ?? true) && value <= spec.maxValue;
  }
  return {
    name: spec.name,
    value: round(value),
    unit: spec.unit,
    baseline: spec.baseline?.name ?? null,
    baselineValue: baselineValue === null ? null : round(baselineValue),
    ratio: ratio === null ? null : round(ratio),
    target: targets.length ? targets.join(' and ') : null,
    pass,
    min: round(Math.min(...spec.values)),
    max: round(Math.max(...spec.values)),
    runs: spec.values.length,
    ...(spec.note ? { note: spec.note } : {}),
  };
}

export function round(n: number): number {
  if (!Number.isFinite(n)) return n;
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function fmt(n: number | null): string {
  if (n === null) return '';
  return n.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** The results as a Markdown table (also what docs/performance.md shows under "Latest full run"). */
export function toTable(results: BenchResult[]): string {
  const head = [
    'metric',
    'median',
    'min–max',
    'unit',
    'baseline',
    'baseline median',
    'ratio',
    'target',
    'pass',
    'load avg start→end (max); cores busy: bench / others',
    'noisy',
  ];
  const rows = results.map((r) => [
    r.name,
    fmt(r.value),
    `${fmt(r.min)}–${fmt(r.max)}`,
    r.unit,
    r.baseline ?? '',
    fmt(r.baselineValue),
    r.ratio === null ? '' : `${fmt(r.ratio)}×`,
    r.target ?? '',
    r.pass === null ? '' : r.pass ? 'yes' : 'NO',
    r.load
      ? `${fmt(r.load.before)}→${fmt(r.load.after)} (${fmt(r.load.max)})` +
        (r.load.cpu ? `; ${fmt(r.load.cpu.bench)} / ${fmt(r.load.cpu.others)}` : '')
      : '',
    r.noisy ? 'noisy' : '',
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The header lines and the table of `latest.md`. */
export function toMarkdown(report: BenchReport): string {
  const noisy = report.results.filter((r) => r.noisy).length;
  return [
    `# pnpm bench${report.quick ? ' --quick' : ''}, ${report.when}`,
    '',
    `Node ${report.node}, SQLite ${report.sqlite}, ${report.machine.cpus} cores, ${report.durationSeconds} s.`,
    `1-minute load average ${report.machine.loadavgAtStart[0]} at the start, ${report.machine.loadavg[0]} at the end;`,
    `${noisy} of ${report.results.length} metrics noisy (load average above ${report.machine.cpus} while measured).`,
    '',
    toTable(report.results),
    '',
    '| suite | seconds | load avg start→end (max) | cores busy: bench / others |',
    '| --- | --- | --- | --- |',
    ...report.suites.map(
      (s) =>
        `| ${s.name} | ${s.seconds} | ${s.load.before}→${s.load.after} (${s.load.max}) | ${s.load.cpu ? `${s.load.cpu.bench} / ${s.load.cpu.others}` : ''} |`,
    ),
    '',
    ...(report.sections ?? []).flatMap((section) => [section, '']),
  ].join('\n');
}

/** Writes `path` (JSON) and the same report as Markdown next to it (`.md`). */
export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.replace(/\.json$/, '.md'), toMarkdown(report));
}
