import { isoNow } from '../clock.js';
import { RosterError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import * as repo from './project-repository.js';
import { projectNameSchema } from './project-schemas.js';
import { type Project, rowToProject } from './project-types.js';

export function createProjectService({ db, clock }: ServiceDeps) {
  return {
    /** Returns the project with this name, creating it if needed. */
    async ensure(name: string): Promise<Project> {
      const valid = parseInput(projectNameSchema, name);
      const existing = await repo.findProjectByName(db, valid);
      if (existing) return rowToProject(existing);
      return rowToProject(
        await repo.insertProjectIfMissing(db, { id: uuidv7(), name: valid, created_at: isoNow(clock) }),
      );
    },
    async get(id: string): Promise<Project> {
      const row = await repo.findProjectById(db, id);
      if (!row) throw RosterError.notFound('project');
      return rowToProject(row);
    },
    async findByName(name: string): Promise<Project | null> {
      const row = await repo.findProjectByName(db, name);
      return row ? rowToProject(row) : null;
    },
    async list(): Promise<Project[]> {
      return (await repo.listProjects(db)).map(rowToProject);
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
