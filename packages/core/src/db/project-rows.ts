import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, Db } from './schema.js';

/**
 * Same-shape statements over a project's rows, one home for the one-statement repository
 * functions of audiences, segments, topics, properties, webhooks, idempotency keys and contacts.
 * Each is exactly one statement, scoped by `project_id`.
 */

/**
 * The tables whose rows belong to a project by its id (a text `project_id` column); not
 * `roster_contacts`, whose `project_id` is a `ContactProjectKey` (contacts/contact-repository.ts).
 */
export type ProjectTable = {
  [T in keyof Database]: Database[T] extends { project_id: string } ? T : never;
}[keyof Database];

/** A column of the table, by name. */
export type ColumnOf<T extends ProjectTable> = keyof Database[T] & string;

/** The same database, untyped: the typed signatures below are what callers see. */
function loose(db: Db): Kysely<any> {
  return db as unknown as Kysely<any>;
}

/** The project's row whose `column` (default `id`) equals `value`. */
export async function findProjectRow<T extends ProjectTable>(
  db: Db,
  table: T,
  projectId: string,
  value: string,
  column: ColumnOf<T> = 'id' as ColumnOf<T>,
): Promise<Selectable<Database[T]> | undefined> {
  return loose(db)
    .selectFrom(table as string)
    .selectAll()
    .where('project_id', '=', projectId)
    .where(column as string, '=', value)
    .executeTakeFirst() as Promise<Selectable<Database[T]> | undefined>;
}

/** Whether the project has the row with this id. */
export async function projectRowExists(
  db: Db,
  table: ProjectTable,
  projectId: string,
  id: string,
): Promise<boolean> {
  const row = await loose(db)
    .selectFrom(table as string)
    .select('id')
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every row of the project, newest first: ordered by `newestBy` columns descending (default `id`, a UUIDv7). */
export async function listProjectRows<T extends ProjectTable>(
  db: Db,
  table: T,
  projectId: string,
  newestBy: readonly ColumnOf<T>[] = ['id' as ColumnOf<T>],
): Promise<Selectable<Database[T]>[]> {
  let query = loose(db)
    .selectFrom(table as string)
    .selectAll()
    .where('project_id', '=', projectId);
  for (const column of newestBy) query = query.orderBy(column as string, 'desc');
  return query.execute() as Promise<Selectable<Database[T]>[]>;
}

/** How many rows the project has. */
export async function countProjectRows(db: Db, table: ProjectTable, projectId: string): Promise<number> {
  const row = await loose(db)
    .selectFrom(table as string)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sets `changes` on the project's row with this id; the updated row, or undefined when absent. */
export async function updateProjectRow<T extends ProjectTable>(
  db: Db,
  table: T,
  projectId: string,
  id: string,
  changes: Updateable<Database[T]>,
): Promise<Selectable<Database[T]> | undefined> {
  return loose(db)
    .updateTable(table as string)
    .set(changes as Record<string, unknown>)
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst() as Promise<Selectable<Database[T]> | undefined>;
}

/** Deletes the project's row with this id; true when there was one. */
export async function deleteProjectRow(
  db: Db,
  table: ProjectTable,
  projectId: string,
  id: string,
): Promise<boolean> {
  const result = await loose(db)
    .deleteFrom(table as string)
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The statements above bound to one table: `const topicRows = projectRows('roster_topics')`. */
export function projectRows<T extends ProjectTable>(table: T) {
  return {
    find: (db: Db, projectId: string, value: string, column?: ColumnOf<T>) =>
      findProjectRow(db, table, projectId, value, column),
    exists: (db: Db, projectId: string, id: string) => projectRowExists(db, table, projectId, id),
    list: (db: Db, projectId: string, newestBy?: readonly ColumnOf<T>[]) =>
      listProjectRows(db, table, projectId, newestBy),
    count: (db: Db, projectId: string) => countProjectRows(db, table, projectId),
    update: (db: Db, projectId: string, id: string, changes: Updateable<Database[T]>) =>
      updateProjectRow(db, table, projectId, id, changes),
    delete: (db: Db, projectId: string, id: string) => deleteProjectRow(db, table, projectId, id),
  };
}

/** The changes of a name/description update: `updated_at`, plus `name` and `description` where given. */
export function nameDescriptionChanges(
  input: { name?: string; description?: string | null },
  now: string,
): { updated_at: string; name?: string; description?: string | null } {
  const changes: { updated_at: string; name?: string; description?: string | null } = { updated_at: now };
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  return changes;
}
