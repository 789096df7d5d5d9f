import { type ChildProcessByStdio, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BenchContext } from './context.js';

/**
 * Starts one of the bench's TypeScript scripts (`script`, a path under `bench/src`) in a process of its
 * own, on the workspace's sources (as the bench itself runs) from `bench/`, with `spec` as its one
 * argument (JSON). Its stdout and stderr are piped; its stdin too when `stdin` is 'pipe' (a script
 * that waits for a signal), else it has none.
 */
export function spawnBenchScript(
  ctx: BenchContext,
  script: string,
  spec: object,
  stdin: 'pipe',
): ChildProcessWithoutNullStreams;
export function spawnBenchScript(
  ctx: BenchContext,
  script: string,
  spec: object,
): ChildProcessByStdio<null, Readable, Readable>;
export function spawnBenchScript(ctx: BenchContext, script: string, spec: object, stdin?: 'pipe') {
  return spawn(
    process.execPath,
    [
      '--conditions=@roster/source',
      '--import',
      'tsx',
      join(ctx.root, 'bench/src', script),
      JSON.stringify(spec),
    ],
    { cwd: join(ctx.root, 'bench'), stdio: [stdin ?? 'ignore', 'pipe', 'pipe'] },
  );
}
