import type { ProjectRow } from '../db/schema.js';

export interface Project {
  id: string;
  name: string;
  createdAt: string;
}

export function rowToProject(row: ProjectRow): Project {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}
