import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WEBHOOK_DELIVERY_STATUSES } from '@roster/core/wire';
import { describe, expect, it } from 'vitest';
import { DELIVERY_STATUSES } from '../src/commands/webhooks.js';
import { ROSTER_CLI_ARGS } from './cli-helpers.js';

describe('roster CLI start-up', () => {
  it('spells out the same webhook delivery statuses as core in its help', () => {
    expect([...DELIVERY_STATUSES]).toEqual([...WEBHOOK_DELIVERY_STATUSES]);
  });

  it('prints --help and --version without loading core, Express or a database driver', () => {
    // A hook that records every module the process loads and prints the list on exit.
    const hook = fileURLToPath(new URL('./fixtures/record-loaded-modules.mjs', import.meta.url));
    for (const flag of ['--help', '--version']) {
      const out = spawnSync(process.execPath, ['--import', hook, ...ROSTER_CLI_ARGS, flag], {
        encoding: 'utf8',
      });
      expect(out.status).toBe(0);
      const loaded = out.stderr.split('\n').filter((line) => line.startsWith('loaded '));
      expect(loaded.length).toBeGreaterThan(0); // the hook ran
      const heavy = loaded.filter((line) =>
        /packages\/core\/|\/express\/|better-sqlite3|\/pg\/|kysely/.test(line),
      );
      expect(heavy).toEqual([]);
    }
  });
});
