import type { BenchResult } from './report.js';

/** Sizes of one mode: `pnpm bench` (full) or `pnpm bench --quick`. */
export interface Sizes {
  /** CSV posted to POST /contacts/import (and imported row by row). */
  importBytes: number;
  /** CSV imported by `roster import`. */
  cliBytes: number;
  /** Contacts in the project the list, search, HTTP and bulk metrics run on. */
  contacts: number;
  /** Requests per latency sample set (list and search, through core and HTTP). */
  requests: number;
  /** Seconds of each autocannon load. */
  loadSeconds: number;
  /** One-row import jobs enqueued, then drained by the started runner. */
  drainJobs: number;
}

export const FULL: Sizes = {
  importBytes: 5_000_000,
  cliBytes: 100_000_000,
  contacts: 1_000_000,
  requests: 200,
  loadSeconds: 10,
  drainJobs: 1000,
};

export const QUICK: Sizes = {
  importBytes: 1_000_000,
  cliBytes: 10_000_000,
  contacts: 100_000,
  requests: 100,
  loadSeconds: 3,
  drainJobs: 300,
};

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** Temp directory of this run (removed at the end). */
  dir: string;
  quick: boolean;
  sizes: Sizes;
  /** Repetitions of every metric (at least 3); the median is reported. */
  runs: number;
  /**
   * Records a metric. The runner attaches the machine's load during its measurement: from the
   * suite's start (or `mark()`, or the previous batch of `add` calls) to this call; metrics added
   * together in one batch (less than 250 ms apart) share that window.
   */
  add(result: BenchResult): void;
  /** Starts the next metric's load window now (after set-up that is not part of the measurement). */
  mark(): void;
  log(message: string): void;
  /** Adds a Markdown section printed under the table of the run's `.md` report (e.g. a side-by-side table). */
  section(markdown: string): void;
}
