import type { Insertable } from 'kysely';
import type { AuditLogTable, Db } from '../db/schema.js';

export async function insertAuditEntry(db: Db, row: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('roster_audit_log').values(row).execute();
}

/** Newest first; `before` is an id (keyset), `since` an ISO time. Reads `limit + 1` rows. */
export async function listAuditEntries(
  db: Db,
  projectId: string,
  options: { since?: string; action?: string; before?: string; limit: number },
) {
  let query = db.selectFrom('roster_audit_log').selectAll().where('project_id', '=', projectId);
  if (options.since) query = query.where('created_at', '>=', options.since);
  if (options.action) query = query.where('action', '=', options.action);
  if (options.before) query = query.where('id', '<', options.before);
  return query
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .execute();
}

/** Deletes the project's entries created before `before` (ISO); returns how many. */
export async function deleteAuditEntriesBefore(db: Db, projectId: string, before: string): Promise<number> {
  const result = await db
    .deleteFrom('roster_audit_log')
    .where('project_id', '=', projectId)
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The time of the project's oldest entry, or null. */
export async function oldestAuditEntry(db: Db, projectId: string): Promise<string | null> {
  const row = await db
    .selectFrom('roster_audit_log')
    .select('created_at')
    .where('project_id', '=', projectId)
    .orderBy('id', 'asc')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at ?? null;
}
