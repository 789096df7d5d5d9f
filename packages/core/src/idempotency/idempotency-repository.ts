import { compiledOnce } from '../db/compiled-query.js';
import { findProjectRow } from '../db/project-rows.js';
import type { Db, IdempotencyKeyRow } from '../db/schema.js';

type KeyArgs = [
  projectId: string,
  key: string,
  method: string,
  path: string,
  statusCode: number | null,
  createdAt: string,
  expiresAt: string,
];

/** The claim of a key (every `POST /v1/track` with an Idempotency-Key): compiled once. */
const insertKey = compiledOnce<{ key: string }, KeyArgs>(
  7,
  (db, projectId, key, method, path, statusCode, createdAt, expiresAt) =>
    db
      .insertInto('roster_idempotency_keys')
      .values({
        project_id: projectId!,
        key: key!,
        method: method!,
        path: path!,
        status_code: statusCode as never,
        created_at: createdAt!,
        expires_at: expiresAt!,
      })
      .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
      .returning('key'),
  { readOnly: false },
);

/** Inserts the key unless the project has it already; true when this call inserted it. */
export async function insertKeyIfNew(db: Db, row: IdempotencyKeyRow): Promise<boolean> {
  const inserted = await insertKey(
    db,
    row.project_id,
    row.key,
    row.method,
    row.path,
    row.status_code,
    row.created_at,
    row.expires_at,
  );
  return inserted.length > 0;
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
  await updateKeyStatus(db, statusCode, projectId, key);
}

/** The settling of a claimed key (every `POST /v1/track` with an Idempotency-Key): compiled once. */
const updateKeyStatus = compiledOnce<unknown, [statusCode: number, projectId: string, key: string]>(
  3,
  (db, statusCode, projectId, key) =>
    db
      .updateTable('roster_idempotency_keys')
      .set({ status_code: statusCode as never })
      .where('project_id', '=', projectId!)
      .where('key', '=', key!),
  { readOnly: false },
);

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
