#!/usr/bin/env node
// `corepack pnpm release`: builds every package, packs each published package into ./release/ as
// npm would publish it, and checks each tarball with publint (--strict) and Are The Types Wrong
// (--profile esm-only), the same checks as .ci/run. Prints the tarball paths. Does not publish.
// pnpm is reached only through npm_execpath (the package manager running this script), never by
// name: no global pnpm is needed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const PACKAGES = ['core', 'dashboard', 'express', 'server', 'testing'];
const releaseDir = join(root, 'release');

const execpath = process.env.npm_execpath;
if (!execpath || !/pnpm(\.c?js)?$/.test(execpath)) {
  console.error('release: run it as `corepack pnpm release` (it packs with the pnpm that runs it)');
  process.exit(1);
}

/** Runs pnpm (through npm_execpath) with `args` in `cwd`; true when it exits 0. */
function pnpm(args, cwd = root, stdio = 'inherit') {
  const command = /\.c?js$/.test(execpath) ? process.execPath : execpath;
  const prefix = command === process.execPath ? [execpath] : [];
  const result = spawnSync(command, [...prefix, ...args], { cwd, stdio, encoding: 'utf8' });
  return result.status === 0;
}

console.log('== build');
if (!pnpm(['run', 'build'])) {
  console.error('release: the build failed');
  process.exit(1);
}

rmSync(releaseDir, { recursive: true, force: true });
mkdirSync(releaseDir, { recursive: true });
const failed = [];
const tarballs = [];
for (const pkg of PACKAGES) {
  console.log(`== ${pkg}: pack, publint --strict, attw --profile esm-only`);
  const before = new Set(readdirSync(releaseDir));
  if (
    !pnpm(['pack', '--pack-destination', releaseDir], join(root, 'packages', pkg), [
      'ignore',
      'ignore',
      'inherit',
    ])
  ) {
    failed.push(`pack:${pkg}`);
    continue;
  }
  const made = readdirSync(releaseDir).filter((name) => name.endsWith('.tgz') && !before.has(name));
  if (made.length !== 1) {
    failed.push(`pack:${pkg}`);
    continue;
  }
  const tarball = join(releaseDir, made[0]);
  tarballs.push(tarball);
  if (!pnpm(['exec', 'publint', 'run', tarball, '--strict'])) failed.push(`publint:${pkg}`);
  if (!pnpm(['exec', 'attw', tarball, '--profile', 'esm-only', '--format', 'table-flipped']))
    failed.push(`attw:${pkg}`);
}

console.log('\nTarballs (not published):');
for (const tarball of tarballs) console.log(`  ${tarball}`);
if (failed.length > 0) {
  console.error(`\nrelease: failed: ${failed.join(', ')}`);
  process.exit(1);
}
