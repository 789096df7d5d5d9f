import { describeEachDialect, eachMainAndOtherProject } from '@roster/test-harness';
import { expect, it } from 'vitest';
import type { Roster } from '../roster.js';
import * as rows from './project-rows.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

const row = (id: string, project: string, name: string, createdAt: string) => ({
  id,
  project_id: project,
  name,
  description: null,
  created_at: createdAt,
  updated_at: createdAt,
});

describeEachDialect('project rows', (dialect) => {
  eachMainAndOtherProject(dialect, (t) => {
    ({ roster, projectId, otherProjectId } = t);
  });

  async function seed() {
    const ids = ['01900000-0000-7000-8000-000000000001', '01900000-0000-7000-8000-000000000002'];
    await roster.db
      .insertInto('roster_audiences')
      .values([
        // The older id has the newer created_at: the two orders differ.
        row(ids[0]!, projectId, 'first', '2026-01-02T00:00:00.000Z'),
        row(ids[1]!, projectId, 'second', '2026-01-01T00:00:00.000Z'),
        row('01900000-0000-7000-8000-000000000003', otherProjectId, 'elsewhere', '2026-01-03T00:00:00.000Z'),
      ])
      .execute();
    return ids as [string, string];
  }

  it("lists only the project's rows, newest id first or by the given columns", async () => {
    const [a, b] = await seed();
    const byId = await rows.listProjectRows(roster.db, 'roster_audiences', projectId);
    expect(byId.map((r) => r.id)).toEqual([b, a]);
    const byCreated = await rows.listProjectRows(roster.db, 'roster_audiences', projectId, [
      'created_at',
      'id',
    ]);
    expect(byCreated.map((r) => r.id)).toEqual([a, b]);
    expect(await rows.countProjectRows(roster.db, 'roster_audiences', projectId)).toBe(2);
    expect(await rows.countProjectRows(roster.db, 'roster_audiences', otherProjectId)).toBe(1);
  });

  it('finds, updates and deletes a row only in its own project', async () => {
    const [a] = await seed();
    expect((await rows.findProjectRow(roster.db, 'roster_audiences', projectId, a))?.name).toBe('first');
    expect(
      (await rows.findProjectRow(roster.db, 'roster_audiences', projectId, 'second', 'name'))?.name,
    ).toBe('second');
    expect(await rows.findProjectRow(roster.db, 'roster_audiences', otherProjectId, a)).toBeUndefined();
    expect(await rows.projectRowExists(roster.db, 'roster_audiences', projectId, a)).toBe(true);
    expect(await rows.projectRowExists(roster.db, 'roster_audiences', otherProjectId, a)).toBe(false);

    const changes = rows.nameDescriptionChanges({ name: 'renamed' }, '2026-02-01T00:00:00.000Z');
    expect(changes).toEqual({ updated_at: '2026-02-01T00:00:00.000Z', name: 'renamed' });
    expect(
      await rows.updateProjectRow(roster.db, 'roster_audiences', otherProjectId, a, changes),
    ).toBeUndefined();
    expect(await rows.updateProjectRow(roster.db, 'roster_audiences', projectId, a, changes)).toMatchObject({
      id: a,
      name: 'renamed',
      description: null,
      updated_at: '2026-02-01T00:00:00.000Z',
    });

    expect(await rows.deleteProjectRow(roster.db, 'roster_audiences', otherProjectId, a)).toBe(false);
    expect(await rows.deleteProjectRow(roster.db, 'roster_audiences', projectId, a)).toBe(true);
    expect(await rows.deleteProjectRow(roster.db, 'roster_audiences', projectId, a)).toBe(false);
    expect(await rows.countProjectRows(roster.db, 'roster_audiences', projectId)).toBe(1);
  });
});
