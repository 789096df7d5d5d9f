import { type RawBuilder, sql } from 'kysely';
import { contactProjectOf, type DialectInfo } from '../db/dialect.js';
import type { Db, StoredContactId } from '../db/schema.js';

/** One slice of a project's contacts: select `from` where `range` (and the caller's conditions). */
export interface ContactChunk {
  /** The contacts table as this chunk must read it. */
  from: RawBuilder<unknown>;
  /** Over `roster_contacts`: true for the contacts of this chunk. */
  range: RawBuilder<boolean>;
}

/**
 * Where queries block the event loop (SQLite): condition evaluations per counting statement (5 000
 * contacts for one segment, 250 each for 20), a few milliseconds of work.
 */
export const BLOCKING_SCAN_CHUNK = 5_000;
/** Contacts per compute transaction on SQLite (each may write as many memberships and events). */
export const BLOCKING_WRITE_CHUNK = 1_000;
/** Contacts per chunk elsewhere (PostgreSQL): only writes are batched, reads do not block anyone. */
export const POOLED_SCAN_CHUNK = 20_000;

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * SQLite: ranges `(after, upTo]` of `roster_contacts.seq` (the rowid), `size` wide, up to the highest
 * seq (read again when reached, so contacts created meanwhile are included), yielding to I/O
 * between ranges. Read them with `from roster_contacts not indexed` so the planner walks the range.
 */
export async function* seqRanges(db: Db, size: number): AsyncGenerator<[number, number]> {
  const maxSeq = async () =>
    Number(
      (await sql<{ n: number | null }>`select max(seq) as n from roster_contacts`.execute(db)).rows[0]?.n ??
        0,
    );
  let last = await maxSeq();
  for (let after = 0; ; after += size) {
    if (after >= last) {
      last = await maxSeq(); // contacts created during the walk
      if (after >= last) return;
    }
    yield [after, after + size];
    await yieldToIo();
  }
}

/**
 * Walks every contact of `projectId` in chunks of about `chunkSize`, yielding to I/O between them, so a scan of a big
 * project never holds the process (SQLite) or one transaction (both) for long. Contacts created
 * during the walk are included when they land after the current chunk.
 *
 * - SQLite: ranges of the rowid `seq`, read with `not indexed` so the planner walks the rowid range
 *   (left alone it may pick e.g. the `created_at` index for a `createdAt` filter and re-read that
 *   index for every chunk). Contacts of other projects in the range are skipped by the caller's
 *   `project_id` condition.
 * - PostgreSQL: keyset ranges of `id` from the `(project_id, id)` index.
 */
export async function* contactChunks(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  chunkSize?: number,
): AsyncGenerator<ContactChunk> {
  if (dialect.blockingQueries) {
    for await (const [after, upTo] of seqRanges(db, chunkSize ?? BLOCKING_WRITE_CHUNK)) {
      yield {
        from: sql`roster_contacts not indexed`,
        range: sql<boolean>`(roster_contacts.seq > ${after} and roster_contacts.seq <= ${upTo})`,
      };
    }
    return;
  }
  // Stored ids, bound back as they were read (PostgreSQL: text).
  let after: StoredContactId | undefined;
  while (true) {
    const bound = await db
      .selectFrom('roster_contacts')
      .select('id')
      .where('project_id', '=', contactProjectOf(projectId))
      .$if(after !== undefined, (q) => q.where('id', '>', after!))
      .orderBy('id')
      .offset((chunkSize ?? POOLED_SCAN_CHUNK) - 1)
      .limit(1)
      .executeTakeFirst();
    const lower = after === undefined ? sql`true` : sql`roster_contacts.id > ${after}`;
    const upper = bound ? sql`roster_contacts.id <= ${bound.id}` : sql`true`;
    yield { from: sql`roster_contacts`, range: sql<boolean>`(${lower} and ${upper})` };
    if (!bound) return;
    after = bound.id;
    await yieldToIo();
  }
}
