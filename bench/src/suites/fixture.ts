import { createRoster } from '@roster/core';
import { startRoster } from '@roster/testing';
import type { BenchContext } from '../context.js';
import { result } from '../report.js';

/** `startRoster()` then `close()`, after a first (warm-up) one; baseline: `createRoster()` alone. */
export async function fixtureSuite(ctx: BenchContext): Promise<void> {
  const times: number[] = [];
  const bare: number[] = [];
  await (await startRoster()).close(); // the first one loads modules
  for (let i = 0; i < Math.max(ctx.runs, 10); i++) {
    let t0 = performance.now();
    const roster = await createRoster({ database: ':memory:' });
    await roster.close();
    bare.push(performance.now() - t0);
    t0 = performance.now();
    const fixture = await startRoster();
    await fixture.close();
    times.push(performance.now() - t0);
  }
  ctx.add(
    result({
      name: 'fixture startRoster() + close(), after the first',
      unit: 'ms',
      better: 'lower',
      values: times,
      baseline: { name: "createRoster({ database: ':memory:' }) + close()", values: bare },
      maxValue: 100,
    }),
  );
}
