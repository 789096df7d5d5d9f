import { sql } from 'kysely';
import { compiledOnce } from '../db/compiled-query.js';
import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import { uuidv7 } from '../ids.js';
import type { NewChange, OutboxBatch } from './outbox-types.js';

/** The PostgreSQL channel an append notifies (payload: the schema), heard by other processes' dispatchers. */
export const OUTBOX_CHANNEL = 'roster_outbox';

/** The outbox row type of a row holding many contacts' events. */
export const BATCH_TYPE = 'batch';

/** A new event id: `evt_` and a UUIDv7 in hex (time-ordered, unique). */
export function newEventId(): string {
  return `evt_${uuidv7().replaceAll('-', '')}`;
}

export interface OutboxRow {
  seq: number;
  id: string;
  projectId: string;
  type: string;
  contactId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

/** Rows per multi-row insert (6 bound values each). */
const INSERT_CHUNK = 500;

/**
 * Before an append where transactions append concurrently (PostgreSQL, `dialect.concurrentAppends`):
 * mark the transaction as an appender until it ends, before it takes a `seq` (a shared lock:
 * appenders do not wait for each other). Readers use the mark to find where the outbox is final
 * (`outbox-horizon.ts`): a sequence hands out numbers in call order, not commit order. Nothing on
 * SQLite, where one writer at a time commits in `seq` order.
 */
async function beforeAppend(db: Db, dialect: DialectInfo): Promise<void> {
  await dialect.concurrentAppends?.marker(OUTBOX_CHANNEL).execute(db);
}

/**
 * Tells other processes' change feeds that events were committed (PostgreSQL `NOTIFY`, sent on its
 * own, after the commit: a `NOTIFY` inside a write's transaction would make its commit wait for
 * every other notifying commit). Nothing where other processes poll (SQLite).
 */
export async function announceAppends(db: Db, dialect: DialectInfo): Promise<void> {
  await dialect.concurrentAppends?.notification(OUTBOX_CHANNEL).execute(db);
}

type InsertChangeArgs = [
  id: string,
  projectId: string,
  type: string,
  contactId: string | null,
  data: string | null,
  createdAt: string,
];

const insertChange = compiledOnce<{ seq: number | string }, InsertChangeArgs>(
  6,
  (db, id, projectId, type, contactId, data, createdAt) =>
    db
      .insertInto('roster_outbox')
      .values({
        id: id!,
        project_id: projectId!,
        type: type!,
        contact_id: contactId!,
        data: data!,
        created_at: createdAt!,
      })
      .returning('seq'),
  { readOnly: false },
);

/**
 * Appends change events in `db`'s transaction (it must be one: the change and its events commit or
 * roll back together), after the writes they describe (a contact's events keep its order only so,
 * see `outbox-horizon.ts`). Returns the lowest `seq` written, or null when there was nothing to append.
 */
export async function appendChanges(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  changes: readonly NewChange[],
  now: string,
): Promise<number | null> {
  if (changes.length === 0) return null;
  await beforeAppend(db, dialect);
  if (changes.length === 1) {
    // One change (most single-contact writes): one statement compiled once.
    const [change] = changes as [NewChange];
    const args = [newEventId(), projectId, change.type, change.contactId, dialect.json(change.data), now];
    const [row] = await insertChange(db, ...(args as InsertChangeArgs));
    return Number(row!.seq);
  }
  let first: number | null = null;
  for (let i = 0; i < changes.length; i += INSERT_CHUNK) {
    const rows = await db
      .insertInto('roster_outbox')
      .values(
        changes.slice(i, i + INSERT_CHUNK).map((change) => ({
          id: newEventId(),
          project_id: projectId,
          type: change.type,
          contact_id: change.contactId,
          data: dialect.json(change.data),
          created_at: now,
        })),
      )
      .returning('seq')
      .execute();
    for (const row of rows) first = Math.min(first ?? Number.MAX_SAFE_INTEGER, Number(row.seq));
  }
  return first;
}

/** Appends one `batch` row holding many contacts' events (see `OutboxBatch`); null when it is empty. */
export async function appendBatch(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  batch: OutboxBatch,
  now: string,
): Promise<number | null> {
  const groups = batch.groups.filter((group) => group.contactIds.length > 0);
  if (groups.length === 0) return null;
  await beforeAppend(db, dialect);
  const row = await db
    .insertInto('roster_outbox')
    .values({
      id: newEventId(),
      project_id: projectId,
      type: BATCH_TYPE,
      contact_id: null,
      data: dialect.json({ ...batch, groups }),
      created_at: now,
    })
    .returning('seq')
    .executeTakeFirstOrThrow();
  return Number(row.seq);
}

function toOutboxRow(
  row: {
    seq: number | string;
    id: string;
    project_id: string;
    type: string;
    contact_id: string | null;
    data: unknown;
    created_at: string;
  },
  dialect: DialectInfo,
): OutboxRow {
  return {
    seq: Number(row.seq),
    id: row.id,
    projectId: row.project_id,
    type: row.type,
    contactId: row.contact_id,
    data: dialect.parseJson(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

/**
 * Outbox rows with `afterSeq < seq <= throughSeq` (the final part, see `outbox-horizon.ts`), in
 * `seq` order (at most `limit`; optionally one project's).
 */
export async function readOutbox(
  db: Db,
  dialect: DialectInfo,
  query: { afterSeq: number; throughSeq: number; limit: number; projectId?: string },
): Promise<OutboxRow[]> {
  let q = db.selectFrom('roster_outbox').selectAll().where('seq', '>', query.afterSeq);
  if (query.throughSeq < Number.MAX_SAFE_INTEGER) q = q.where('seq', '<=', query.throughSeq);
  if (query.projectId !== undefined) q = q.where('project_id', '=', query.projectId);
  const rows = await q.orderBy('seq').limit(query.limit).execute();
  return rows.map((row) => toOutboxRow(row, dialect));
}

/**
 * True if some row has `afterSeq < seq <= throughSeq` (a cheap look before opening a write
 * transaction).
 */
export async function hasOutboxAfter(db: Db, afterSeq: number, throughSeq: number): Promise<boolean> {
  let q = db.selectFrom('roster_outbox').select('seq').where('seq', '>', afterSeq);
  if (throughSeq < Number.MAX_SAFE_INTEGER) q = q.where('seq', '<=', throughSeq);
  const row = await q.limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The highest `seq` in the outbox (0 when empty). */
export async function lastOutboxSeq(db: Db): Promise<number> {
  const row = await db
    .selectFrom('roster_outbox')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/** The seq of the outbox row with this id, if any. */
export async function findOutboxSeq(db: Db, id: string): Promise<number | undefined> {
  const row = await db.selectFrom('roster_outbox').select('seq').where('id', '=', id).executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

/** Creates the consumer's cursor at `startSeq` unless it exists. */
export async function ensureConsumer(db: Db, name: string, startSeq: number, now: string): Promise<void> {
  await db
    .insertInto('roster_outbox_consumers')
    .values({ name, last_seq: startSeq, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/** The consumer's cursor, without locking it (undefined for an unknown consumer). */
export async function peekConsumer(db: Db, name: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('roster_outbox_consumers')
    .select('last_seq')
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? Number(row.last_seq) : undefined;
}

/**
 * Locks the consumer's cursor row for the rest of `trx` (a write: the row lock on PostgreSQL, the
 * write lock on SQLite), so one dispatcher at a time handles a consumer; returns the cursor.
 */
export async function lockConsumer(trx: Db, name: string, now: string): Promise<number | undefined> {
  const row = await trx
    .updateTable('roster_outbox_consumers')
    .set({ updated_at: now })
    .where('name', '=', name)
    .returning('last_seq')
    .executeTakeFirst();
  return row ? Number(row.last_seq) : undefined;
}

/** Moves the consumer's cursor to `seq` (in the transaction of the handler's writes). */
export async function advanceConsumer(trx: Db, name: string, seq: number, now: string): Promise<void> {
  await trx
    .updateTable('roster_outbox_consumers')
    .set({ last_seq: seq, updated_at: now })
    .where('name', '=', name)
    .execute();
}

/**
 * Deletes outbox rows created before `before` that every durable consumer has handled (all of
 * them when there is no consumer). Returns how many.
 */
export async function pruneOutbox(db: Db, before: string): Promise<number> {
  const result = await db
    .deleteFrom('roster_outbox')
    .where('created_at', '<', before)
    .where(
      'seq',
      '<=',
      sql<number>`coalesce((select min(last_seq) from roster_outbox_consumers), (select max(seq) from roster_outbox))`,
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
