import { projectRows } from '../db/project-rows.js';
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

/** The project's declared properties by id (or `key`): `find`, `list` (newest first), `count`, `update`, `delete`. */
export const propertyRows = projectRows('roster_contact_properties');
