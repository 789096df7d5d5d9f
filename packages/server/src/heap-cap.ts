import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the V8 heap of a long-running command small; returns the function that stops the checks.
 *
 * 1. The young generation stays at the size it has when this is called (V8 starts it at 1 MiB per
 *    semi-space and doubles it up to 16 MiB as the program allocates): call this before loading
 *    the modules the command needs. `--max-semi-space-size` can only be given on the command line,
 *    but `--semi-space-growth-factor` is read whenever V8 would grow the young generation, so
 *    setting it to 1 here keeps the young generation at ~2 MiB instead of 32 (measured: ~30 MB
 *    less peak RSS on a 100 MB `roster import`, CPU time within the run-to-run spread).
 * 2. A full garbage collection runs whenever the used heap grows past a limit (checked every
 *    `everyMs`). Why: an import's garbage (parsed cells, the batch's rows) survives long enough to
 *    be promoted to V8's old generation, which V8 lets grow to hundreds of MB before it collects
 *    (measured: a 30 MB `roster import` had 210 MB of heap, almost all garbage, at its end; peak
 *    RSS 390 MB). `node --max-old-space-size=64` keeps it small but can only be given on the
 *    command line, and as a hard limit it would crash an import with one huge row. This is soft:
 *    the limit is `capMiB`, or what stayed alive after the last collection plus half of `capMiB`
 *    if that is more.
 */
export function capHeap(capMiB: number, everyMs = 20): () => void {
  setFlagsFromString('--semi-space-growth-factor=1');
  // `gc` is exposed to contexts created after the flag is set: the new context's global has it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  if (gc === undefined) return () => {};
  const base = capMiB * 1024 * 1024;
  let limit = base;
  const timer = setInterval(() => {
    if (getHeapStatistics().used_heap_size <= limit) return;
    gc();
    limit = Math.max(base, getHeapStatistics().used_heap_size + base / 2);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
