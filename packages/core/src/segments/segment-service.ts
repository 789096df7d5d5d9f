import { CompiledQuery, type RawBuilder, sql } from 'kysely';
import { recordBatch } from '../changes/contact-changes.js';
import { isoNow } from '../clock.js';
import { normaliseEmail } from '../contacts/contact-fields.js';
import { type Contact, rowToContact } from '../contacts/contact-types.js';
import type { Db } from '../db/schema.js';
import { RosterError } from '../errors.js';
import { insertEvents } from '../events/event-repository.js';
import { ensureJob } from '../idempotency/idempotency-service.js';
import { isUuid, uuidv7 } from '../ids.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobDefinition } from '../jobs/job-types.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { BLOCKING_SCAN_CHUNK, contactChunks, seqRanges } from './contact-chunks.js';
import { contactFilterSql } from './contact-filter.js';
import {
  type CreateSegmentInput,
  createSegmentSchema,
  type Segment,
  type SegmentContactsInput,
  type SegmentMembersInput,
  segmentContactsSchema,
  segmentMembersSchema,
  segmentSlug,
  type UpdateSegmentInput,
  updateSegmentSchema,
} from './segment-types.js';

export const SEGMENTS_REFRESH_JOB_TYPE = 'segments.refresh';

export interface SegmentServiceDeps extends ServiceDeps {
  jobs: JobRunner;
  refreshIntervalMs: number;
  /** Contacts per chunk of a refresh or compute (see contactChunks); the dialect's default when absent. */
  scanChunkSize?: number;
}

type SegmentRow = {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  type: 'DYNAMIC' | 'STATIC';
  condition: unknown;
  track_membership: number | boolean;
  member_count: number;
  created_at: string;
  updated_at: string;
};

export interface Page<T> {
  data: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

const CHUNK = 500;
/** Segments counted by one statement of a refresh (each adds a `sum(...)` column). */
const CONDITIONS_PER_SCAN = 25;

export function createSegmentService(deps: SegmentServiceDeps) {
  const { db, dialect, clock, jobs } = deps;

  const toSegment = (row: SegmentRow): Segment => ({
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    type: row.type,
    condition: dialect.parseJson(row.condition),
    trackMembership: Boolean(row.track_membership),
    memberCount: Number(row.member_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

  async function getRow(projectId: string, id: string): Promise<SegmentRow> {
    const row = isUuid(id)
      ? await db
          .selectFrom('roster_segments')
          .selectAll()
          .where('project_id', '=', projectId)
          .where('id', '=', id.toLowerCase())
          .executeTakeFirst()
      : undefined;
    if (!row) throw RosterError.notFound('segment');
    return row as SegmentRow;
  }

  /** The compiled condition of a DYNAMIC segment (`selfId` guards self-reference). */
  function where(projectId: string, condition: unknown, selfId?: string): Promise<RawBuilder<boolean>> {
    return contactFilterSql(deps, projectId, condition, { root: 'condition', selfId });
  }

  async function countMatching(
    projectId: string,
    condition: RawBuilder<boolean>,
    trx: Db = db,
  ): Promise<number> {
    const row = await trx
      .selectFrom('roster_contacts')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('project_id', '=', projectId)
      .where(condition)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function countMembers(segmentId: string, trx: Db = db): Promise<number> {
    const row = await trx
      .selectFrom('roster_segment_members')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('segment_id', '=', segmentId)
      .where('exited_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function saveCount(segmentId: string, memberCount: number, trx: Db = db): Promise<void> {
    await trx
      .updateTable('roster_segments')
      .set({ member_count: memberCount })
      .where('id', '=', segmentId)
      .execute();
  }

  async function ensureRefreshJob(projectId: string): Promise<void> {
    await ensureJob(
      jobs,
      projectId,
      SEGMENTS_REFRESH_JOB_TYPE,
      new Date(clock().getTime() + deps.refreshIntervalMs),
    );
  }

  /**
   * How many contacts of the project match each condition, counted in one pass over the contacts:
   * one statement on PostgreSQL, chunks that yield to I/O on SQLite (see contactChunks), so a
   * refresh of every segment of a big project never stalls the API.
   */
  async function countMatchingMany(projectId: string, conditions: RawBuilder<boolean>[]): Promise<number[]> {
    const totals = conditions.map(() => 0);
    for (let start = 0; start < conditions.length; start += CONDITIONS_PER_SCAN) {
      const some = conditions.slice(start, start + CONDITIONS_PER_SCAN);
      const sums = sql.join(
        some.map((c, k) => sql`coalesce(sum(case when ${c} then 1 else 0 end), 0) as ${sql.ref(`c${k}`)}`),
      );
      const query = (range: RawBuilder<boolean>) =>
        sql<
          Record<string, number | string>
        >`select ${sums} from roster_contacts${sql.raw(dialect.blockingQueries ? ' not indexed' : '')} where roster_contacts.project_id = ${projectId} and ${range}`;
      const add = (rows: Record<string, number | string>[]) =>
        some.forEach((_, k) => {
          totals[start + k]! += Number(rows[0]?.[`c${k}`] ?? 0);
        });
      if (dialect.blockingQueries) {
        // Compiled once (the range's two bounds are its last parameters), run per seq range: each
        // statement evaluates about `scanChunkSize` conditions, a few milliseconds of work.
        const compiled = query(
          sql<boolean>`roster_contacts.seq > ${0} and roster_contacts.seq <= ${0}`,
        ).compile(db);
        const head = compiled.parameters.slice(0, -2);
        const rowsPerChunk = Math.max(
          1,
          Math.floor((deps.scanChunkSize ?? BLOCKING_SCAN_CHUNK) / some.length),
        );
        for await (const [after, upTo] of seqRanges(db, rowsPerChunk)) {
          add((await db.executeQuery(CompiledQuery.raw(compiled.sql, [...head, after, upTo]))).rows as never);
        }
      } else add((await query(sql<boolean>`true`).execute(db)).rows);
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
        // Every contact of the chunk that matches or is a member: one pass, no join order to get wrong.
        const { rows } = await sql<{
          id: string;
          matches: unknown;
          member: unknown;
        }>`select id, matches, member from (
            select roster_contacts.id as id, coalesce(${condition}, false) as matches,
              exists (select 1 from roster_segment_members sm where sm.segment_id = ${row.id} and sm.contact_id = roster_contacts.id and sm.exited_at is null) as member
            from ${chunk.from} where ${chunk.range} and roster_contacts.project_id = ${row.project_id}
          ) chunk where matches or member`.execute(trx);
        const entering: string[] = [];
        const leaving: string[] = [];
        for (const r of rows) {
          const matches = Boolean(Number(r.matches));
          const member = Boolean(Number(r.member));
          if (matches) total++;
          if (matches && !member) entering.push(r.id);
          else if (!matches && member) leaving.push(r.id);
        }
        for (let i = 0; i < entering.length; i += CHUNK) {
          await trx
            .insertInto('roster_segment_members')
            .values(
              entering.slice(i, i + CHUNK).map((contactId) => ({
                segment_id: row.id,
                contact_id: contactId,
                entered_at: now,
                exited_at: null,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['segment_id', 'contact_id']).doUpdateSet({ entered_at: now, exited_at: null }),
            )
            .execute();
        }
        for (let i = 0; i < leaving.length; i += CHUNK) {
          await trx
            .updateTable('roster_segment_members')
            .set({ exited_at: now })
            .where('segment_id', '=', row.id)
            .where('contact_id', 'in', leaving.slice(i, i + CHUNK))
            .execute();
        }
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

  async function contactIdsByEmail(
    projectId: string,
    emails: string[],
  ): Promise<{ id: string; email: string }[]> {
    const found: { id: string; email: string }[] = [];
    for (let i = 0; i < emails.length; i += CHUNK) {
      found.push(
        ...(await db
          .selectFrom('roster_contacts')
          .select(['id', 'email'])
          .where('project_id', '=', projectId)
          .where('email', 'in', emails.slice(i, i + CHUNK))
          .execute()),
      );
    }
    return found;
  }

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
      const rows = await db
        .selectFrom('roster_segments')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map((row) => toSegment(row as SegmentRow));
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
        memberCount = await countMatching(projectId, await where(projectId, valid.condition));
      }
      const now = isoNow(clock);
      const row = await db
        .insertInto('roster_segments')
        .values({
          id: uuidv7(),
          project_id: projectId,
          name: valid.name,
          description: valid.description ?? null,
          type,
          condition: type === 'DYNAMIC' ? JSON.stringify(valid.condition) : null,
          track_membership: dialect.bool(valid.trackMembership ?? false),
          member_count: memberCount,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await ensureRefreshJob(projectId);
      return toSegment(row as SegmentRow);
    },

    /** Changes the given fields; a new `condition` (DYNAMIC only) is validated and recounted. */
    async update(projectId: string, id: string, input: UpdateSegmentInput): Promise<Segment> {
      const valid = parseInput(updateSegmentSchema, input);
      const existing = await getRow(projectId, id);
      const set: Record<string, unknown> = { updated_at: isoNow(clock) };
      if (valid.name !== undefined) set.name = valid.name;
      if (valid.description !== undefined) set.description = valid.description;
      if (valid.trackMembership !== undefined) set.track_membership = dialect.bool(valid.trackMembership);
      if (valid.condition !== undefined && existing.type === 'DYNAMIC') {
        set.condition = JSON.stringify(valid.condition);
        set.member_count = await countMatching(
          projectId,
          await where(projectId, valid.condition, existing.id),
        );
      }
      const row = await db
        .updateTable('roster_segments')
        .set(set as never)
        .where('project_id', '=', projectId)
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw RosterError.notFound('segment');
      return toSegment(row as SegmentRow);
    },

    /** Deletes the segment and its memberships. */
    async delete(projectId: string, id: string): Promise<void> {
      const row = await getRow(projectId, id);
      await db.deleteFrom('roster_segments').where('id', '=', row.id).execute();
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
        const rows = await db
          .selectFrom('roster_segment_members as m')
          .innerJoin('roster_contacts', 'roster_contacts.id', 'm.contact_id')
          .selectAll('roster_contacts')
          .where('m.segment_id', '=', row.id)
          .where('m.exited_at', 'is', null)
          .orderBy('m.entered_at', 'desc')
          .orderBy('roster_contacts.id', 'desc')
          .limit(pageSize)
          .offset(offset)
          .execute();
        data = rows.map((r) => rowToContact(r, dialect));
        total = await countMembers(row.id);
      } else {
        const condition = await where(projectId, dialect.parseJson(row.condition));
        const rows = await db
          .selectFrom('roster_contacts')
          .selectAll()
          .where('project_id', '=', projectId)
          .where(condition)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(pageSize)
          .offset(offset)
          .execute();
        data = rows.map((r) => rowToContact(r, dialect));
        total = await countMatching(projectId, condition);
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
      let contacts = await contactIdsByEmail(projectId, emails);
      let created = 0;
      const now = isoNow(clock);
      if (valid.createMissing) {
        const have = new Set(contacts.map((c) => c.email));
        const missing = emails.filter((e) => !have.has(e) && e.length > 0);
        for (let i = 0; i < missing.length; i += CHUNK) {
          const inserted = await db
            .insertInto('roster_contacts')
            .values(
              missing.slice(i, i + CHUNK).map((email) => ({
                id: uuidv7(),
                project_id: projectId,
                email,
                subscribed: dialect.bool(valid.subscribed ?? true),
                data: null,
                first_name: null,
                last_name: null,
                audience_id: null,
                created_at: now,
                updated_at: now,
              })),
            )
            .onConflict((oc) => oc.columns(['project_id', 'email']).doNothing())
            .returning(['id', 'email'])
            .execute();
          created += inserted.length;
        }
        if (missing.length > 0) contacts = await contactIdsByEmail(projectId, emails);
      }
      const found = new Set(contacts.map((c) => c.email));
      const notFound = valid.emails.filter((e) => !found.has(normaliseEmail(e)));
      for (let i = 0; i < contacts.length; i += CHUNK) {
        await db
          .insertInto('roster_segment_members')
          .values(
            contacts
              .slice(i, i + CHUNK)
              .map((c) => ({ segment_id: row.id, contact_id: c.id, entered_at: now, exited_at: null })),
          )
          .onConflict((oc) =>
            oc.columns(['segment_id', 'contact_id']).doUpdateSet({ entered_at: now, exited_at: null }),
          )
          .execute();
      }
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
      for (let i = 0; i < contacts.length; i += CHUNK) {
        await db
          .updateTable('roster_segment_members')
          .set({ exited_at: now })
          .where('segment_id', '=', row.id)
          .where('exited_at', 'is', null)
          .where(
            'contact_id',
            'in',
            contacts.slice(i, i + CHUNK).map((c) => c.id),
          )
          .execute();
      }
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
      const rows = (await db
        .selectFrom('roster_segments')
        .selectAll()
        .where('project_id', '=', projectId)
        .execute()) as SegmentRow[];
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
      const any = await deps.db
        .selectFrom('roster_segments')
        .select('id')
        .where('project_id', '=', projectId)
        .limit(1)
        .executeTakeFirst();
      if (any) {
        await ensureJob(
          deps.jobs,
          projectId,
          SEGMENTS_REFRESH_JOB_TYPE,
          new Date(deps.clock().getTime() + deps.refreshIntervalMs),
          ctx.job.id,
        );
      }
      return result;
    },
  };
}
