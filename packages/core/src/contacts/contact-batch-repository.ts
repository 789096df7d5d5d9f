import { CompiledQuery, sql } from 'kysely';
import { contactProjectOf, type DialectInfo } from '../db/dialect.js';
import type { Db, StoredContactId } from '../db/schema.js';
import { RosterError } from '../errors.js';
import { contactIdText } from '../ids.js';
import { lockAddresses } from '../suppressions/suppression-repository.js';
import { contactColumns, placeholderRow, pushContactParams } from './contact-columns.js';
import {
  findContactProjectKey,
  followStoredContactIds,
  inProject,
  projectContacts,
} from './contact-repository.js';
import { gateSubscribed } from './contact-suppression.js';
import { contactTime } from './contact-time.js';

/**
 * Writes to many contacts at once: the CSV import's multi-row upsert and the bulk operations'
 * set-based updates and deletes. With `contact-repository.ts` (single contacts) the only code
 * that writes `roster_contacts`.
 */

/** One contact to upsert from an import batch (emails are unique within a call). */
export interface ContactBatchUpsert {
  id: string;
  email: string;
  /** Undefined: true on insert, unchanged on update. */
  subscribed: boolean | undefined;
  /**
   * Data patch, or null: its keys replace the stored ones. Non-empty strings (any import), or any
   * JSON value including null (the typed columns of roster's own CSV).
   */
  data: Record<string, unknown> | null;
  /** Null: none on insert, unchanged on update. */
  firstName: string | null;
  /** Null: none on insert, unchanged on update. */
  lastName: string | null;
}

/** What is the same for every row of an `upsertContactBatch` call. */
export interface ContactBatchUpsertOptions {
  /** The file has name columns: `first_name` / `last_name` are written (a null keeps the stored name). */
  names: boolean;
  /** Every row's contact, created or updated, is put in this audience; null leaves audiences alone. */
  audienceId: string | null;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rows per statement: at most 10 bind parameters each, well below SQLite's 32766 and Postgres' 65535. */
export const ROWS_PER_STATEMENT = 1000;

/**
 * Compiled upsert statements by shape, per database: keyed by the Kysely instance's adapter, which
 * its transactions share (not by the dialect's name: two instances may compile differently).
 */
const statements = new WeakMap<object, Map<string, string>>();

interface Shape {
  rows: number;
  setSubscribed: boolean;
  names: boolean;
  audience: boolean;
  /** Some row's data has a value that is not a string: merged with `replaceJsonKeys`. */
  typedData: boolean;
}

/** The columns a batch of this shape writes: names and audience only when the batch sets them. */
function batchColumns(shape: Pick<Shape, 'names' | 'audience'>) {
  return contactColumns([
    ...(shape.names ? [] : (['first_name', 'last_name'] as const)),
    ...(shape.audience ? [] : (['audience_id'] as const)),
  ]);
}

/**
 * The SQL of a multi-row upsert of one shape, compiled once by Kysely and reused (building and
 * compiling a 10000-parameter query per batch costs more than running it). Its placeholders come
 * from the same column table (`contact-columns.ts`) as the parameters `upsertContactBatch` binds.
 */
function upsertSql(db: Db, dialect: DialectInfo, shape: Shape): string {
  const adapter = db.getExecutor().adapter;
  let cache = statements.get(adapter);
  if (!cache) {
    cache = new Map();
    statements.set(adapter, cache);
  }
  const key = `${shape.rows}:${shape.setSubscribed}:${shape.names}:${shape.audience}:${shape.typedData}`;
  let text = cache.get(key);
  if (text === undefined) {
    const placeholder = placeholderRow(batchColumns(shape));
    // An empty name cell (null) must not clear a stored name.
    const keepName = (column: 'first_name' | 'last_name') =>
      sql`coalesce(${sql.ref(`excluded.${column}`)}, ${sql.ref(`roster_contacts.${column}`)})` as never;
    text = db
      .insertInto('roster_contacts')
      .values(Array.from({ length: shape.rows }, () => placeholder) as never)
      .onConflict((oc) =>
        oc.columns(['project_id', 'email']).doUpdateSet({
          data: (shape.typedData
            ? dialect.replaceJsonKeys(sql.ref('roster_contacts.data'), sql.ref('excluded.data'))
            : dialect.mergeJsonColumns(sql.ref('roster_contacts.data'), sql.ref('excluded.data'))) as never,
          updated_at: (eb) => eb.ref('excluded.updated_at'),
          ...(shape.setSubscribed ? { subscribed: (eb) => eb.ref('excluded.subscribed') } : {}),
          ...(shape.names ? { first_name: keepName('first_name'), last_name: keepName('last_name') } : {}),
          ...(shape.audience ? { audience_id: (eb) => eb.ref('excluded.audience_id') } : {}),
        }),
      )
      .returning([dialect.contactIdTextSql('id').as('id'), 'email'])
      .compile().sql;
    if (cache.size > 64) cache.clear();
    cache.set(key, text);
  }
  return text;
}

/**
 * Inserts or merges `rows` (distinct emails) with multi-row `INSERT ... ON CONFLICT DO UPDATE`
 * statements; the database merges `data` and keeps stored names where a row has none. Rows with
 * `subscribed` undefined go into statements that leave `subscribed` alone on update. With an
 * `audienceId`, every row's contact ends up in that audience (it must exist: the foreign key
 * rejects the statement otherwise). A row of a suppressed address gets `subscribed: false` (see
 * `gateSubscribed`) and its email is added to `suppressed`. Returns the stored id of each row's email: a row whose own
 * `id` it is was inserted (a new contact), the others updated an existing one. A row's `id` may be
 * replaced by a later one first (`followStoredContactIds`): compare with the rows' ids after the call.
 */
export async function upsertContactBatch(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  rows: ContactBatchUpsert[],
  now: string,
  options: ContactBatchUpsertOptions = { names: false, audienceId: null },
  suppressed?: Set<string>,
): Promise<Map<string, string>> {
  const stored = new Map<string, string>();
  // Suppressed addresses are written unsubscribed: their rows' `subscribed` becomes false, so
  // what the caller records of the write (its change events) says what was written.
  await gateSubscribed(db, dialect, projectId, rows, suppressed);
  const { names, audienceId } = options;
  const audience = audienceId !== null;
  const columns = batchColumns({ names, audience });
  // Read once for every statement of the call (a key never changes while its project exists).
  const projectKey = rows.length > 0 ? await findContactProjectKey(db, projectId) : undefined;
  if (rows.length > 0 && projectKey === undefined) throw RosterError.notFound('project');
  const groups = [
    rows.filter((r) => r.subscribed !== undefined),
    rows.filter((r) => r.subscribed === undefined),
  ];
  // In the order of the statements below, which insert in row order (see `followStoredContactIds`).
  await followStoredContactIds(db, dialect, groups.flat());
  for (const [g, group] of groups.entries()) {
    for (let start = 0; start < group.length; start += ROWS_PER_STATEMENT) {
      const chunk = group.slice(start, start + ROWS_PER_STATEMENT);
      const params: unknown[] = [];
      for (const row of chunk) {
        pushContactParams(
          params,
          columns,
          {
            id: row.id,
            projectId,
            projectKey: projectKey!,
            email: row.email,
            subscribed: row.subscribed ?? true,
            data: dialect.json(row.data),
            firstName: row.firstName,
            lastName: row.lastName,
            audienceId,
            now,
          },
          dialect,
        );
      }
      const typedData = chunk.some(
        (row) => row.data !== null && Object.values(row.data).some((value) => typeof value !== 'string'),
      );
      const shape = { rows: chunk.length, setSubscribed: g === 0, names, audience, typedData };
      const result = await db.executeQuery<{ id: StoredContactId; email: string }>(
        CompiledQuery.raw(upsertSql(db, dialect, shape), params),
      );
      for (const row of result.rows) stored.set(row.email, contactIdText(row.id));
      // Statements run synchronously on SQLite: let timers and I/O (progress displays, HTTP) in.
      await yieldToEventLoop();
    }
  }
  return stored;
}

// ---- bulk operations ----------------------------------------------------------------------------

/** Most ids bound in one statement (well under every dialect's bind-parameter limit). */
export const IDS_PER_STATEMENT = 500;

/** The ids among `ids` that are contacts of the project. */
export async function findExistingContactIds(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  ids: string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await projectContacts(db, dialect, projectId, { ids }).select('id').execute();
  return rows.map((r) => contactIdText(r.id));
}

/**
 * Sets `subscribed` on the project's contacts among `ids` that are not already in that state;
 * returns the ids of those it changed (they flipped).
 */
export async function setSubscribed(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  given: string[],
  subscribed: boolean,
  now: string,
  suppressed?: Set<string>,
): Promise<string[]> {
  let ids = given;
  if (ids.length === 0) return [];
  if (subscribed) {
    // A bulk subscribe runs chunk by chunk in one transaction, locking rows as it goes: it takes every
    // address lock of the project at once (see `lockAddresses`), held already after the first chunk.
    await lockAddresses(db, dialect, projectId, 'all', 'shared');
    // Suppressed addresses stay unsubscribed: their contacts are left out of the update.
    const emails = await db
      .selectFrom('roster_contacts')
      .select(['id', 'email'])
      .where(inProject(dialect, projectId))
      .where('id', 'in', dialect.contactIdValues(ids))
      .execute();
    const gate = emails.map((row) => ({ email: row.email, subscribed: true as boolean | undefined }));
    const blocked = await gateSubscribed(db, dialect, projectId, gate, suppressed);
    if (blocked.size > 0) {
      const blockedIds = new Set(
        emails.filter((row) => blocked.has(row.email)).map((row) => contactIdText(row.id)),
      );
      ids = ids.filter((id) => !blockedIds.has(id));
      if (ids.length === 0) return [];
    }
  }
  const rows = await db
    .updateTable('roster_contacts')
    .set({ subscribed: dialect.bool(subscribed), updated_at: contactTime(now) })
    .where(inProject(dialect, projectId))
    .where('id', 'in', dialect.contactIdValues(ids))
    .where('subscribed', '=', dialect.bool(!subscribed))
    .returning('id')
    .execute();
  return rows.map((row) => contactIdText(row.id));
}

/**
 * Moves the project's contacts among `ids` into `audienceId` (null: out of any audience); returns
 * the ids of those it moved.
 */
export async function setAudience(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  ids: string[],
  audienceId: string | null,
  now: string,
): Promise<string[]> {
  if (ids.length === 0) return [];
  let query = db
    .updateTable('roster_contacts')
    .set({ audience_id: audienceId, updated_at: contactTime(now) })
    .where(inProject(dialect, projectId))
    .where('id', 'in', dialect.contactIdValues(ids));
  query =
    audienceId === null
      ? query.where('audience_id', 'is not', null)
      : query.where((eb) => eb.or([eb('audience_id', 'is', null), eb('audience_id', '!=', audienceId)]));
  const rows = await query.returning('id').execute();
  return rows.map((row) => contactIdText(row.id));
}

/** Deletes the project's contacts among `ids`; returns the deleted ones' ids and emails. */
export async function deleteContacts(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  ids: string[],
): Promise<{ id: string; email: string }[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .deleteFrom('roster_contacts')
    .where(inProject(dialect, projectId))
    .where('id', 'in', dialect.contactIdValues(ids))
    .returning(['id', 'email'])
    .execute();
  // In id order on both dialects (what SQLite's index walk gives): PostgreSQL returns deleted rows
  // in the order of its plan, which its estimates of the table choose.
  return rows
    .map((row) => ({ id: contactIdText(row.id), email: row.email }))
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/**
 * Takes every contact of the project out of the audience. Done explicitly rather than left to
 * `ON DELETE SET NULL`, so it also holds on connections where foreign keys are not enforced, and
 * so the contacts' `updated_at` moves. Returns the ids of the contacts it took out.
 */
export async function clearAudienceFromContacts(
  db: Db,
  projectId: string,
  audienceId: string,
  now: string,
): Promise<string[]> {
  const rows = await db
    .updateTable('roster_contacts')
    .set({ audience_id: null, updated_at: contactTime(now) })
    .where('project_id', '=', contactProjectOf(projectId))
    .where('audience_id', '=', audienceId)
    .returning('id')
    .execute();
  return rows.map((row) => contactIdText(row.id));
}

/** Emails bound in one `findSubscriptionsByEmail` statement (below SQLite's 32766 bind parameters). */
const EMAILS_PER_READ = 5000;

/**
 * The id and `subscribed` of the project's contacts among `emails` (normalised), read before a
 * batch upsert so the caller can tell which contacts it flipped. Their rows stay locked until the
 * transaction ends (`lockRowsForUpdate`), so no concurrent write changes them in between.
 */
export async function findSubscriptionsByEmail(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  emails: string[],
): Promise<Map<string, { id: string; subscribed: boolean }>> {
  const found = new Map<string, { id: string; subscribed: boolean }>();
  // Large statements: PostgreSQL may plan each as a scan of the project's contacts while its
  // statistics are stale (a project an import is filling), so fewer statements scan less.
  for (let i = 0; i < emails.length; i += EMAILS_PER_READ) {
    const rows = await dialect
      .lockRowsForUpdate(
        db
          .selectFrom('roster_contacts')
          .select(['id', 'email', 'subscribed'])
          .where('project_id', '=', contactProjectOf(projectId))
          .where('email', 'in', emails.slice(i, i + EMAILS_PER_READ)),
      )
      .execute();
    for (const row of rows)
      found.set(row.email, { id: contactIdText(row.id), subscribed: Boolean(row.subscribed) });
  }
  return found;
}
