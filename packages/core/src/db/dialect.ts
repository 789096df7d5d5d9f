import { type Kysely, PostgresAdapter, type RawBuilder, SqliteAdapter, sql } from 'kysely';
import { contactIdBytes } from '../ids.js';
import { JOBS_CHANNEL } from './postgres-listener.js';
import type { ContactProjectKey, StoredContactId } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** A JSON merge as `mergeJsonSql` writes it: its steps and their parameter values, in order. */
export interface JsonMergePlan {
  steps: string[];
  values: unknown[];
}

/**
 * Everything that differs between SQLite and PostgreSQL, decided in one place by capability.
 * Services and repositories never branch on the dialect name themselves. Counts and substring
 * search differ by more than a capability: each dialect has its contact index (contacts/contact-index.ts).
 */
export interface DialectInfo {
  readonly name: DialectName;
  /** Column type for JSON documents. */
  readonly jsonType: 'text' | 'jsonb';
  /** Column type for booleans. */
  readonly boolType: 'integer' | 'boolean';
  /** Column type for binary data. */
  readonly blobType: 'blob' | 'bytea';
  /**
   * One writer at a time for the whole database (SQLite): concurrent single writes are grouped
   * into one transaction (group commit, see db/write-queue.ts) instead of committing one by one.
   */
  readonly singleWriter: boolean;
  /** `FOR UPDATE SKIP LOCKED` is available for claiming jobs. */
  readonly supportsSkipLocked: boolean;
  /**
   * Queries run synchronously on the event loop's thread (better-sqlite3): while one runs, nothing
   * else in the process does. Background scans of every contact (segment refresh and compute) are
   * then cut into ranges of the contacts' rowid `seq` that yield to I/O in between. PostgreSQL
   * queries run on pooled connections, so such a scan is one statement there.
   */
  readonly blockingQueries: boolean;
  /**
   * The column that orders contacts as their ids do, which list orders and keyset conditions of
   * contacts use. SQLite: the rowid `seq`. Every write gives the contacts it inserts ids above
   * every stored id, increasing in insert order (`followStoredContactIds` and `newContactId`, in
   * the write's transaction), so seq order is id order, and the contact indexes end at the rowid instead of a
   * 36-byte id (migration 0024). PostgreSQL: `id` itself (its table has no `seq`).
   */
  readonly contactIdOrder: 'seq' | 'id';
  /**
   * A new contact's `id` in a one-row insert compiled once (`id`: its stand-in). PostgreSQL: the id.
   * SQLite (`contactIdOrder` is `seq`): the id when it is above every stored id, else NULL, which
   * the column refuses (`isContactIdBehind`); the write then gives the row a later id and runs
   * again (`followStoredContactIds`). So a lone create keeps seq order with no statement of its own.
   */
  newContactId(id: string): unknown;
  /**
   * A contact id as `roster_contacts.id` and the `contact_id` columns store it (`StoredContactId`),
   * for every bind parameter compared with or written to those columns. SQLite: the 16 bytes of a
   * canonical id (`isContactId`), any other string as it is (migration 0025). PostgreSQL: the id.
   * Read stored ids back with `contactIdText` (ids.ts).
   */
  contactIdValue(id: string): StoredContactId;
  /** `contactIdValue` of each id, in order. */
  contactIdValues(ids: readonly string[]): StoredContactId[];
  /**
   * The contact id stored in `column`, formatted as its text by the database itself (SQLite: the
   * 16 bytes of a canonical id as lowercase hyphenated hex, a TEXT id as it is; PostgreSQL: the
   * uuid, which its driver reads as text). For statements that return many ids (the import's
   * upserts): better-sqlite3 makes each BLOB it returns a Buffer of its own, which costs several
   * times a short string per row and grows the garbage the import's capped heap collects.
   */
  contactIdTextSql(column: string): RawBuilder<string>;
  /** True for the error of an insert whose `newContactId` was not above every stored id. */
  isContactIdBehind(error: unknown): boolean;
  /**
   * `roster_contacts.project_id` of the project `projectId` (see `ContactProjectKey`): the
   * project's integer key, read by a subquery on its primary key that the planner runs once per
   * statement (so `project_id = ...` still seeks the contact indexes). The same on both dialects.
   */
  contactProject(projectId: string): RawBuilder<ContactProjectKey>;
  /** The project id (text) of a contact's `project_id` column, e.g. in a trigger-free join. */
  contactProjectId(column: RawBuilder<unknown>): RawBuilder<string>;
  /** Encode a boolean for a bind parameter. */
  bool(value: boolean): number | boolean;
  /**
   * Encode a value for a bind parameter of a JSON column (null and undefined: SQL NULL). The one
   * JSON encoder: repositories and services call it for every JSON column they write.
   */
  json: typeof encodeJson;
  /**
   * Decode a JSON column as the driver returns it: TEXT to parse on SQLite, already a value on
   * PostgreSQL (jsonb). SQL NULL becomes null. The one JSON decoder: row mappers call it.
   */
  parseJson(value: unknown): unknown;
  /**
   * SQL for a shallow merge of `patch` into the JSON column `column`: top-level keys of the patch
   * replace the stored ones, keys listed in `remove` are deleted, and an empty object becomes NULL.
   */
  mergeJson(
    column: RawBuilder<unknown>,
    patch: Record<string, unknown>,
    remove: string[],
  ): RawBuilder<unknown>;
  /**
   * `mergeJson` in two parts, for a statement compiled once per shape (`compiledPerShape`): the
   * merge's steps (equal steps, equal SQL) with their parameter values in order, and the SQL of
   * those steps over `values` (the plan's own, or stand-ins). `mergeJson` is the two together.
   */
  mergeJsonPlan(patch: Record<string, unknown>, remove: string[]): JsonMergePlan;
  mergeJsonSql(
    column: RawBuilder<unknown>,
    steps: readonly string[],
    values: readonly unknown[],
  ): RawBuilder<unknown>;
  /**
   * SQL merging the JSON of column `patch` (e.g. `excluded.data` in an upsert) into column
   * `target`, top-level keys of the patch replacing stored ones, an empty result becoming NULL.
   * For flat patches of non-null values (CSV cells); `mergeJson` handles the general rules.
   */
  mergeJsonColumns(target: RawBuilder<unknown>, patch: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * As `mergeJsonColumns`, for patches of any JSON values: each top-level key of the patch
   * replaces the stored one whole (an object is not merged into the stored object) and a null
   * value is stored as null (not a deletion). PostgreSQL's `||` does this already; SQLite's
   * `json_patch` (RFC 7396) would merge objects and delete null keys.
   */
  replaceJsonKeys(target: RawBuilder<unknown>, patch: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * The top-level keys of the JSON objects in column `data` of the rows of `rows` (a subquery),
   * each with the type of its value (`string`, `number`, `boolean`, `object`, `array`, `null`)
   * and 1 when that value is a string that is empty or starts or ends with one of `whitespace`'s
   * characters, else 0: SQL for `select distinct key, type, untrimmed` (SQLite `json_each` and its
   * `json_type` names, PostgreSQL `jsonb_each` and `jsonb_typeof`).
   */
  jsonKeyTypes(rows: RawBuilder<unknown>, whitespace: string): RawBuilder<unknown>;
  /**
   * JSON access for filters. `path` is a list of object keys from the root of the JSON column.
   * Text when the value there is a JSON string, else NULL; compared byte-wise (ISO dates sort).
   */
  jsonString(column: RawBuilder<unknown>, path: string[]): RawBuilder<unknown>;
  /**
   * `test` of the text at `path` when the value there is a JSON string, else false or NULL: what
   * `test(jsonString(column, path))` means, written so the type is checked only for rows that pass
   * the test (SQLite: `json_extract(...) = 'pro' and json_type(...) = 'text'`, one JSON lookup for
   * most rows instead of two). `test` gets the text as an expression it may use more than once.
   */
  jsonStringTest(
    column: RawBuilder<unknown>,
    path: string[],
    test: (text: RawBuilder<unknown>) => RawBuilder<boolean>,
  ): RawBuilder<boolean>;
  /**
   * A number when the value at `path` is a JSON number or a string holding a plain decimal number
   * (`"42"`, `"-3.5"`, as CSV imports store them), else NULL.
   */
  jsonNumber(column: RawBuilder<unknown>, path: string[]): RawBuilder<unknown>;
  /** True when the value at `path` is the JSON boolean `value`. */
  jsonIsBoolean(column: RawBuilder<unknown>, path: string[], value: boolean): RawBuilder<boolean>;
  /** True when `path` exists and its value is not JSON null. */
  jsonPresent(column: RawBuilder<unknown>, path: string[]): RawBuilder<boolean>;
  /** Case-sensitive substring test (`haystack` NULL gives NULL). */
  containsText(haystack: RawBuilder<unknown>, needle: string): RawBuilder<boolean>;
  /**
   * A statement telling the job runners of other processes that jobs were queued (delivered when
   * the transaction it runs in commits), or null where the database has no such channel (SQLite:
   * other processes find new jobs by polling).
   */
  jobsQueuedNotification(): RawBuilder<unknown> | null;
  /**
   * `query` with its rows locked until the transaction ends (`FOR UPDATE` on PostgreSQL), so a
   * read-then-write in one transaction sees no concurrent change in between. Unchanged on SQLite,
   * whose one writer holds the whole database for the transaction already.
   */
  lockRowsForUpdate<Q extends { forUpdate(): Q }>(query: Q): Q;
  /**
   * `column` as an expression the planner cannot pick an index for (SQLite's unary `+`), where an
   * index on it would lead the planner astray: a better one serves the statement, which only the
   * caller knows. The plain column on PostgreSQL, whose planner weighs indexes by their statistics.
   */
  withoutIndex(column: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * How readers of a log appended to by concurrent transactions (the outbox) find the prefix of it
   * that is final, or null where writers never overlap, so a log read in `seq` order is read in
   * commit order (SQLite: one writer at a time). See `outbox/outbox-horizon.ts` for the proof.
   */
  readonly concurrentAppends: ConcurrentAppends | null;
  /**
   * Locks that order a suppression of an address against the concurrent writes that would
   * subscribe it, or null where writers never overlap (SQLite: one writer holds the whole database
   * for its transaction, so a write's suppression check and its write see no suppression commit in
   * between). See `suppressions/suppression-repository.ts` (`lockAddresses`).
   */
  readonly addressLocks: AddressLocks | null;
  /** True if `error` is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  /** True if `error` is a foreign-key violation (e.g. a row refers to an audience deleted meanwhile). */
  isForeignKeyViolation(error: unknown): boolean;
  /**
   * True if the database aborted `error`'s transaction only because of a concurrent one (PostgreSQL's
   * deadlock victim, `40P01`, or serialization failure, `40001`): running it again may succeed.
   * SQLite's single writer never aborts a transaction for that.
   */
  isTransientConflict(error: unknown): boolean;
  /**
   * After an erasure: makes what deletes and updates freed unreadable in the database files.
   * SQLite keeps freed cells and pages (and old page versions in the write-ahead log) until they are
   * reused: `VACUUM` rewrites the database without them, then `wal_checkpoint(TRUNCATE)` empties
   * the log. It rewrites the whole file, so it takes time in proportion to the database's size.
   * PostgreSQL: nothing (a deleted row version is visible to no query or dump; VACUUM reclaims it).
   */
  eraseFreedSpace(db: Kysely<any>): Promise<void>;
}

/**
 * The statements behind `DialectInfo.concurrentAppends`. Each names its log by `channel` and the
 * current schema, so roster databases in other schemas never wait for or see each other.
 */
export interface ConcurrentAppends {
  /**
   * Marks the current transaction as appending to the log `channel` until it ends (a shared
   * lock: appenders never wait for each other). Runs before the append takes its `seq`.
   */
  marker(channel: string): RawBuilder<unknown>;
  /** The transactions holding `channel`'s marker now, one row each (`holder`, an opaque id). */
  markerHolders(channel: string): RawBuilder<{ holder: string }>;
  /** The last value the sequence of `table`'s serial `column` handed out (null: none yet), read now. */
  lastSequenceValue(table: string, column: string): RawBuilder<{ value: string | number | null }>;
  /** Notifies the listeners of `channel` (the current schema as payload), at once. */
  notification(channel: string): RawBuilder<unknown>;
}

/**
 * The statement behind `DialectInfo.addressLocks`. An address maps to one of `ADDRESS_LOCK_STRIPES`
 * stripes of its project (and schema), so a transaction holds at most that many locks however many
 * addresses it writes (a 10000-row import batch included), at the price of a suppression sometimes
 * waiting for a write of another address of the same stripe.
 */
export interface AddressLocks {
  /**
   * Takes, until the transaction ends, the stripe locks of `emails` (normalised; `all`: every stripe)
   * in `projectId`, in stripe order (so two lockers never deadlock on each other): `shared` for
   * writes (they never wait for each other), exclusive for a suppression (it waits for those in
   * flight and holds back new ones until it commits).
   */
  lock(
    projectId: string,
    emails: readonly string[] | 'all',
    mode: 'shared' | 'exclusive',
  ): RawBuilder<unknown>;
}

/** Stripes per project of `AddressLocks`. */
export const ADDRESS_LOCK_STRIPES = 256;

/**
 * JSON text for a JSON column, the same on both dialects (PostgreSQL casts the text parameter to
 * jsonb); SQL NULL for null and undefined.
 */
function encodeJson(value: object | string | number | boolean): string;
function encodeJson(value: unknown): string | null;
function encodeJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** SQLite JSON path for object keys: `$."a"."b"` (keys never contain `"`, see segments/filter-validate.ts). */
function sqlitePath(path: string[]): string {
  return `$${path.map((key) => `."${key}"`).join('')}`;
}

/**
 * Decimal strings that count as numbers on PostgreSQL: the same canonical forms SQLite reads back
 * unchanged (no leading zeros, no trailing fractional zeros, no exponent).
 */
const PLAIN_DECIMAL = '^-?(0|[1-9][0-9]*)(\\.[0-9]*[1-9])?$';

/**
 * A contact's project by its key, `roster_projects.seq` (migrations 0020 on SQLite, 0021 on
 * PostgreSQL): the one definition both dialects share.
 */
const contactProjectKeys: Pick<DialectInfo, 'contactProject' | 'contactProjectId'> = {
  contactProject: (projectId) =>
    sql<ContactProjectKey>`(select seq from roster_projects where id = ${projectId})`,
  contactProjectId: (column) => sql<string>`(select id from roster_projects where seq = ${column})`,
};

/** SQLite's `contactIdValue`: the 16 bytes of a canonical id, else the string itself. */
function sqliteContactId(id: string): StoredContactId {
  return (contactIdBytes(id) ?? id) as StoredContactId;
}

const sqlite: DialectInfo = {
  name: 'sqlite',
  ...contactProjectKeys,
  jsonType: 'text',
  boolType: 'integer',
  blobType: 'blob',
  singleWriter: true,
  supportsSkipLocked: false,
  blockingQueries: true,
  contactIdOrder: 'seq',
  // A blob sorts above every text, so `''` stands for "no stored id" whatever `id` is.
  newContactId: (id) => sql`(select ${id} where ${id} > coalesce((select max(id) from roster_contacts), ''))`,
  contactIdValue: sqliteContactId,
  contactIdValues: (ids) => ids.map(sqliteContactId),
  contactIdTextSql(column) {
    const id = sql.ref(column);
    const hex = sql`hex(${id})`;
    return sql<string>`iif(typeof(${id}) = 'blob', lower(substr(${hex}, 1, 8) || '-' || substr(${hex}, 9, 4) || '-' || substr(${hex}, 13, 4) || '-' || substr(${hex}, 17, 4) || '-' || substr(${hex}, 21)), ${id})`;
  },
  isContactIdBehind(error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    return (
      code === 'SQLITE_CONSTRAINT_NOTNULL' &&
      typeof message === 'string' &&
      message.includes('roster_contacts.id')
    );
  },
  bool: (value) => (value ? 1 : 0),
  json: encodeJson,
  parseJson: (value) => (typeof value === 'string' ? JSON.parse(value) : (value ?? null)),
  mergeJson(column, patch, remove) {
    const plan = this.mergeJsonPlan(patch, remove);
    return this.mergeJsonSql(column, plan.steps, plan.values);
  },
  mergeJsonPlan(patch, remove) {
    // json_patch is RFC 7396 merge patch: it recurses into objects and drops nested nulls. A
    // top-level object value is therefore set whole with json_set (kept as sent, nested nulls
    // included, as on create and on PostgreSQL); the other keys go through one json_patch.
    const flat: Record<string, unknown> = {};
    const objects: [string, unknown][] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) objects.push([key, value]);
      else flat[key] = value;
    }
    const clear: Record<string, null> = {};
    for (const key of remove) clear[key] = null;
    const steps: string[] = [];
    const values: unknown[] = [];
    if (Object.keys(clear).length > 0) {
      steps.push('patch');
      values.push(JSON.stringify(clear));
    }
    if (Object.keys(flat).length > 0) {
      steps.push('patch');
      values.push(JSON.stringify(flat));
    }
    for (const [key, value] of objects) {
      // A quoted path label takes JSON string escapes, so any key can be addressed.
      steps.push('set');
      values.push(`$.${JSON.stringify(key)}`, JSON.stringify(value));
    }
    return { steps, values };
  },
  mergeJsonSql(column, steps, values) {
    let merged: RawBuilder<unknown> = sql`coalesce(${column}, '{}')`;
    let i = 0;
    for (const step of steps) {
      if (step === 'patch') merged = sql`json_patch(${merged}, ${values[i++]})`;
      else merged = sql`json_set(${merged}, ${values[i++]}, json(${values[i++]}))`;
    }
    return sql`nullif(${merged}, '{}')`;
  },
  mergeJsonColumns(target, patch) {
    return sql`nullif(json_patch(coalesce(${target}, '{}'), coalesce(${patch}, '{}')), '{}')`;
  },
  replaceJsonKeys(target, patch) {
    // Rebuilt from json_each: the stored keys the patch does not have, then the patch's. The
    // values get their JSON form in json_group_object's own argument (a subtype does not survive
    // a subquery): json_each gives true/false as 1/0 and objects and arrays as text.
    const value = sql`case type when 'true' then json('true') when 'false' then json('false') when 'null' then json('null') when 'object' then json(value) when 'array' then json(value) else value end`;
    return sql`nullif((select json_group_object(key, ${value}) from (select s.key as key, s.type as type, s.value as value from json_each(coalesce(${target}, '{}')) as s where s.key not in (select p.key from json_each(coalesce(${patch}, '{}')) as p) union all select p.key, p.type, p.value from json_each(coalesce(${patch}, '{}')) as p)), '{}')`;
  },
  jsonKeyTypes(rows, whitespace) {
    return sql`select distinct j.key as key, case j.type when 'integer' then 'number' when 'real' then 'number' when 'true' then 'boolean' when 'false' then 'boolean' when 'text' then 'string' else j.type end as type, case when j.type = 'text' and (j.atom = '' or j.atom <> trim(j.atom, ${whitespace})) then 1 else 0 end as untrimmed from (${rows}) as c, json_each(c.data) as j`;
  },
  jsonString(column, path) {
    const p = sqlitePath(path);
    return sql`(case when json_type(${column}, ${p}) = 'text' then json_extract(${column}, ${p}) end)`;
  },
  jsonStringTest(column, path, test) {
    const p = sqlitePath(path);
    // json_extract gives the text of a JSON string, and also the JSON text of an object or array
    // (or a number): the type check after the test drops those, and runs only where the test held.
    return sql<boolean>`(${test(sql`json_extract(${column}, ${p})`)} and json_type(${column}, ${p}) = 'text')`;
  },
  jsonNumber(column, path) {
    const p = sqlitePath(path);
    // A string counts when it reads back unchanged as a number: the canonical decimal form.
    return sql`(case json_type(${column}, ${p}) when 'integer' then json_extract(${column}, ${p}) when 'real' then json_extract(${column}, ${p}) when 'text' then (case when json_extract(${column}, ${p}) = cast(cast(json_extract(${column}, ${p}) as numeric) as text) then cast(json_extract(${column}, ${p}) as numeric) end) end)`;
  },
  jsonIsBoolean(column, path, value) {
    return sql<boolean>`(json_type(${column}, ${sqlitePath(path)}) = ${value ? 'true' : 'false'})`;
  },
  jsonPresent(column, path) {
    return sql<boolean>`(coalesce(json_type(${column}, ${sqlitePath(path)}), 'null') <> 'null')`;
  },
  containsText(haystack, needle) {
    return sql<boolean>`(instr(${haystack}, ${needle}) > 0)`;
  },
  jobsQueuedNotification: () => null,
  lockRowsForUpdate: (query) => query,
  withoutIndex: (column) => sql`+${column}`,
  concurrentAppends: null,
  addressLocks: null,
  isUniqueViolation(error) {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
  isForeignKeyViolation(error) {
    return (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
  },
  isTransientConflict() {
    return false;
  },
  async eraseFreedSpace(db) {
    await sql.raw('vacuum').execute(db);
    await sql.raw('pragma wal_checkpoint(TRUNCATE)').execute(db);
  },
};

const postgres: DialectInfo = {
  name: 'postgres',
  ...contactProjectKeys,
  jsonType: 'jsonb',
  boolType: 'boolean',
  blobType: 'bytea',
  singleWriter: false,
  supportsSkipLocked: true,
  blockingQueries: false,
  contactIdOrder: 'id',
  newContactId: (id) => id,
  contactIdValue: (id) => id as StoredContactId,
  contactIdValues: (ids) => ids as StoredContactId[],
  contactIdTextSql: (column) => sql<string>`${sql.ref(column)}`,
  isContactIdBehind: () => false,
  bool: (value) => value,
  json: encodeJson,
  parseJson: (value) => value ?? null,
  mergeJson(column, patch, remove) {
    const plan = this.mergeJsonPlan(patch, remove);
    return this.mergeJsonSql(column, plan.steps, plan.values);
  },
  mergeJsonPlan(patch, remove) {
    const steps: string[] = [];
    const values: unknown[] = [];
    if (remove.length > 0) {
      steps.push('remove');
      values.push(remove);
    }
    if (Object.keys(patch).length > 0) {
      steps.push('patch');
      values.push(JSON.stringify(patch));
    }
    return { steps, values };
  },
  mergeJsonSql(column, steps, values) {
    let merged: RawBuilder<unknown> = sql`coalesce(${column}, '{}'::jsonb)`;
    let i = 0;
    for (const step of steps) {
      if (step === 'remove') merged = sql`(${merged} - ${values[i++]}::text[])`;
      else merged = sql`(${merged} || ${values[i++]}::jsonb)`;
    }
    return sql`nullif(${merged}, '{}'::jsonb)`;
  },
  mergeJsonColumns(target, patch) {
    return sql`nullif(coalesce(${target}, '{}'::jsonb) || coalesce(${patch}, '{}'::jsonb), '{}'::jsonb)`;
  },
  replaceJsonKeys(target, patch) {
    // `||` replaces top-level keys whole and keeps null values.
    return sql`nullif(coalesce(${target}, '{}'::jsonb) || coalesce(${patch}, '{}'::jsonb), '{}'::jsonb)`;
  },
  jsonKeyTypes(rows, whitespace) {
    const text = sql`(j.value #>> '{}')`;
    return sql`select distinct j.key as key, jsonb_typeof(j.value) as type, case when jsonb_typeof(j.value) = 'string' and (${text} = '' or ${text} <> btrim(${text}, ${whitespace})) then 1 else 0 end as untrimmed from (${rows}) as c, jsonb_each(c.data) as j`;
  },
  jsonString(column, path) {
    return sql`(case when jsonb_typeof(${column} #> ${path}::text[]) = 'string' then (${column} #>> ${path}::text[]) end) collate "C"`;
  },
  jsonStringTest(column, path, test) {
    return test(this.jsonString(column, path));
  },
  jsonNumber(column, path) {
    return sql`(case jsonb_typeof(${column} #> ${path}::text[]) when 'number' then (${column} #>> ${path}::text[])::numeric when 'string' then (case when (${column} #>> ${path}::text[]) ~ ${PLAIN_DECIMAL} then (${column} #>> ${path}::text[])::numeric end) end)`;
  },
  jsonIsBoolean(column, path, value) {
    return sql<boolean>`((${column} #> ${path}::text[]) = ${value ? 'true' : 'false'}::jsonb)`;
  },
  jsonPresent(column, path) {
    return sql<boolean>`(coalesce(jsonb_typeof(${column} #> ${path}::text[]), 'null') <> 'null')`;
  },
  containsText(haystack, needle) {
    return sql<boolean>`(strpos(${haystack}, ${needle}) > 0)`;
  },
  // The payload names the schema, so runners of roster databases in other schemas ignore it.
  jobsQueuedNotification: () => sql`select pg_notify(${JOBS_CHANNEL}, current_schema())`,
  lockRowsForUpdate: (query) => query.forUpdate(),
  withoutIndex: (column) => column,
  concurrentAppends: {
    // Shared: appenders do not wait for each other; only `markerHolders` looks at it.
    marker: (channel) =>
      sql`select pg_advisory_xact_lock_shared(hashtext(${channel}), hashtext(current_schema()))`,
    // A two-key advisory lock shows its keys as classid, objid (as oids) and objsubid 2.
    markerHolders: (channel) =>
      sql<{ holder: string }>`select virtualtransaction as holder from pg_locks
        where locktype = 'advisory' and granted and objsubid = 2
        and database = (select oid from pg_database where datname = current_database())
        and classid::bigint = (hashtext(${channel})::bigint & 4294967295)
        and objid::bigint = (hashtext(current_schema())::bigint & 4294967295)`,
    lastSequenceValue: (table, column) =>
      sql<{
        value: string | null;
      }>`select pg_sequence_last_value(pg_get_serial_sequence(${table}, ${column})::regclass) as value`,
    notification: (channel) => sql`select pg_notify(${channel}, current_schema())`,
  },
  addressLocks: {
    // Two-key advisory locks: the project's (and schema's) hash, and the address's stripe. The
    // stripes are sorted in a subquery, so the locks are taken in that order.
    lock: (projectId, emails, mode) => {
      const take = mode === 'shared' ? sql`pg_advisory_xact_lock_shared` : sql`pg_advisory_xact_lock`;
      const stripes =
        emails === 'all'
          ? sql`select generate_series(0, ${ADDRESS_LOCK_STRIPES - 1}) as stripe`
          : sql`select distinct abs(hashtext(e) % ${ADDRESS_LOCK_STRIPES}) as stripe
              from unnest(${[...emails]}::text[]) as e order by 1`;
      return sql`select ${take}(hashtext(${`roster.address:${projectId}:`} || current_schema()), s.stripe)
        from (${stripes}) as s`;
    },
  },
  isUniqueViolation(error) {
    return (error as { code?: unknown } | null)?.code === '23505';
  },
  isForeignKeyViolation(error) {
    return (error as { code?: unknown } | null)?.code === '23503';
  },
  isTransientConflict(error) {
    const code = (error as { code?: unknown } | null)?.code;
    return code === '40P01' || code === '40001';
  },
  async eraseFreedSpace() {},
};

export function dialectFor(name: DialectName): DialectInfo {
  return name === 'postgres' ? postgres : sqlite;
}

/**
 * Detects the dialect of an adopted Kysely instance from its adapter (`instanceof`, so subclasses
 * and dialects built on Kysely's SQLite or PostgreSQL adapter count too).
 */
export function detectDialect(db: Kysely<any>): DialectInfo {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return dialectFor('postgres');
  if (adapter instanceof SqliteAdapter) return dialectFor('sqlite');
  throw new Error(
    `roster: unsupported Kysely dialect (adapter ${adapter.constructor.name}); roster runs on SQLite or PostgreSQL (SqliteDialect or PostgresDialect)`,
  );
}

/**
 * `roster_contacts.project_id` of the project `projectId` (see `DialectInfo.contactProject`, the
 * same on both dialects), for repository functions that are not handed the dialect.
 */
export function contactProjectOf(projectId: string): RawBuilder<ContactProjectKey> {
  return contactProjectKeys.contactProject(projectId);
}
