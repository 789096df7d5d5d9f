import { type RawBuilder, sql } from 'kysely';
import { compiledOnce, compiledPerShape } from '../db/compiled-query.js';
import { contactProjectOf, type DialectInfo } from '../db/dialect.js';
import type { ContactProjectKey, ContactRow, ContactTime, Db, StoredContactId } from '../db/schema.js';
import { contactIdText, isContactId, uuidv7After } from '../ids.js';
import { lockAddresses } from '../suppressions/suppression-repository.js';
import { contactArgs, contactValueSlots, contactValues } from './contact-columns.js';
import type { DataPatch } from './contact-data.js';
import { gateSubscribed } from './contact-suppression.js';
import { contactTime } from './contact-time.js';
import type { Contact } from './contact-types.js';

export interface UpsertRow {
  id: string;
  projectId: string;
  email: string;
  /** Undefined: true on insert, unchanged on update. */
  subscribed: boolean | undefined;
  patch: DataPatch;
  initialData: Record<string, unknown> | null;
  firstName?: string | null;
  lastName?: string | null;
  /** Undefined: none on insert, unchanged on update. */
  audienceId?: string | null;
  now: string;
}

/** What varies the SQL of `upsertContact`: the fields an update sets, and how its data merge is written. */
interface UpsertShape {
  dialect: DialectInfo;
  merge: readonly string[];
  subscribed: boolean;
  firstName: boolean;
  lastName: boolean;
  audienceId: boolean;
}

/**
 * `upsertContact`'s statement, compiled once per shape. Arguments: the insert's columns (see
 * `contactValueSlots`), `updated_at`, the merge's values, then those of the optional columns set.
 */
const upsertStatement = compiledPerShape<ContactRow, UpsertShape>(
  (s) => `${s.merge.join(',')}|${+s.subscribed}${+s.firstName}${+s.lastName}${+s.audienceId}`,
  (db, s, slot) => {
    let n = 0;
    const next = () => slot(n++);
    const values = contactValueSlots(next, s.dialect);
    const updatedAt = next();
    const merge = s.merge.flatMap((step) => (step === 'set' ? [next(), next()] : [next()]));
    return db
      .insertInto('roster_contacts')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['project_id', 'email']).doUpdateSet(() => ({
          updated_at: updatedAt as never, // a stand-in for the ContactTime argument
          data: s.dialect.mergeJsonSql(sql.ref('roster_contacts.data'), s.merge, merge) as never,
          ...(s.subscribed ? { subscribed: next() as never } : {}),
          ...(s.firstName ? { first_name: next() } : {}),
          ...(s.lastName ? { last_name: next() } : {}),
          ...(s.audienceId ? { audience_id: next() } : {}),
        })),
      )
      .returningAll();
  },
);

/**
 * Where the rowid orders contacts (`dialect.contactIdOrder` is `seq`: SQLite), gives `rows`, in
 * the order they are about to be inserted, ids above every stored id and increasing: a row whose
 * id is not gets a new one (`uuidv7After`), written into the row, so the caller reads the id that
 * is stored from its own row. An id is made before its write waits its turn (an import batch's
 * ids, then an API create that inserts first; another process on the same file), so this runs in
 * the write's transaction (`begin immediate`: no other writer until it ends), just before a
 * multi-row insert: the greatest stored id is one seek of the id index. A one-row insert checks
 * its id inside its own statement instead (`insertAheadOfStoredIds`). Rows that update an existing
 * contact keep no id, so renaming theirs is harmless. PostgreSQL orders by id itself: nothing to do.
 */
export async function followStoredContactIds(
  db: Db,
  dialect: DialectInfo,
  rows: readonly { id: string }[],
): Promise<void> {
  if (dialect.contactIdOrder !== 'seq' || rows.length === 0) return;
  const greatest = (await greatestContactId(db))[0]?.id;
  // A stored id that is not canonical (TEXT, which sorts below every BLOB: see `StoredContactId`)
  // is below every new id already.
  let last = greatest === null || greatest === undefined ? null : contactIdText(greatest);
  if (last !== null && !isContactId(last)) last = null;
  for (const row of rows) {
    if (last !== null && row.id <= last) row.id = uuidv7After(last);
    last = row.id;
  }
}

/**
 * Runs a one-row insert whose id is written `dialect.newContactId` (`contactValueSlots`): on SQLite
 * it fails when `row.id` is not above every stored id, and then runs once more with a later id
 * (`followStoredContactIds`), so the common case costs no statement of its own.
 */
async function insertAheadOfStoredIds<T>(
  db: Db,
  dialect: DialectInfo,
  row: { id: string },
  insert: () => Promise<T>,
): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    if (!dialect.isContactIdBehind(error)) throw error;
    await followStoredContactIds(db, dialect, [row]);
    return insert();
  }
}

/** The greatest stored contact id (null without contacts), compiled once. */
const greatestContactId = compiledOnce<{ id: StoredContactId | null }, []>(0, (db) =>
  db.selectFrom('roster_contacts').select((eb) => eb.fn.max('id').as('id')),
);

/**
 * One statement: insert the contact, or on an existing (project, email) merge into it.
 * Concurrent callers with the same new email end with one row: the database decides, not a read.
 * Compiled once per shape (every `POST /contacts`, see `compiledPerShape`).
 */
export async function upsertContact(
  db: Db,
  dialect: DialectInfo,
  given: UpsertRow,
  suppressed?: Set<string>,
): Promise<ContactRow> {
  const row = { ...given };
  await gateSubscribed(db, dialect, row.projectId, [row], suppressed);
  const [stored] = await insertAheadOfStoredIds(db, dialect, row, () =>
    upsertStatement(db, ...upsertRun(dialect, row)),
  );
  // INSERT ... ON CONFLICT DO UPDATE ... RETURNING returns the row it inserted or updated.
  if (!stored) throw new Error('roster: the contact upsert returned no row');
  return stored;
}

/** `upsertStatement`'s shape and arguments for `row`. */
function upsertRun(dialect: DialectInfo, row: UpsertRow): [UpsertShape, unknown[]] {
  const plan = dialect.mergeJsonPlan(row.patch.set, row.patch.remove);
  const args = contactArgs(
    {
      id: row.id,
      projectId: row.projectId,
      email: row.email,
      subscribed: row.subscribed ?? true,
      data: dialect.json(row.initialData),
      firstName: row.firstName ?? null,
      lastName: row.lastName ?? null,
      audienceId: row.audienceId ?? null,
      now: row.now,
    },
    dialect,
  );
  args.push(contactTime(row.now), ...plan.values);
  if (row.subscribed !== undefined) args.push(dialect.bool(row.subscribed));
  if (row.firstName !== undefined) args.push(row.firstName);
  if (row.lastName !== undefined) args.push(row.lastName);
  if (row.audienceId !== undefined) args.push(row.audienceId);
  const shape: UpsertShape = {
    dialect,
    merge: plan.steps,
    subscribed: row.subscribed !== undefined,
    firstName: row.firstName !== undefined,
    lastName: row.lastName !== undefined,
    audienceId: row.audienceId !== undefined,
  };
  return [shape, args];
}

/** A contact to insert: its fields (`data` as it is to be stored), created and updated `now`. */
export interface NewContactRow extends Omit<Contact, 'createdAt' | 'updatedAt'> {
  now: string;
}

/** The contact a `NewContactRow` becomes once inserted (as `rowToContact` would read it back). */
export function newRowToContact(row: NewContactRow): Contact {
  return {
    id: row.id,
    projectId: row.projectId,
    email: row.email,
    subscribed: row.subscribed,
    data: row.data && Object.keys(row.data).length > 0 ? row.data : null,
    firstName: row.firstName,
    lastName: row.lastName,
    audienceId: row.audienceId,
    createdAt: row.now,
    updatedAt: row.now,
  };
}

function newContactValues(dialect: DialectInfo, row: NewContactRow, projectKey?: ContactProjectKey) {
  return contactValues(
    { ...row, data: dialect.json(row.data), ...(projectKey === undefined ? {} : { projectKey }) },
    dialect,
  );
}

/**
 * The project's key (`ContactProjectKey`, `roster_projects.seq`), read once for statements of
 * many rows; undefined when there is no such project.
 */
export async function findContactProjectKey(
  db: Db,
  projectId: string,
): Promise<ContactProjectKey | undefined> {
  const { rows } = await sql<{ seq: ContactProjectKey | null }>`
    select seq from roster_projects where id = ${projectId}`.execute(db);
  return rows[0]?.seq ?? undefined;
}

/**
 * One statement: inserts the contact unless its (project, email) exists, in which case nothing
 * changes and `undefined` is returned. The database decides, so concurrent creates of one email
 * make one row.
 */
export async function insertContactIfNew(
  db: Db,
  dialect: DialectInfo,
  given: NewContactRow,
  suppressed?: Set<string>,
): Promise<ContactRow | undefined> {
  const row = { ...given };
  await gateSubscribed(db, dialect, row.projectId, [row], suppressed);
  const insert = () =>
    insertIfNewStatement(db, dialect, contactArgs({ ...row, data: dialect.json(row.data) }, dialect));
  return (await insertAheadOfStoredIds(db, dialect, row, insert))[0];
}

/** `insertContactIfNew`'s statement, compiled once (arguments: see `contactValueSlots`). */
const insertIfNewStatement = compiledPerShape<ContactRow, DialectInfo>(
  () => '',
  (db, dialect, slot) => {
    let n = 0;
    return db
      .insertInto('roster_contacts')
      .values(contactValueSlots(() => slot(n++), dialect))
      .onConflict((oc) => oc.columns(['project_id', 'email']).doNothing())
      .returningAll();
  },
);

/**
 * Rows per multi-row insert (10 bound values each) and emails per `in (...)` list: keeps a
 * statement well under SQLite's variable limit.
 */
const ROWS_PER_STATEMENT = 500;

/** Runs `statement` on each slice of `items` (`ROWS_PER_STATEMENT` long) in turn; returns every row. */
async function perChunk<T, R>(items: T[], statement: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const rows: R[] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT)
    rows.push(...(await statement(items.slice(i, i + ROWS_PER_STATEMENT))));
  return rows;
}

/**
 * Inserts the contacts whose (project, email) is new and skips the others untouched.
 * Returns the inserted rows' ids and emails. Emails must be distinct within `rows`. A row's `id`
 * may be replaced by a later one (`followStoredContactIds`): read the rows' ids after the call.
 */
export async function insertContactsIfNew(
  db: Db,
  dialect: DialectInfo,
  rows: NewContactRow[],
  suppressed?: Set<string>,
): Promise<{ id: string; email: string }[]> {
  if (rows.length === 0) return [];
  await gateSubscribed(db, dialect, rows[0]!.projectId, rows, suppressed);
  // The rows are of one project: its key read once, not by a subquery per row.
  const projectKey = await findContactProjectKey(db, rows[0]!.projectId);
  await followStoredContactIds(db, dialect, rows);
  return perChunk(rows, (chunk) =>
    db
      .insertInto('roster_contacts')
      .values(chunk.map((row) => newContactValues(dialect, row, projectKey)))
      .onConflict((oc) => oc.columns(['project_id', 'email']).doNothing())
      .returning([dialect.contactIdTextSql('id').as('id'), 'email'])
      .execute(),
  );
}

/** Rows of `id` and `email` with each stored id as text (`contactIdText`). */
function idsAsText(rows: { id: StoredContactId; email: string }[]): { id: string; email: string }[] {
  return rows.map((row) => ({ id: contactIdText(row.id), email: row.email }));
}

const selectContact = compiledOnce<ContactRow, [projectId: string, id: StoredContactId]>(
  2,
  (db, projectId, id) =>
    db
      .selectFrom('roster_contacts')
      .selectAll()
      .where('project_id', '=', contactProjectOf(projectId!))
      .where('id', '=', id! as StoredContactId),
);

/**
 * The contact by id (every `GET /contacts/:id`: compiled once, see `compiledOnce`). An id that is
 * not one roster stores (`isContactId`) is none, without asking the database: PostgreSQL's `uuid`
 * column would refuse it.
 */
export async function findContact(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  id: string,
): Promise<ContactRow | undefined> {
  if (!isContactId(id)) return undefined;
  return (await selectContact(db, projectId, dialect.contactIdValue(id)))[0];
}

export async function findContactByEmail(
  db: Db,
  projectId: string,
  email: string,
): Promise<ContactRow | undefined> {
  return db
    .selectFrom('roster_contacts')
    .selectAll()
    .where('project_id', '=', contactProjectOf(projectId))
    .where('email', '=', email)
    .executeTakeFirst();
}

/** The ids of the project's contacts with these (normalised) emails; unknown emails are absent. */
export async function findContactIdsByEmail(
  db: Db,
  projectId: string,
  emails: string[],
): Promise<{ id: string; email: string }[]> {
  return perChunk(emails, (chunk) =>
    db
      .selectFrom('roster_contacts')
      .select(['id', 'email'])
      .where('project_id', '=', contactProjectOf(projectId))
      .where('email', 'in', chunk)
      .execute()
      .then(idsAsText),
  );
}

/**
 * The contact (by id or email) as it is before a write in the same transaction: locked until the
 * transaction ends on PostgreSQL (`FOR UPDATE`); SQLite's writer holds the database already.
 */
export async function findContactForWrite(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  by: { id: string } | { email: string },
): Promise<ContactRow | undefined> {
  if ('id' in by && !isContactId(by.id)) return undefined;
  // The address's lock before the row's (see `lockAddresses`): a suppression takes them in that order.
  if (dialect.addressLocks) {
    const email =
      'email' in by
        ? by.email
        : (
            await db
              .selectFrom('roster_contacts')
              .select('email')
              .where('project_id', '=', contactProjectOf(projectId))
              .where('id', '=', dialect.contactIdValue(by.id))
              .executeTakeFirst()
          )?.email;
    if (email !== undefined) await lockAddresses(db, dialect, projectId, [email], 'shared');
  }
  const column = 'id' in by ? 'id' : 'email';
  const value = 'id' in by ? dialect.contactIdValue(by.id) : by.email;
  return (await selectForWrite(db, { dialect, column }, [projectId, value]))[0];
}

/** `findContactForWrite`'s select, compiled once per column (every upsert runs it). */
const selectForWrite = compiledPerShape<ContactRow, { dialect: DialectInfo; column: 'id' | 'email' }>(
  (s) => s.column,
  (db, s, slot) =>
    s.dialect.lockRowsForUpdate(
      db
        .selectFrom('roster_contacts')
        .selectAll()
        .where('project_id', '=', s.dialect.contactProject(slot(0)))
        .where(s.column, '=', slot(1)),
    ),
);

export interface ContactChanges {
  email?: string;
  subscribed?: boolean;
  /** Merge patch, or `null` to clear, or `{ replace }` to store as is. */
  data?: { merge: DataPatch } | { replace: Record<string, unknown> | null };
  firstName?: string | null;
  lastName?: string | null;
  audienceId?: string | null;
}

export async function updateContact(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  id: string,
  given: ContactChanges,
  now: string,
  suppressed?: Set<string>,
): Promise<ContactRow | undefined> {
  const changes = { ...given };
  // A write that subscribes, or moves a (possibly subscribed) contact to another address.
  if (changes.subscribed === true || (changes.email !== undefined && changes.subscribed === undefined)) {
    const email =
      changes.email ??
      (
        await db
          .selectFrom('roster_contacts')
          .select('email')
          .where('project_id', '=', contactProjectOf(projectId))
          .where('id', '=', dialect.contactIdValue(id))
          .executeTakeFirst()
      )?.email;
    if (email !== undefined) {
      const gate = { email, subscribed: changes.subscribed };
      if ((await gateSubscribed(db, dialect, projectId, [gate], suppressed)).size > 0)
        changes.subscribed = false;
    }
  }
  const set: Record<string, unknown> = { updated_at: contactTime(now) };
  if (changes.email !== undefined) set.email = changes.email;
  if (changes.subscribed !== undefined) set.subscribed = dialect.bool(changes.subscribed);
  if (changes.firstName !== undefined) set.first_name = changes.firstName;
  if (changes.lastName !== undefined) set.last_name = changes.lastName;
  if (changes.audienceId !== undefined) set.audience_id = changes.audienceId;
  if (changes.data !== undefined) {
    set.data =
      'merge' in changes.data
        ? dialect.mergeJson(sql.ref('data'), changes.data.merge.set, changes.data.merge.remove)
        : dialect.json(changes.data.replace);
  }
  return db
    .updateTable('roster_contacts')
    .set(set as never)
    .where('project_id', '=', contactProjectOf(projectId))
    .where('id', '=', dialect.contactIdValue(id))
    .returningAll()
    .executeTakeFirst();
}

/** Deletes the contact; returns it as it was (undefined if there was none). */
export async function deleteContact(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  id: string,
): Promise<ContactRow | undefined> {
  if (!isContactId(id)) return undefined;
  return db
    .deleteFrom('roster_contacts')
    .where('project_id', '=', contactProjectOf(projectId))
    .where('id', '=', dialect.contactIdValue(id))
    .returningAll()
    .executeTakeFirst();
}

/** Escapes LIKE wildcards so a search term matches literally. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * `project_id = ?` for a statement that also has `id in (...)`. On SQLite the column is written
 * `+project_id` (`dialect.withoutIndex`), which its planner cannot use to pick an index: it then
 * looks each id up by the id index. Otherwise it chose a (project_id, …) index and walked every
 * contact of the project (with the bulk update's `subscribed = ?` or `audience_id` condition, and,
 * since the contact indexes end at the rowid (migration 0024), with `id in (...)` alone): 1 000 ids
 * took ~500 ms at 1 M contacts instead of a few ms.
 */
export function inProject(dialect: DialectInfo, projectId: string) {
  return sql<boolean>`${dialect.withoutIndex(sql.ref('project_id'))} = ${dialect.contactProject(projectId)}`;
}

/** What a list or a count of a project's contacts may be narrowed by (each part optional). */
export interface ContactNarrowing {
  /** Only these contacts, each looked up by the id index (`inProject`). */
  ids?: readonly string[];
  /** A compiled filter tree (segments/contact-filter.ts). */
  where?: RawBuilder<boolean>;
  /** Only contacts with this subscription state. */
  subscribed?: boolean;
  /** Lowercased substring of the email. */
  search?: string;
  /** Only contacts in this audience. */
  audienceId?: string;
}

/** The project's contacts, narrowed by `by`: the start of every list and count of them. */
export function projectContacts(db: Db, dialect: DialectInfo, projectId: string, by: ContactNarrowing) {
  let q = db.selectFrom('roster_contacts');
  q = by.ids
    ? q.where(inProject(dialect, projectId)).where('id', 'in', dialect.contactIdValues(by.ids))
    : q.where('project_id', '=', contactProjectOf(projectId));
  if (by.where) q = q.where(by.where);
  if (by.subscribed !== undefined) q = q.where('subscribed', '=', dialect.bool(by.subscribed));
  if (by.search) q = q.where(sql<boolean>`email like ${likePattern(by.search)} escape '\\'`);
  if (by.audienceId !== undefined) q = q.where('audience_id', '=', by.audienceId);
  return q;
}

export interface KeysetQuery {
  projectId: string;
  /** Exclusive upper bound on id (newest first). */
  beforeId?: string;
  /** Lowercased substring of the email. */
  search?: string;
  /** Only contacts in this audience. */
  audienceId?: string;
  /** A compiled filter tree (segments/contact-filter.ts). */
  where?: RawBuilder<boolean>;
  limit: number;
}

/**
 * The column ordering contacts by id (`dialect.contactIdOrder`: `seq` on SQLite, `id` on
 * PostgreSQL), of the table `alias` names (`'c.'`) or of the query's own.
 */
function idOrderRef(dialect: DialectInfo, alias = ''): RawBuilder<unknown> {
  return sql.ref(`${alias}${dialect.contactIdOrder}`);
}

/** `ORDER BY` newest first: descending on the column that orders contacts by id (`idOrderRef`). */
export function newestFirstSql(dialect: DialectInfo, alias = ''): RawBuilder<unknown> {
  return sql`${idOrderRef(dialect, alias)} desc`;
}

/**
 * True for the contacts whose id is below `id`, a contact id that need not be stored any more (a
 * cursor's contact deleted meanwhile). PostgreSQL: `id < ?`. SQLite (`contactIdOrder` is `seq`):
 * `seq` below the seq of the first stored id at or above `id` (any seq when there is none), which
 * is the same set of contacts because seq order is id order; one seek of the id index, run once
 * per statement, and the contact indexes are then walked from that rowid.
 */
export function idBelowSql(dialect: DialectInfo, id: string, alias = ''): RawBuilder<boolean> {
  if (dialect.contactIdOrder === 'id') return sql<boolean>`${sql.ref(`${alias}id`)} < ${id}`;
  return sql<boolean>`${sql.ref(`${alias}seq`)} < ${seqOfIdSql(dialect.contactIdValue(id))}`;
}

/**
 * SQLite: the seq of the first stored contact id at or above `id` (as stored: `contactIdValue`),
 * else above every seq.
 */
function seqOfIdSql(id: StoredContactId): RawBuilder<number> {
  return sql<number>`coalesce((select s.seq from roster_contacts as s where s.id >= ${id} order by s.id limit 1), 9223372036854775807)`;
}

/** Newest first, by id (UUIDv7 = creation order). */
export async function listContactsKeyset(
  db: Db,
  dialect: DialectInfo,
  query: KeysetQuery,
): Promise<ContactRow[]> {
  let q = projectContacts(db, dialect, query.projectId, query).selectAll();
  if (query.beforeId) q = q.where(idBelowSql(dialect, query.beforeId));
  return q
    .orderBy(newestFirstSql(dialect) as never)
    .limit(query.limit)
    .execute();
}

/** One row of `listDataKeyTypes`. */
export interface DataKeyTypeRow {
  key: string;
  type: string;
  /** 1 when the value is a string that is empty or padded with `whitespace` (see `DialectInfo.jsonKeyTypes`). */
  untrimmed: number;
}

/**
 * The distinct (key, JSON type, untrimmed string) combinations of the data of the contacts a
 * keyset stream with the same query reads (`beforeId` and `limit` aside): one statement, so the
 * database reads each contact's data once and returns a row per combination, not per contact.
 */
export async function listDataKeyTypes(
  db: Db,
  dialect: DialectInfo,
  query: Omit<KeysetQuery, 'beforeId' | 'limit'>,
  whitespace: string,
): Promise<DataKeyTypeRow[]> {
  const q = projectContacts(db, dialect, query.projectId, query).select('data');
  const result = await dialect.jsonKeyTypes(sql`${q}`, whitespace).execute(db);
  return result.rows as DataKeyTypeRow[];
}

/** The order of a sorted list (Plunk's `sort` and `dir`). */
export interface ContactOrder {
  sort: 'createdAt' | 'email';
  dir: 'asc' | 'desc';
}

/** Plunk's default: newest first. */
export const DEFAULT_ORDER: ContactOrder = { sort: 'createdAt', dir: 'desc' };

/** The sort key of the contact a page continues after (the previous page's last contact). */
export interface ContactCursor {
  id: string;
  createdAt: ContactTime;
  email: string;
}

/**
 * `ORDER BY` of a sorted list, as Plunk orders it: the sort column in `dir`, then `id`
 * descending as the tiebreaker (only `createdAt` can tie: emails are unique per project), written
 * with the column that orders contacts by id (`idOrderRef`: SQLite's rowid). Served by
 * `(project_id, created_at)` / `(project_id, subscribed, created_at)` (SQLite, ending at the
 * rowid; `..., id` on PostgreSQL) and `(project_id, email)`; for `createdAt asc` the databases
 * sort only runs of equal `created_at` by id (SQLite: temp b-tree for the last term; PostgreSQL:
 * incremental sort).
 */
export function orderSql(order: ContactOrder, dialect: DialectInfo, alias = '') {
  const col = (name: string) => sql.ref(`${alias}${name}`);
  const dir = sql.raw(order.dir);
  return order.sort === 'email'
    ? sql`${col('email')} ${dir}`
    : sql`${col('created_at')} ${dir}, ${newestFirstSql(dialect, alias)}`;
}

/** Rows strictly after `cursor` in `order` (the keyset condition of the next page). */
export function afterCursorSql(order: ContactOrder, cursor: ContactCursor, dialect: DialectInfo, alias = '') {
  const col = (name: string) => sql.ref(`${alias}${name}`);
  if (order.sort === 'email') {
    return order.dir === 'asc'
      ? sql<boolean>`${col('email')} > ${cursor.email}`
      : sql<boolean>`${col('email')} < ${cursor.email}`;
  }
  if (order.dir === 'desc') {
    if (dialect.contactIdOrder === 'id')
      return sql<boolean>`(${col('created_at')}, ${col('id')}) < (${cursor.createdAt}, ${cursor.id})`;
    // SQLite seeks no row value over an index that ends at the rowid: the same condition, written
    // with a leading range it does seek.
    return sql<boolean>`${col('created_at')} <= ${cursor.createdAt} and (${col('created_at')} < ${cursor.createdAt} or ${idBelowSql(dialect, cursor.id, alias)})`;
  }
  // created_at ascending, id descending: the leading range keeps the index seek.
  return sql<boolean>`${col('created_at')} >= ${cursor.createdAt} and (${col('created_at')} > ${cursor.createdAt} or ${idBelowSql(dialect, cursor.id, alias)})`;
}

export interface SortedQuery {
  projectId: string;
  order: ContactOrder;
  /** Continue after this contact. */
  after?: ContactCursor;
  /** Lowercased substring of the email. */
  search?: string;
  /** Only contacts with this subscription state. */
  subscribed?: boolean;
  /** A compiled filter tree (segments/contact-filter.ts). */
  where?: RawBuilder<boolean>;
  limit: number;
}

/** One keyset page in `order`: seeks to the cursor, so any page costs what the first one costs. */
export async function listContactsSorted(
  db: Db,
  dialect: DialectInfo,
  query: SortedQuery,
): Promise<ContactRow[]> {
  let q = projectContacts(db, dialect, query.projectId, query).selectAll();
  const { after, order } = query;
  if (after && order.sort === 'createdAt' && dialect.contactIdOrder === 'seq') {
    // SQLite seeks the (created_at, rowid) index to `created_at` only: with the cursor's condition
    // in one statement it would walk the whole run of contacts created at the cursor's
    // millisecond (an import's rows share one). Two seeks instead: the rest of that run (below
    // the cursor's id), then the contacts past that millisecond, as far as the page needs.
    const run = await q
      .where('created_at', '=', after.createdAt)
      .where(idBelowSql(dialect, after.id))
      .orderBy(newestFirstSql(dialect) as never)
      .limit(query.limit)
      .execute();
    if (run.length >= query.limit) return run;
    const rest = await q
      .where('created_at', order.dir === 'desc' ? '<' : '>', after.createdAt)
      .orderBy(orderSql(order, dialect) as never)
      .limit(query.limit - run.length)
      .execute();
    return run.concat(rest);
  }
  if (after) q = q.where(afterCursorSql(order, after, dialect));
  return q
    .orderBy(orderSql(order, dialect) as never)
    .limit(query.limit)
    .execute();
}

export interface OffsetQuery {
  projectId: string;
  limit: number;
  offset: number;
  audienceId?: string;
}

/**
 * Newest first by id (UUIDv7, unique, so the order is total and pages never overlap), skipping
 * `offset` rows. Served by the `(project_id)` or `(project_id, audience_id)` index in rowid order
 * (SQLite, see `idOrderRef`), `(project_id, id)` or `(project_id, audience_id, id)` on PostgreSQL.
 */
export async function listContactsOffset(
  db: Db,
  dialect: DialectInfo,
  query: OffsetQuery,
): Promise<ContactRow[]> {
  return projectContacts(db, dialect, query.projectId, query)
    .selectAll()
    .orderBy(newestFirstSql(dialect) as never)
    .limit(query.limit)
    .offset(query.offset)
    .execute();
}

export interface CountFilter {
  /** Lowercased substring of the email. */
  search?: string;
  /** Only contacts with this subscription state. */
  subscribed?: boolean;
  /** A compiled filter tree (segments/contact-filter.ts). */
  where?: RawBuilder<boolean>;
}

export async function countContacts(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  filter: CountFilter = {},
): Promise<number> {
  const row = await projectContacts(db, dialect, projectId, filter)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function contactExists(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  id: string,
): Promise<boolean> {
  if (!isContactId(id)) return false;
  const row = await db
    .selectFrom('roster_contacts')
    .select('id')
    .where('project_id', '=', contactProjectOf(projectId))
    .where('id', '=', dialect.contactIdValue(id))
    .executeTakeFirst();
  return row !== undefined;
}
