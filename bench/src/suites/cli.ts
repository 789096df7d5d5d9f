import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import { result } from '../report.js';

/** Wall time of one `node <args>` to exit, in ms. */
function wall(args: string[], cwd: string): number {
  const t0 = performance.now();
  const out = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (out.status !== 0) throw new Error(`node ${args.join(' ')} exited ${out.status}: ${out.stderr}`);
  return ms;
}

/**
 * Start-up of the compiled `roster` CLI: `roster --help` against `node -e 0` (bare Node start-up), run
 * alternately in the same loop so both see the same machine load.
 */
export async function cliStartupSuite(ctx: BenchContext): Promise<void> {
  const cli = join(ctx.root, 'packages/server/dist/cli.js');
  const rounds = ctx.quick ? 10 : 30;
  const help: number[] = [];
  const bare: number[] = [];
  wall([cli, '--help'], ctx.dir); // warm the file cache
  for (let i = 0; i < rounds; i++) {
    bare.push(wall(['-e', '0'], ctx.dir));
    help.push(wall([cli, '--help'], ctx.dir));
  }
  ctx.add(
    result({
      name: 'roster --help wall time (compiled CLI)',
      unit: 'ms',
      better: 'lower',
      values: help,
      baseline: { name: 'node -e 0', values: bare },
      minRatio: 0.25,
      note: 'ratio = node -e 0 / roster --help; >= 0.25 means at most 4x bare Node start-up',
    }),
  );
}
