import Database from 'better-sqlite3';

/** Calls and time of one SQL text (whitespace folded, cut to the counter's key length). */
export interface StatementCount {
  calls: number;
  ms: number;
  /** `performance.now()` when the first and the last call of this text started. */
  first: number;
  last: number;
}

/**
 * Counts every better-sqlite3 statement run in this process while `counting` is true (the
 * statement prototype's run/get/all/iterate wrapped once): calls and wall time per SQL text, cut to
 * `keyLength` characters. For the profile scripts' "statements per call" tables.
 */
export function statementCounter(keyLength: number) {
  const counter = { counts: new Map<string, StatementCount>(), counting: false };
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      if (!counter.counting) return original.apply(this, args);
      const key = this.source.replace(/\s+/g, ' ').slice(0, keyLength);
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const entry = counter.counts.get(key) ?? { calls: 0, ms: 0, first: t0, last: t0 };
        entry.calls++;
        entry.last = t0;
        entry.ms += performance.now() - t0;
        counter.counts.set(key, entry);
      }
    };
  }
  return counter;
}
