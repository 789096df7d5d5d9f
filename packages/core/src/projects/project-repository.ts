import type { Db, ProjectRow } from '../db/schema.js';

export async function findProjectByName(db: Db, name: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('roster_projects').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findProjectById(db: Db, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('roster_projects').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts the project unless one with that name exists; returns the stored row either way. */
export async function insertProjectIfMissing(db: Db, row: ProjectRow): Promise<ProjectRow> {
  await db
    .insertInto('roster_projects')
    .values(row)
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const stored = await findProjectByName(db, row.name);
  if (!stored) throw new Error(`roster: project ${row.name} vanished after insert`);
  return stored;
}

export async function listProjects(db: Db): Promise<ProjectRow[]> {
  return db.selectFrom('roster_projects').selectAll().orderBy('created_at').orderBy('id').execute();
}
