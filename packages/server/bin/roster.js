#!/usr/bin/env node
// The `roster` bin inside the workspace: runs the compiled CLI in dist/ (`pnpm build` first). The published
// package points `bin` straight at dist/cli.js (publishConfig), so this file is not shipped.
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    console.error('roster: the CLI is not built yet; run `pnpm build` at the repository root');
    process.exit(1);
  }
  throw error;
}
