import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built single-page app (index.html and assets/), shipped inside this package. Serve it with
 * `dashboard()` from `@roster/express`, which also mounts the APIs it calls.
 */
export const dashboardAssetsDir: string = fileURLToPath(new URL('../dist/app/', import.meta.url));

/** Whether the app has been built (`pnpm --filter @roster/dashboard build`). */
export function isDashboardBuilt(): boolean {
  return existsSync(`${dashboardAssetsDir}index.html`);
}
