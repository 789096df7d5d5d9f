import {
  countProjectRows,
  deleteProjectRow,
  findProjectRow,
  listProjectRows,
  updateProjectRow,
} from '../db/project-rows.js';
import type { ContactPropertyRow, Db } from '../db/schema.js';
import type { PropertyType } from './property-types.js';

export interface NewPropertyRow {
  id: string;
  project_id: string;
  key: string;
  type: PropertyType;
  fallback_value: string | null;
  created_at: string;
}

/** Inserts the property, or returns undefined when the project already has its key. */
export async function insertPropertyIfNew(
  db: Db,
  row: NewPropertyRow,
): Promise<ContactPropertyRow | undefined> {
  return db
    .insertInto('roster_contact_properties')
    .values(row)
    .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findPropertyById(
  db: Db,
  projectId: string,
  id: string,
): Promise<ContactPropertyRow | undefined> {
  return findProjectRow(db, 'roster_contact_properties', projectId, id);
}

export async function findPropertyByKey(
  db: Db,
  projectId: string,
  key: string,
): Promise<ContactPropertyRow | undefined> {
  return findProjectRow(db, 'roster_contact_properties', projectId, key, 'key');
}

/** Newest first (ids are UUIDv7). */
export async function listProperties(db: Db, projectId: string): Promise<ContactPropertyRow[]> {
  return listProjectRows(db, 'roster_contact_properties', projectId);
}

export async function countProperties(db: Db, projectId: string): Promise<number> {
  return countProjectRows(db, 'roster_contact_properties', projectId);
}

/** Every declared key of the project with its type (the write paths' type check reads this). */
export async function listPropertyTypes(
  db: Db,
  projectId: string,
): Promise<{ key: string; type: PropertyType }[]> {
  return db
    .selectFrom('roster_contact_properties')
    .select(['key', 'type'])
    .where('project_id', '=', projectId)
    .execute();
}

export async function updatePropertyFallback(
  db: Db,
  projectId: string,
  id: string,
  fallbackValue: string | null,
): Promise<ContactPropertyRow | undefined> {
  return updateProjectRow(db, 'roster_contact_properties', projectId, id, { fallback_value: fallbackValue });
}

export async function deleteProperty(db: Db, projectId: string, id: string): Promise<boolean> {
  return deleteProjectRow(db, 'roster_contact_properties', projectId, id);
}
