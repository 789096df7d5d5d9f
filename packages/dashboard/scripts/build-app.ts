/**
 * Builds the single-page app into dist/app (index.html + hashed assets). Run by the package's
 * `build` script and by the end-to-end tests' setup, so the tests never run against a stale build.
 */
import { fileURLToPath } from 'node:url';
import { build, defaultClientConditions } from 'vite';

export const appRoot = fileURLToPath(new URL('../app/', import.meta.url));
export const appOutDir = fileURLToPath(new URL('../dist/app/', import.meta.url));

export async function buildApp(options: { outDir?: string; quiet?: boolean } = {}): Promise<void> {
  await build({
    configFile: false,
    root: appRoot,
    base: './',
    logLevel: options.quiet ? 'warn' : 'info',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    // `@roster/core/wire` (the app's one import from another package) is read from its TypeScript
    // source, as the app's tsconfig does, so the app builds without building core first.
    resolve: { conditions: ['@roster/source', ...defaultClientConditions] },
    build: {
      outDir: options.outDir ?? appOutDir,
      emptyOutDir: true,
      target: 'es2022',
      // No inline scripts: the dashboard is served with a strict Content-Security-Policy.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      reportCompressedSize: !options.quiet,
    },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildApp();
}
