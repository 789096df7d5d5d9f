import { defineConfig } from 'vitest/config';

// Every @roster/* import resolves to the package's TypeScript sources through the "@roster/source"
// export condition (first in each package's `exports`), so tests never run what happens to be in dist/.
const conditions = ['@roster/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits up to 15 s (vitest's default is 1 s): jobs and pages answer slower on a loaded 2-core CI
    // machine. Tests that prove "not by the poll" use hour-long poll intervals, so this weakens none of them.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
  },
});
