import type { ApiKeyRow, Db } from '../db/schema.js';

export async function insertApiKeyIfMissing(db: Db, row: ApiKeyRow): Promise<ApiKeyRow> {
  await db
    .insertInto('roster_api_keys')
    .values(row)
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .execute();
  const stored = await db
    .selectFrom('roster_api_keys')
    .selectAll()
    .where('key_hash', '=', row.key_hash)
    .executeTakeFirstOrThrow();
  return stored;
}

export async function findActiveKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('roster_api_keys')
    .selectAll()
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function listApiKeys(db: Db, projectId?: string): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('roster_api_keys').selectAll();
  if (projectId) query = query.where('project_id', '=', projectId);
  return query.orderBy('created_at').orderBy('id').execute();
}

export async function revokeApiKey(db: Db, id: string, at: string, projectId?: string): Promise<boolean> {
  let query = db
    .updateTable('roster_api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countApiKeys(db: Db): Promise<number> {
  const row = await db
    .selectFrom('roster_api_keys')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
