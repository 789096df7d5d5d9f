import type { AudienceRow, Db } from '../db/schema.js';

export async function insertAudience(db: Db, row: AudienceRow): Promise<AudienceRow> {
  return db.insertInto('roster_audiences').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findAudience(db: Db, projectId: string, id: string): Promise<AudienceRow | undefined> {
  return db
    .selectFrom('roster_audiences')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function audienceExists(db: Db, projectId: string, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('roster_audiences')
    .select('id')
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

/** Newest first (ids are UUIDv7). */
export async function listAudiences(db: Db, projectId: string): Promise<AudienceRow[]> {
  return db
    .selectFrom('roster_audiences')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id', 'desc')
    .execute();
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
    .where('project_id', '=', projectId)
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
  const set: Partial<AudienceRow> = { updated_at: now };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.description !== undefined) set.description = changes.description;
  return db
    .updateTable('roster_audiences')
    .set(set)
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteAudience(db: Db, projectId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('roster_audiences')
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
