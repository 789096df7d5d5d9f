import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layers of `packages/core/src` (CONTRIBUTING.md, "Architecture"), bottom up; a file imports only
 * from its own layer and the ones below:
 * 0. the leaves: root files that are neither a service's deps nor composition (`errors.ts`, `clock.ts`,
 *    `logger.ts`, `telemetry.ts`, `wire.ts`, …);
 * 1. `db/`;
 * 2. `outbox/` and `service-deps.ts`;
 * 3. the feature folders, where no `-types.ts`, `-schemas.ts` or `-repository.ts` file imports a
 *    `-service.ts` or `-job.ts` file (of any feature);
 * 4. composition: `options.ts`, `roster.ts`, `background.ts`, `job-views.ts` and the entries.
 */
const COMPOSITION = [
  'options.ts',
  'roster.ts',
  'background.ts',
  'job-views.ts',
  'index.ts',
  'schemas.ts',
  'internal.ts',
];
const SRC = dirname(fileURLToPath(import.meta.url));

function layerOf(file: string): number {
  if (COMPOSITION.includes(file)) return 4;
  if (file === 'service-deps.ts' || file.startsWith('outbox/')) return 2;
  if (file.startsWith('db/')) return 1;
  return file.includes('/') ? 3 : 0;
}

/** Every relative import of core's sources (tests left out), as `from -> to`, paths from `src/`. */
function imports(): [string, string][] {
  const edges: [string, string][] = [];
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' });
  for (const file of files.filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts'))) {
    const source = readFileSync(join(SRC, file), 'utf8');
    for (const [, target] of source.matchAll(/(?:from|import\(?)\s*'(\.[^']+)'/g)) {
      edges.push([file, relative(SRC, join(SRC, dirname(file), target as string)).replace(/\.js$/, '.ts')]);
    }
  }
  return edges;
}

function againstLayering([from, to]: [string, string]): boolean {
  if (layerOf(to) > layerOf(from)) return true;
  return /-(types|schemas|repository)\.ts$/.test(from) && /-(service|job)\.ts$/.test(to);
}

describe('the layers of core', () => {
  it('no import runs against them', () => {
    const edges = imports();
    expect(edges.length).toBeGreaterThan(500);
    expect(edges.filter(againstLayering).map(([from, to]) => `${from} -> ${to}`)).toEqual([]);
  });
});
