import { SingleBar } from 'cli-progress';
import { formatCount as number } from './config.js';

/** What a progress display shows at one moment. */
export interface ProgressSample {
  /** Work done and in all, in the unit of the percentage and the ETA (bytes for an import, rows for an export). */
  done: number;
  total: number;
  /** Rows handled so far, and how many of them earlier runs handled (not counted in this run's rate). */
  rows: number;
  rowsBefore: number;
  /** Rows rejected so far, when the command rejects rows. */
  errors?: number;
  /** What is being done, when it changes during the command (e.g. the two passes of a CSV export). */
  phase?: string;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** e.g. `import` or `export`. */
  label: string;
  /** Called every refresh; null while there is nothing to show yet. */
  read: () => ProgressSample | null;
  /** Off: nothing is shown (`--no-progress`, `--json`). */
  enabled: boolean;
  /** Refresh of the bar on a terminal. @default 200 */
  refreshMs?: number;
  /** Interval of the plain lines written when the stream is not a terminal. @default 2000 */
  plainEveryMs?: number;
}

export interface ProgressDisplay {
  /** Shows `final` (if given) and stops; the bar's line is kept. */
  stop(final?: ProgressSample | null): void;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * A progress display on `stream`: on a terminal a bar (cli-progress) with rows, %, rows/s and
 * ETA, refreshed every `refreshMs`; otherwise a plain line every `plainEveryMs`. It reads the
 * numbers from `read()` on its own timer, so it moves as long as the event loop gets a turn
 * (the import yields between row blocks and statements for that).
 */
export function startProgress(options: ProgressOptions): ProgressDisplay {
  if (!options.enabled) return { stop() {} };
  const { stream, label } = options;
  const started = Date.now();
  let first: ProgressSample | null = null;

  const figures = (sample: ProgressSample) => {
    first ??= sample;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? (sample.rows - sample.rowsBefore) / seconds : 0;
    const doneRate = seconds > 0 ? (sample.done - first.done) / seconds : 0;
    const eta = doneRate > 0 ? duration((sample.total - sample.done) / doneRate) : '?';
    const percent = sample.total > 0 ? Math.min(100, Math.floor((sample.done / sample.total) * 100)) : 100;
    return {
      percent,
      rows: number(sample.rows),
      rate: number(rate),
      eta,
      errors: sample.errors === undefined ? '' : ` | ${number(sample.errors)} errors`,
      phase: sample.phase ? ` (${sample.phase})` : '',
    };
  };

  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: `${label}{phase} {bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {etaText}{errors}`,
      barsize: 24,
      fps: Math.max(1, Math.round(1000 / (options.refreshMs ?? 200))),
      hideCursor: false,
      clearOnComplete: false,
      stopOnComplete: false,
      linewrap: false,
      etaBuffer: 50,
      barCompleteChar: '#',
      barIncompleteChar: '.',
    });
    let shown = false;
    const refresh = (sample: ProgressSample | null) => {
      if (!sample) return;
      const f = figures(sample);
      const payload = { rows: f.rows, rate: f.rate, etaText: f.eta, errors: f.errors, phase: f.phase };
      if (!shown) {
        bar.start(Math.max(sample.total, 1), Math.min(sample.done, sample.total), payload);
        shown = true;
      } else {
        bar.setTotal(Math.max(sample.total, 1));
        bar.update(Math.min(sample.done, sample.total), payload);
      }
    };
    refresh(options.read());
    const timer = setInterval(() => refresh(options.read()), options.refreshMs ?? 200);
    return {
      stop(final) {
        clearInterval(timer);
        if (final) refresh(final);
        if (shown) bar.stop();
      },
    };
  }

  const line = (sample: ProgressSample) => {
    const f = figures(sample);
    stream.write(
      `${label}${f.phase}: ${f.percent}% | ${f.rows} rows | ${f.rate} rows/s | ETA ${f.eta}${f.errors}\n`,
    );
  };
  const timer = setInterval(() => {
    const sample = options.read();
    if (sample) line(sample);
  }, options.plainEveryMs ?? 2000);
  return {
    stop(final) {
      clearInterval(timer);
      if (final && Date.now() - started >= (options.plainEveryMs ?? 2000)) line(final);
    },
  };
}
