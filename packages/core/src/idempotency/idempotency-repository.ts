import { findProjectRow } from '../db/project-rows.js';
import type { Db, IdempotencyKeyRow } from '../db/schema.js';

/** Inserts the key unless the project has it already; true when this call inserted it. */
export async function insertKeyIfNew(db: Db, row: IdempotencyKeyRow): Promise<boolean> {
  const inserted = await db
    .insertInto('roster_idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findKey(
  db: Db,
  projectId: string,
  key: string,
): Promise<IdempotencyKeyRow | undefined> {
  return findProjectRow(db, 'roster_idempotency_keys', projectId, key, 'key');
}

/** Deletes the key; with `expiredBy`, only if it expired by then. */
export async function deleteKey(db: Db, projectId: string, key: string, expiredBy?: string): Promise<void> {
  await db
    .deleteFrom('roster_idempotency_keys')
    .where('project_id', '=', projectId)
    .where('key', '=', key)
    .$if(expiredBy !== undefined, (q) => q.where('expires_at', '<=', expiredBy!))
    .execute();
}

/** Records the status code the request that claimed the key ended with. */
export async function setKeyStatus(
  db: Db,
  projectId: string,
  key: string,
  statusCode: number,
): Promise<void> {
  await db
    .updateTable('roster_idempotency_keys')
    .set({ status_code: statusCode })
    .where('project_id', '=', projectId)
    .where('key', '=', key)
    .execute();
}

/** Deletes the project's keys expired by `now`; returns how many. */
export async function deleteExpiredKeys(db: Db, projectId: string, now: string): Promise<number> {
  const result = await db
    .deleteFrom('roster_idempotency_keys')
    .where('project_id', '=', projectId)
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** When the project's next key expires, or null when it has none. */
export async function nextKeyExpiry(db: Db, projectId: string): Promise<string | null> {
  const row = await db
    .selectFrom('roster_idempotency_keys')
    .select((eb) => eb.fn.min<string>('expires_at').as('next'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row?.next ?? null;
}
