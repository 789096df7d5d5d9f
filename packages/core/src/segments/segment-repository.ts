import { CompiledQuery, type Insertable, type RawBuilder, sql, type Updateable } from 'kysely';
import { newestFirstSql } from '../contacts/contact-repository.js';
import { contactProjectOf, type DialectInfo, detectDialect } from '../db/dialect.js';
import { findProjectRow, listProjectRows } from '../db/project-rows.js';
import type { ContactRow, Db, SegmentRow, SegmentsTable, StoredContactId } from '../db/schema.js';
import { contactIdText } from '../ids.js';
import { type ContactChunk, seqRanges } from './contact-chunks.js';

/** Rows per multi-row membership write (4 bound values each). */
const MEMBERS_PER_STATEMENT = 500;

export async function findSegment(db: Db, projectId: string, id: string): Promise<SegmentRow | undefined> {
  return findProjectRow(db, 'roster_segments', projectId, id);
}

/** Every segment of the project, newest first. */
export async function listSegments(db: Db, projectId: string): Promise<SegmentRow[]> {
  return listProjectRows(db, 'roster_segments', projectId, ['created_at', 'id']);
}

/** Every segment of the project, in no particular order (the refresh job's walk). */
export async function segmentsOfProject(db: Db, projectId: string): Promise<SegmentRow[]> {
  return db.selectFrom('roster_segments').selectAll().where('project_id', '=', projectId).execute();
}

export async function projectHasSegments(db: Db, projectId: string): Promise<boolean> {
  const row = await db
    .selectFrom('roster_segments')
    .select('id')
    .where('project_id', '=', projectId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertSegment(db: Db, row: Insertable<SegmentsTable>): Promise<SegmentRow> {
  return db.insertInto('roster_segments').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateSegment(
  db: Db,
  projectId: string,
  id: string,
  changes: Updateable<SegmentsTable>,
): Promise<SegmentRow | undefined> {
  return db
    .updateTable('roster_segments')
    .set(changes)
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes the segment; its memberships go with it (`on delete cascade`). */
export async function deleteSegment(db: Db, id: string): Promise<void> {
  await db.deleteFrom('roster_segments').where('id', '=', id).execute();
}

/** Stores the cached `member_count`. */
export async function saveMemberCount(db: Db, segmentId: string, memberCount: number): Promise<void> {
  await db
    .updateTable('roster_segments')
    .set({ member_count: memberCount })
    .where('id', '=', segmentId)
    .execute();
}

/** The segment's current members (entered and not exited). */
export async function countMembers(db: Db, segmentId: string): Promise<number> {
  const row = await db
    .selectFrom('roster_segment_members')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('segment_id', '=', segmentId)
    .where('exited_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Makes the contacts members as of `now` (again, if they had exited). */
export async function enterMembers(
  db: Db,
  segmentId: string,
  contactIds: string[],
  now: string,
): Promise<void> {
  const dialect = detectDialect(db);
  for (let i = 0; i < contactIds.length; i += MEMBERS_PER_STATEMENT) {
    await db
      .insertInto('roster_segment_members')
      .values(
        contactIds.slice(i, i + MEMBERS_PER_STATEMENT).map((contactId) => ({
          segment_id: segmentId,
          contact_id: dialect.contactIdValue(contactId),
          entered_at: now,
          exited_at: null,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['segment_id', 'contact_id']).doUpdateSet({ entered_at: now, exited_at: null }),
      )
      .execute();
  }
}

/**
 * Marks the contacts' memberships exited at `now`; `onlyCurrent` leaves memberships that had
 * already exited as they are.
 */
export async function exitMembers(
  db: Db,
  segmentId: string,
  contactIds: string[],
  now: string,
  { onlyCurrent }: { onlyCurrent: boolean },
): Promise<void> {
  const dialect = detectDialect(db);
  for (let i = 0; i < contactIds.length; i += MEMBERS_PER_STATEMENT) {
    await db
      .updateTable('roster_segment_members')
      .set({ exited_at: now })
      .where('segment_id', '=', segmentId)
      .$if(onlyCurrent, (q) => q.where('exited_at', 'is', null))
      .where('contact_id', 'in', dialect.contactIdValues(contactIds.slice(i, i + MEMBERS_PER_STATEMENT)))
      .execute();
  }
}

/** The STATIC segments a contact is currently a member of, newest segment first. */
export async function segmentsOfContact(db: Db, projectId: string, contactId: string): Promise<SegmentRow[]> {
  return db
    .selectFrom('roster_segments as s')
    .innerJoin('roster_segment_members as m', 'm.segment_id', 's.id')
    .selectAll('s')
    .where('s.project_id', '=', projectId)
    .where('m.contact_id', '=', detectDialect(db).contactIdValue(contactId))
    .where('m.exited_at', 'is', null)
    .orderBy('s.id', 'desc')
    .execute();
}

export interface ContactPage {
  limit: number;
  offset: number;
}

/** A page of a STATIC segment's current members, latest entry first. */
export async function listMemberContacts(
  db: Db,
  segmentId: string,
  page: ContactPage,
): Promise<ContactRow[]> {
  return db
    .selectFrom('roster_segment_members as m')
    .innerJoin('roster_contacts', 'roster_contacts.id', 'm.contact_id')
    .selectAll('roster_contacts')
    .where('m.segment_id', '=', segmentId)
    .where('m.exited_at', 'is', null)
    .orderBy('m.entered_at', 'desc')
    .orderBy('roster_contacts.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** A page of the project's contacts matching a compiled condition, newest first. */
export async function listMatchingContacts(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  condition: RawBuilder<boolean>,
  page: ContactPage,
): Promise<ContactRow[]> {
  return db
    .selectFrom('roster_contacts')
    .selectAll()
    .where('project_id', '=', contactProjectOf(projectId))
    .where(condition)
    .orderBy('created_at', 'desc')
    .orderBy(newestFirstSql(dialect) as never)
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** How many of the project's contacts match a compiled condition (one statement). */
export async function countMatchingContacts(
  db: Db,
  projectId: string,
  condition: RawBuilder<boolean>,
): Promise<number> {
  const row = await db
    .selectFrom('roster_contacts')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', contactProjectOf(projectId))
    .where(condition)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * How many of the project's contacts match each condition, counted by one statement over the
 * contacts (each condition adds a `sum(...)` column): one statement on PostgreSQL; on SQLite
 * (`dialect.blockingQueries`) compiled once and run per seq range of about `scanChunk /
 * conditions.length` contacts, each a few milliseconds of work, so the API is never stalled.
 */
export async function countMatchingEach(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  conditions: RawBuilder<boolean>[],
  scanChunk: number,
): Promise<number[]> {
  const totals = conditions.map(() => 0);
  const sums = sql.join(
    conditions.map((c, k) => sql`coalesce(sum(case when ${c} then 1 else 0 end), 0) as ${sql.ref(`c${k}`)}`),
  );
  const query = (range: RawBuilder<boolean>) =>
    sql<
      Record<string, number | string>
    >`select ${sums} from roster_contacts${sql.raw(dialect.blockingQueries ? ' not indexed' : '')} where roster_contacts.project_id = ${dialect.contactProject(projectId)} and ${range}`;
  const add = (rows: Record<string, number | string>[]) =>
    conditions.forEach((_, k) => {
      totals[k]! += Number(rows[0]?.[`c${k}`] ?? 0);
    });
  if (dialect.blockingQueries) {
    // Compiled once (the range's two bounds are its last parameters), run per seq range.
    const compiled = query(sql<boolean>`roster_contacts.seq > ${0} and roster_contacts.seq <= ${0}`).compile(
      db,
    );
    const head = compiled.parameters.slice(0, -2);
    const rowsPerChunk = Math.max(1, Math.floor(scanChunk / conditions.length));
    for await (const [after, upTo] of seqRanges(db, rowsPerChunk)) {
      add((await db.executeQuery(CompiledQuery.raw(compiled.sql, [...head, after, upTo]))).rows as never);
    }
  } else add((await query(sql<boolean>`true`).execute(db)).rows);
  return totals;
}

/** A contact of a chunk that matches a segment's condition or is its current member (or both). */
export interface MembershipCandidate {
  id: string;
  matches: boolean;
  member: boolean;
}

/**
 * Every contact of the chunk that matches `condition` or is a current member of the segment: one
 * pass, no join order to get wrong.
 */
export async function membershipCandidates(
  db: Db,
  segmentId: string,
  projectId: string,
  condition: RawBuilder<boolean>,
  chunk: ContactChunk,
): Promise<MembershipCandidate[]> {
  const { rows } = await sql<{
    id: StoredContactId;
    matches: unknown;
    member: unknown;
  }>`select id, matches, member from (
      select roster_contacts.id as id, coalesce(${condition}, false) as matches,
        exists (select 1 from roster_segment_members sm where sm.segment_id = ${segmentId} and sm.contact_id = roster_contacts.id and sm.exited_at is null) as member
      from ${chunk.from} where ${chunk.range} and roster_contacts.project_id = ${contactProjectOf(projectId)}
    ) chunk where matches or member`.execute(db);
  return rows.map((r) => ({
    id: contactIdText(r.id),
    matches: Boolean(Number(r.matches)),
    member: Boolean(Number(r.member)),
  }));
}
