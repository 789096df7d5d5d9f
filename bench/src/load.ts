import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** What the machine was doing while one metric was measured (saved with the metric). */
export interface LoadWindow {
  /** `os.loadavg()[0]` (1-minute load average) when the metric's measurement started. */
  before: number;
  /** ... when it ended. */
  after: number;
  /** The highest 1-minute load average seen from start to end (sampled every second, plus both ends). */
  max: number;
  /**
   * Cores kept busy on average during the measurement by the bench's own processes (this one and
   * the children it waited for: load clients, CLI imports) and by everything else on the machine;
   * null where /proc is not readable (not Linux).
   */
  cpu: { bench: number; others: number } | null;
  seconds: number;
}

/** Busy and total jiffies of the whole machine (/proc/stat), and this process tree's jiffies. */
export function jiffies(): { busy: number; total: number; own: number } | null {
  try {
    const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const fields = cpuLine.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    // /proc/self/stat: fields after the ")" of the command name; utime, stime, cutime, cstime are 14-17.
    const self = readFileSync('/proc/self/stat', 'utf8');
    const rest = self.slice(self.lastIndexOf(')') + 2).split(' ');
    const own = [11, 12, 13, 14].reduce((a, i) => a + Number(rest[i]), 0);
    return { busy: total - idle, total, own };
  } catch {
    return null;
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Measures how many cores the whole machine kept busy (every process, a database server included)
 * from this call until the returned function is called; null where /proc is not readable.
 */
export function machineBusy(): () => number | null {
  const start = jiffies();
  return () => {
    const end = jiffies();
    if (!start || !end || end.total <= start.total) return null;
    const perCore = (end.total - start.total) / cpus().length;
    return round2((end.busy - start.busy) / perCore);
  };
}

/**
 * Watches the machine's load for `pnpm bench`: `open()` starts a measurement window, `close()`
 * ends it and returns the window's load. A window is noisy when the 1-minute load average
 * exceeded the number of cores at any point of it (see `isNoisy`).
 */
export class LoadTracker {
  readonly cores = cpus().length;
  private max = 0;
  private startLoad = 0;
  private startAt = 0;
  private startJiffies: ReturnType<typeof jiffies> = null;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.open();
    this.timer = setInterval(() => {
      this.max = Math.max(this.max, loadavg()[0]!);
    }, 1000);
    this.timer.unref();
  }

  open(): void {
    this.startLoad = loadavg()[0]!;
    this.max = this.startLoad;
    this.startAt = performance.now();
    this.startJiffies = jiffies();
  }

  close(): LoadWindow {
    const after = loadavg()[0]!;
    const seconds = (performance.now() - this.startAt) / 1000;
    const end = jiffies();
    let cpu: LoadWindow['cpu'] = null;
    const start = this.startJiffies;
    if (start && end && end.total > start.total) {
      // /proc/stat's total counts every core: its delta over the window is (cores × wall) in jiffies.
      const perCore = (end.total - start.total) / this.cores;
      const busy = (end.busy - start.busy) / perCore;
      const bench = Math.min(busy, (end.own - start.own) / perCore);
      cpu = { bench: round2(bench), others: round2(Math.max(0, busy - bench)) };
    }
    return {
      before: round2(this.startLoad),
      after: round2(after),
      max: round2(Math.max(this.max, after)),
      cpu,
      seconds: Math.round(seconds * 10) / 10,
    };
  }

  isNoisy(window: LoadWindow): boolean {
    return window.max > this.cores;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
