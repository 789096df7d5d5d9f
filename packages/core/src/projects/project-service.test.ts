import { describeEachDialect, eachTestRoster } from '@roster/test-harness';
import { expect, it } from 'vitest';
import type { Roster } from '../index.js';

let roster: Roster;

describeEachDialect('projects', (dialect) => {
  eachTestRoster(dialect, [], (r) => {
    roster = r;
  });

  it('ensures a project by name idempotently', async () => {
    const a = await roster.projects.ensure('acme');
    const b = await roster.projects.ensure(' acme ');
    expect(b).toEqual(a);
    expect(await roster.projects.list()).toEqual([a]);
  });
});
