import { isoNow } from '../clock.js';
import { clearAudienceFromContacts } from '../contacts/contact-batch-repository.js';
import { RosterError } from '../errors.js';
import { isUuid, uuidv7 } from '../ids.js';
import { recordBatch } from '../outbox/outbox-writes.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import * as repo from './audience-repository.js';
import {
  type CreateAudienceInput,
  createAudienceSchema,
  type UpdateAudienceInput,
  updateAudienceSchema,
} from './audience-schemas.js';
import { type Audience, type AudienceWithCount, rowToAudience } from './audience-types.js';

export function createAudienceService(deps: ServiceDeps) {
  const { db, clock } = deps;
  function notFound(): RosterError {
    return RosterError.notFound('audience');
  }

  return {
    async create(projectId: string, input: CreateAudienceInput): Promise<Audience> {
      const valid = parseInput(createAudienceSchema, input);
      const now = isoNow(clock);
      const row = await repo.insertAudience(db, {
        id: uuidv7(),
        project_id: projectId,
        name: valid.name,
        description: valid.description ?? null,
        created_at: now,
        updated_at: now,
      });
      return rowToAudience(row);
    },

    /** The audience with its contact count, or `not_found` (also for another project's id). */
    async get(projectId: string, id: string): Promise<AudienceWithCount> {
      const key = id.toLowerCase();
      const row = isUuid(key) ? await repo.findAudience(db, projectId, key) : undefined;
      if (!row) throw notFound();
      const counts = await repo.countContactsByAudience(db, projectId, key);
      return { ...rowToAudience(row), contactsCount: counts.get(key) ?? 0 };
    },

    /** Every audience of the project, newest first, each with its contact count (two queries in all). */
    async list(projectId: string): Promise<AudienceWithCount[]> {
      const [rows, counts] = await Promise.all([
        repo.listAudiences(db, projectId),
        repo.countContactsByAudience(db, projectId),
      ]);
      return rows.map((row) => ({ ...rowToAudience(row), contactsCount: counts.get(row.id) ?? 0 }));
    },

    /** Changes only the given fields; `description: null` clears it. */
    async update(projectId: string, id: string, input: UpdateAudienceInput): Promise<Audience> {
      const valid = parseInput(updateAudienceSchema, input);
      const key = id.toLowerCase();
      if (!isUuid(key)) throw notFound();
      const row = await repo.updateAudience(
        db,
        projectId,
        key,
        { name: valid.name, description: valid.description },
        isoNow(clock),
      );
      if (!row) throw notFound();
      return rowToAudience(row);
    },

    /** Deletes the audience. Its contacts stay, with no audience. */
    async delete(projectId: string, id: string): Promise<void> {
      const key = id.toLowerCase();
      if (!isUuid(key)) throw notFound();
      const now = isoNow(clock);
      const deleted = await db.transaction().execute(async (trx) => {
        const moved = await clearAudienceFromContacts(trx, projectId, key, now);
        const found = await repo.deleteAudience(trx, projectId, key);
        await recordBatch(
          deps,
          trx,
          projectId,
          {
            groups: [
              {
                type: 'contact.updated',
                data: { changed: ['audienceId'], previous: { audienceId: key } },
                contactIds: moved,
                withContact: true,
              },
            ],
          },
          now,
        );
        return found;
      });
      deps.changes?.committed();
      if (!deleted) throw notFound();
    },

    /** True if the audience exists in the project. */
    async exists(projectId: string, id: string): Promise<boolean> {
      const key = id.toLowerCase();
      return isUuid(key) && repo.audienceExists(db, projectId, key);
    },
  };
}

export type AudienceService = ReturnType<typeof createAudienceService>;
