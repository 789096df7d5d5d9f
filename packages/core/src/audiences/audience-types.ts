import type { AudienceRow } from '../db/schema.js';

/** An audience: a named list a contact belongs to (at most one per contact). */
export interface Audience {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An audience with the number of contacts currently in it. */
export interface AudienceWithCount extends Audience {
  contactsCount: number;
}

export function rowToAudience(row: AudienceRow): Audience {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
