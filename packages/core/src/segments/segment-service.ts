import type { RawBuilder, Updateable } from 'kysely';
import { isoNow } from '../clock.js';
import { normaliseEmail } from '../contacts/contact-fields.js';
import {
  contactExists,
  findContactIdsByEmail,
  insertContactsIfNew,
  type NewContactRow,
  newRowToContact,
} from '../contacts/contact-repository.js';
import { type Contact, rowToContact } from '../contacts/contact-types.js';
import { nameDescriptionChanges } from '../db/project-rows.js';
import type { SegmentRow, SegmentsTable } from '../db/schema.js';
import { orNotFound, RosterError } from '../errors.js';
import { insertEvents } from '../events/event-repository.js';
import { isUuid, uuidv7 } from '../ids.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobDefinition } from '../jobs/job-types.js';
import { recordBatch, recordChanges } from '../outbox/outbox-writes.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { BLOCKING_SCAN_CHUNK, contactChunks } from './contact-chunks.js';
import { contactFilterSql } from './contact-filter.js';
import * as repo from './segment-repository.js';
import {
  type CreateSegmentInput,
  createSegmentSchema,
  type SegmentContactsInput,
  type SegmentMembersInput,
  segmentContactsSchema,
  segmentMembersSchema,
  type UpdateSegmentInput,
  updateSegmentSchema,
} from './segment-schemas.js';
import { rowToSegment, type Segment, segmentSlug } from './segment-types.js';

export const SEGMENTS_REFRESH_JOB_TYPE = 'segments.refresh';

export interface SegmentServiceDeps extends ServiceDeps {
  jobs: JobRunner;
  refreshIntervalMs: number;
  /** Contacts per chunk of a refresh or compute (see contactChunks); the dialect's default when absent. */
  scanChunkSize?: number;
}

export interface Page<T> {
  data: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

/** Segments counted by one statement of a refresh (each adds a `sum(...)` column). */
const CONDITIONS_PER_SCAN = 25;

export function createSegmentService(deps: SegmentServiceDeps) {
  const { db, dialect, clock, jobs } = deps;

  const toSegment = (row: SegmentRow): Segment => rowToSegment(row, dialect);

  async function getRow(projectId: string, id: string): Promise<SegmentRow> {
    return orNotFound(
      isUuid(id) ? await repo.findSegment(db, projectId, id.toLowerCase()) : undefined,
      'segment',
    );
  }

  /** The compiled condition of a DYNAMIC segment (`selfId` guards self-reference). */
  function where(projectId: string, condition: unknown, selfId?: string): Promise<RawBuilder<boolean>> {
    return contactFilterSql(deps, projectId, condition, { root: 'condition', selfId });
  }

  const countMembers = (segmentId: string) => repo.countMembers(db, segmentId);
  const saveCount = (segmentId: string, memberCount: number) =>
    repo.saveMemberCount(db, segmentId, memberCount);

  async function ensureRefreshJob(projectId: string): Promise<void> {
    await jobs.ensure(projectId, SEGMENTS_REFRESH_JOB_TYPE, {
      runAt: new Date(clock().getTime() + deps.refreshIntervalMs),
    });
  }

  /**
   * How many contacts of the project match each condition, counted in one pass over the contacts:
   * one statement on PostgreSQL, chunks that yield to I/O on SQLite (see contactChunks), so a
   * refresh of every segment of a big project never stalls the API.
   */
  async function countMatchingMany(projectId: string, conditions: RawBuilder<boolean>[]): Promise<number[]> {
    const totals: number[] = [];
    const scanChunk = deps.scanChunkSize ?? BLOCKING_SCAN_CHUNK;
    for (let start = 0; start < conditions.length; start += CONDITIONS_PER_SCAN) {
      const some = conditions.slice(start, start + CONDITIONS_PER_SCAN);
      totals.push(...(await repo.countMatchingEach(db, dialect, projectId, some, scanChunk)));
    }
    return totals;
  }

  async function refreshRow(row: SegmentRow): Promise<number> {
    const count =
      row.type === 'STATIC'
        ? await countMembers(row.id)
        : (
            await countMatchingMany(row.project_id, [
              await where(row.project_id, dialect.parseJson(row.condition)),
            ])
          )[0]!;
    await saveCount(row.id, count);
    return count;
  }

  /**
   * Diffs a tracked DYNAMIC segment's matches against its members, recording entry/exit events.
   * Chunk by chunk of contacts (see contactChunks), each in its own short transaction, so a project
   * of a million contacts never holds the SQLite writer (or one PostgreSQL transaction) for long.
   */
  async function computeRow(row: SegmentRow): Promise<{ added: number; removed: number; total: number }> {
    if (row.type === 'STATIC') {
      const total = await countMembers(row.id);
      await saveCount(row.id, total);
      return { added: 0, removed: 0, total };
    }
    const condition = await where(row.project_id, dialect.parseJson(row.condition));
    const slug = segmentSlug(row.name);
    const eventData = { segmentId: row.id, segmentName: row.name };
    let added = 0;
    let removed = 0;
    let total = 0;
    for await (const chunk of contactChunks(db, dialect, row.project_id, deps.scanChunkSize)) {
      await db.transaction().execute(async (trx) => {
        const now = isoNow(clock);
        const entering: string[] = [];
        const leaving: string[] = [];
        for (const r of await repo.membershipCandidates(trx, row.id, row.project_id, condition, chunk)) {
          if (r.matches) total++;
          if (r.matches && !r.member) entering.push(r.id);
          else if (!r.matches && r.member) leaving.push(r.id);
        }
        await repo.enterMembers(trx, row.id, entering, now);
        await repo.exitMembers(trx, row.id, leaving, now, { onlyCurrent: false });
        const event = (contactId: string, name: string) => ({
          id: uuidv7(),
          projectId: row.project_id,
          contactId,
          name,
          data: eventData,
          createdAt: now,
        });
        await insertEvents(trx, dialect, [
          ...entering.map((id) => event(id, `segment.${slug}.entry`)),
          ...leaving.map((id) => event(id, `segment.${slug}.exit`)),
        ]);
        await recordBatch(
          deps,
          trx,
          row.project_id,
          {
            groups: [
              { type: `segment.${slug}.entry`, data: eventData, contactIds: entering },
              { type: `segment.${slug}.exit`, data: eventData, contactIds: leaving },
            ],
          },
          now,
        );
        added += entering.length;
        removed += leaving.length;
      });
      deps.changes?.committed();
    }
    await saveCount(row.id, total);
    return { added, removed, total };
  }

  const contactIdsByEmail = (projectId: string, emails: string[]) =>
    findContactIdsByEmail(db, projectId, emails);

  function staticOnly(row: SegmentRow, verb: 'add contacts to' | 'remove contacts from'): void {
    if (row.type !== 'STATIC') {
      throw RosterError.validation(
        [{ field: 'type', message: `Can only ${verb} STATIC segments` }],
        `Can only ${verb} STATIC segments`,
      );
    }
  }

  const service = {
    /** Every segment of the project, newest first. */
    async list(projectId: string): Promise<Segment[]> {
      return (await repo.listSegments(db, projectId)).map(toSegment);
    },

    /** The STATIC segments the contact is currently a member of, newest first (`not_found` for an unknown contact). */
    async ofContact(projectId: string, contactId: string): Promise<Segment[]> {
      const id = contactId.toLowerCase();
      if (!isUuid(id) || !(await contactExists(db, dialect, projectId, id)))
        throw RosterError.notFound('contact');
      return (await repo.segmentsOfContact(db, projectId, id)).map(toSegment);
    },

    async get(projectId: string, id: string): Promise<Segment> {
      return toSegment(await getRow(projectId, id));
    },

    /**
     * Creates a DYNAMIC segment (its `condition` is validated and its members counted) or a STATIC
     * one (`condition` ignored, no members yet). Starts the project's periodic refresh job.
     */
    async create(projectId: string, input: CreateSegmentInput): Promise<Segment> {
      const valid = parseInput(createSegmentSchema, input);
      const type = valid.type ?? 'DYNAMIC';
      let memberCount = 0;
      if (type === 'DYNAMIC') {
        if (valid.condition === undefined || valid.condition === null) {
          throw RosterError.validation([{ field: 'condition', message: 'is required for DYNAMIC segments' }]);
        }
        memberCount = await repo.countMatchingContacts(
          db,
          projectId,
          await where(projectId, valid.condition),
        );
      }
      const now = isoNow(clock);
      const row = await repo.insertSegment(db, {
        id: uuidv7(),
        project_id: projectId,
        name: valid.name,
        description: valid.description ?? null,
        type,
        condition: type === 'DYNAMIC' ? dialect.json(valid.condition) : null,
        track_membership: dialect.bool(valid.trackMembership ?? false),
        member_count: memberCount,
        created_at: now,
        updated_at: now,
      });
      await ensureRefreshJob(projectId);
      return toSegment(row);
    },

    /** Changes the given fields; a new `condition` (DYNAMIC only) is validated and recounted. */
    async update(projectId: string, id: string, input: UpdateSegmentInput): Promise<Segment> {
      const valid = parseInput(updateSegmentSchema, input);
      const existing = await getRow(projectId, id);
      const set: Updateable<SegmentsTable> = nameDescriptionChanges(valid, isoNow(clock));
      if (valid.trackMembership !== undefined) set.track_membership = dialect.bool(valid.trackMembership);
      if (valid.condition !== undefined && existing.type === 'DYNAMIC') {
        set.condition = dialect.json(valid.condition);
        set.member_count = await repo.countMatchingContacts(
          db,
          projectId,
          await where(projectId, valid.condition, existing.id),
        );
      }
      return toSegment(orNotFound(await repo.updateSegment(db, projectId, existing.id, set), 'segment'));
    },

    /** Deletes the segment and its memberships. */
    async delete(projectId: string, id: string): Promise<void> {
      const row = await getRow(projectId, id);
      await repo.deleteSegment(db, row.id);
    },

    /**
     * A page of the segment's contacts: DYNAMIC evaluated live (newest first), STATIC its members
     * (latest entry first).
     */
    async contacts(projectId: string, id: string, input: SegmentContactsInput = {}): Promise<Page<Contact>> {
      const valid = parseInput(segmentContactsSchema, input);
      const page = valid.page ?? 1;
      const pageSize = valid.pageSize ?? 20;
      const offset = (page - 1) * pageSize;
      const row = await getRow(projectId, id);
      let data: Contact[];
      let total: number;
      if (row.type === 'STATIC') {
        const rows = await repo.listMemberContacts(db, row.id, { limit: pageSize, offset });
        data = rows.map((r) => rowToContact(r, dialect, projectId));
        total = await countMembers(row.id);
      } else {
        const condition = await where(projectId, dialect.parseJson(row.condition));
        const rows = await repo.listMatchingContacts(db, dialect, projectId, condition, {
          limit: pageSize,
          offset,
        });
        data = rows.map((r) => rowToContact(r, dialect, projectId));
        total = await repo.countMatchingContacts(db, projectId, condition);
      }
      return { data, total, page, pageSize, totalPages: Math.ceil(total / pageSize) };
    },

    /**
     * Adds contacts (by email) to a STATIC segment; `createMissing` creates unknown emails with
     * `subscribed` (default true). `added` counts every matched contact, members already included.
     */
    async addMembers(
      projectId: string,
      id: string,
      input: SegmentMembersInput,
    ): Promise<{ added: number; created: number; notFound: string[] }> {
      const valid = parseInput(segmentMembersSchema, input);
      const row = await getRow(projectId, id);
      staticOnly(row, 'add contacts to');
      const emails = [...new Set(valid.emails.map(normaliseEmail))];
      const now = isoNow(clock);
      // One transaction: the contacts created, their memberships and their `contact.created`
      // events (as `contacts.createMany` and imports record them) are written together or not at all.
      const { contacts, created } = await db.transaction().execute(async (trx) => {
        let contacts = await findContactIdsByEmail(trx, projectId, emails);
        let created: Contact[] = [];
        if (valid.createMissing) {
          const have = new Set(contacts.map((c) => c.email));
          const missing = emails.filter((e) => !have.has(e) && e.length > 0);
          const subscribed = valid.subscribed ?? true;
          const rows: NewContactRow[] = missing.map((email) => ({
            id: uuidv7(),
            projectId,
            email,
            subscribed,
            data: null,
            firstName: null,
            lastName: null,
            audienceId: null,
            now,
          }));
          const inserted = new Set((await insertContactsIfNew(trx, dialect, rows)).map((r) => r.id));
          created = rows.filter((r) => inserted.has(r.id)).map(newRowToContact);
          if (missing.length > 0) contacts = await findContactIdsByEmail(trx, projectId, emails);
        }
        await repo.enterMembers(
          trx,
          row.id,
          contacts.map((c) => c.id),
          now,
        );
        // Last in the transaction (the outbox's append lock on PostgreSQL, see `appendChanges`).
        await recordChanges(
          deps,
          trx,
          projectId,
          created.map((contact) => ({ type: 'contact.created', contactId: contact.id, data: { contact } })),
          now,
        );
        return { contacts, created: created.length };
      });
      if (created > 0) deps.changes?.committed();
      const found = new Set(contacts.map((c) => c.email));
      const notFound = valid.emails.filter((e) => !found.has(normaliseEmail(e)));
      if (contacts.length > 0) await saveCount(row.id, await countMembers(row.id));
      return { added: contacts.length, created, notFound };
    },

    /** Removes contacts (by email) from a STATIC segment; `removed` counts matched contacts. */
    async removeMembers(
      projectId: string,
      id: string,
      input: Pick<SegmentMembersInput, 'emails'>,
    ): Promise<{ removed: number }> {
      const valid = parseInput(segmentMembersSchema.pick({ emails: true }), input);
      const row = await getRow(projectId, id);
      staticOnly(row, 'remove contacts from');
      const contacts = await contactIdsByEmail(projectId, [...new Set(valid.emails.map(normaliseEmail))]);
      const now = isoNow(clock);
      await repo.exitMembers(
        db,
        row.id,
        contacts.map((c) => c.id),
        now,
        { onlyCurrent: true },
      );
      if (contacts.length > 0) await saveCount(row.id, await countMembers(row.id));
      return { removed: contacts.length };
    },

    /**
     * Recomputes a `trackMembership` segment's members now, recording `segment.<slug>.entry|exit`
     * events for the changes (a STATIC one is only recounted).
     */
    async compute(projectId: string, id: string): Promise<{ added: number; removed: number; total: number }> {
      const row = await getRow(projectId, id);
      if (!row.track_membership) {
        throw RosterError.validation(
          [{ field: 'trackMembership', message: 'Segment does not have membership tracking enabled' }],
          'Segment does not have membership tracking enabled',
        );
      }
      return computeRow(row);
    },

    /** Recounts `memberCount` now (no membership writes, no events). */
    async refresh(projectId: string, id: string): Promise<{ memberCount: number }> {
      return { memberCount: await refreshRow(await getRow(projectId, id)) };
    },

    /**
     * What the periodic job does for a project: compute tracked DYNAMIC segments, recount the rest.
     * A segment that fails (e.g. its condition names a deleted segment) is skipped and reported.
     */
    async refreshAll(
      projectId: string,
    ): Promise<{ refreshed: number; failed: { id: string; error: string }[] }> {
      const rows = await repo.segmentsOfProject(db, projectId);
      const failed: { id: string; error: string }[] = [];
      const fail = (row: SegmentRow, error: unknown) =>
        failed.push({ id: row.id, error: error instanceof Error ? error.message : String(error) });
      // Untracked DYNAMIC segments are all counted by one pass over the contacts.
      const counted: { row: SegmentRow; condition: RawBuilder<boolean> }[] = [];
      for (const row of rows) {
        try {
          if (row.type === 'DYNAMIC' && row.track_membership) await computeRow(row);
          else if (row.type === 'STATIC') await refreshRow(row);
          else counted.push({ row, condition: await where(projectId, dialect.parseJson(row.condition)) });
        } catch (error) {
          fail(row, error);
        }
      }
      try {
        const totals = await countMatchingMany(
          projectId,
          counted.map((c) => c.condition),
        );
        for (const [k, { row }] of counted.entries()) await saveCount(row.id, totals[k]!);
      } catch (error) {
        for (const { row } of counted) fail(row, error);
      }
      return { refreshed: rows.length - failed.length, failed };
    },
  };
  return Object.assign(service, { ensureRefreshJob });
}

export type SegmentService = ReturnType<typeof createSegmentService>;

/**
 * The periodic durable job: refreshes every segment of its project, then queues itself again
 * `refreshIntervalMs` later while the project has segments (one chain per project).
 */
export function segmentsRefreshJob(
  deps: SegmentServiceDeps,
  segments: () => SegmentService,
): JobDefinition<object, { refreshed: number; failed: { id: string; error: string }[] }> {
  return {
    type: SEGMENTS_REFRESH_JOB_TYPE,
    async run(ctx) {
      const projectId = ctx.job.projectId;
      const result = await segments().refreshAll(projectId);
      if (await repo.projectHasSegments(deps.db, projectId)) {
        await deps.jobs.ensure(projectId, SEGMENTS_REFRESH_JOB_TYPE, {
          runAt: new Date(deps.clock().getTime() + deps.refreshIntervalMs),
          exceptId: ctx.job.id,
        });
      }
      return result;
    },
  };
}
