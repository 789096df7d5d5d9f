import type { Kysely, Transaction } from 'kysely';
import type { ApiKeysTable, Database, ProjectsTable } from '../db/schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

export async function findProjectByName(db: Db, name: string): Promise<ProjectsTable | undefined> {
  return db.selectFrom('roster_projects').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findProjectById(db: Db, id: string): Promise<ProjectsTable | undefined> {
  return db.selectFrom('roster_projects').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts the project unless one with that name exists; returns the stored row either way. */
export async function insertProjectIfMissing(db: Db, row: ProjectsTable): Promise<ProjectsTable> {
  await db
    .insertInto('roster_projects')
    .values(row)
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const stored = await findProjectByName(db, row.name);
  if (!stored) throw new Error(`roster: project ${row.name} vanished after insert`);
  return stored;
}

export async function listProjects(db: Db): Promise<ProjectsTable[]> {
  return db.selectFrom('roster_projects').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function insertApiKeyIfMissing(db: Db, row: ApiKeysTable): Promise<ApiKeysTable> {
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

export async function findActiveKeyByHash(db: Db, keyHash: string): Promise<ApiKeysTable | undefined> {
  return db
    .selectFrom('roster_api_keys')
    .selectAll()
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function listApiKeys(db: Db, projectId?: string): Promise<ApiKeysTable[]> {
  let query = db.selectFrom('roster_api_keys').selectAll();
  if (projectId) query = query.where('project_id', '=', projectId);
  return query.orderBy('created_at').orderBy('id').execute();
}

export async function revokeApiKey(db: Db, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('roster_api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
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
