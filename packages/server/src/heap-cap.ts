import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the V8 heap of a long-running command near `capMiB` by running a full garbage collection
 * whenever the used heap grows past it (checked every `everyMs`); returns the function that stops.
 *
 * Why: an import's garbage (parsed cells, statement parameters) survives long enough to be promoted
 * to V8's old generation, which V8 lets grow to hundreds of MB before it collects (measured: a
 * 30 MB `roster import` had 210 MB of heap, almost all garbage, at its end; peak RSS 390 MB).
 * `node --max-old-space-size=64` keeps it small but can only be given on the command line, and
 * as a hard limit it would crash an import with one huge row. This is soft: if what stays alive
 * after a collection is more than half the cap, the cap doubles for the rest of the run.
 */
export function capHeap(capMiB: number, everyMs = 100): () => void {
  // `gc` is exposed to contexts created after the flag is set: the new context's global has it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  if (gc === undefined) return () => {};
  let cap = capMiB * 1024 * 1024;
  const timer = setInterval(() => {
    if (getHeapStatistics().used_heap_size <= cap) return;
    gc();
    const live = getHeapStatistics().used_heap_size;
    if (live > cap / 2) cap = live * 2;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
