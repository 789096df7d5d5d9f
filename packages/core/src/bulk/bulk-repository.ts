import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';

/** Most ids bound in one statement (well under every dialect's bind-parameter limit). */
export const IDS_PER_STATEMENT = 500;

/** The ids among `ids` that are contacts of the project. */
export async function findExistingContactIds(db: Db, projectId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('roster_contacts')
    .select('id')
    .where('project_id', '=', projectId)
    .where('id', 'in', ids)
    .execute();
  return rows.map((r) => r.id);
}

/** Sets `subscribed` on the project's contacts among `ids` that are not already in that state. */
export async function setSubscribed(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  ids: string[],
  subscribed: boolean,
  now: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('roster_contacts')
    .set({ subscribed: dialect.bool(subscribed), updated_at: now })
    .where('project_id', '=', projectId)
    .where('id', 'in', ids)
    .where('subscribed', '=', dialect.bool(!subscribed))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Moves the project's contacts among `ids` into `audienceId` (null: out of any audience). */
export async function setAudience(
  db: Db,
  projectId: string,
  ids: string[],
  audienceId: string | null,
  now: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  let query = db
    .updateTable('roster_contacts')
    .set({ audience_id: audienceId, updated_at: now })
    .where('project_id', '=', projectId)
    .where('id', 'in', ids);
  query =
    audienceId === null
      ? query.where('audience_id', 'is not', null)
      : query.where((eb) => eb.or([eb('audience_id', 'is', null), eb('audience_id', '!=', audienceId)]));
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function deleteContacts(db: Db, projectId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .deleteFrom('roster_contacts')
    .where('project_id', '=', projectId)
    .where('id', 'in', ids)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function audienceExists(db: Db, projectId: string, audienceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('roster_audiences')
    .select('id')
    .where('project_id', '=', projectId)
    .where('id', '=', audienceId)
    .executeTakeFirst();
  return row !== undefined;
}
