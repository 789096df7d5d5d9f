import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../index.js';

let roster: Roster;

describeEachDialect('projects', (dialect) => {
  beforeEach(async () => {
    roster = await createTestRoster(dialect);
  });
  afterEach(async () => {
    await roster.close();
  });

  it('ensures a project by name idempotently', async () => {
    const a = await roster.projects.ensure('acme');
    const b = await roster.projects.ensure(' acme ');
    expect(b).toEqual(a);
    expect(await roster.projects.list()).toEqual([a]);
  });
});
