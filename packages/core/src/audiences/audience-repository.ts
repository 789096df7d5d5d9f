import { contactProjectOf } from '../db/dialect.js';
import {
  deleteProjectRow,
  findProjectRow,
  listProjectRows,
  nameDescriptionChanges,
  projectRowExists,
  updateProjectRow,
} from '../db/project-rows.js';
import type { AudienceRow, Db } from '../db/schema.js';

export async function insertAudience(db: Db, row: AudienceRow): Promise<AudienceRow> {
  return db.insertInto('roster_audiences').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findAudience(db: Db, projectId: string, id: string): Promise<AudienceRow | undefined> {
  return findProjectRow(db, 'roster_audiences', projectId, id);
}

export async function audienceExists(db: Db, projectId: string, id: string): Promise<boolean> {
  return projectRowExists(db, 'roster_audiences', projectId, id);
}

/** Newest first (ids are UUIDv7). */
export async function listAudiences(db: Db, projectId: string): Promise<AudienceRow[]> {
  return listProjectRows(db, 'roster_audiences', projectId);
}

/**
 * Contacts per audience of the project, in one grouped query (served by the
 * `(project_id, audience_id, id)` index). Audiences without contacts are absent from the map.
 */
export async function countContactsByAudience(
  db: Db,
  projectId: string,
  audienceId?: string,
): Promise<Map<string, number>> {
  let q = db
    .selectFrom('roster_contacts')
    .select(['audience_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('project_id', '=', contactProjectOf(projectId))
    .where('audience_id', 'is not', null);
  if (audienceId !== undefined) q = q.where('audience_id', '=', audienceId);
  const rows = await q.groupBy('audience_id').execute();
  return new Map(rows.map((row) => [row.audience_id as string, Number(row.n)]));
}

export interface AudienceChanges {
  name?: string;
  description?: string | null;
}

export async function updateAudience(
  db: Db,
  projectId: string,
  id: string,
  changes: AudienceChanges,
  now: string,
): Promise<AudienceRow | undefined> {
  return updateProjectRow(db, 'roster_audiences', projectId, id, nameDescriptionChanges(changes, now));
}

export async function deleteAudience(db: Db, projectId: string, id: string): Promise<boolean> {
  return deleteProjectRow(db, 'roster_audiences', projectId, id);
}
