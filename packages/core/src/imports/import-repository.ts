import { CompiledQuery, sql } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';

/** One contact to upsert from an import batch (emails are unique within a call). */
export interface ImportUpsert {
  id: string;
  email: string;
  /** Undefined: true on insert, unchanged on update. */
  subscribed: boolean | undefined;
  /** Flat data patch of non-empty strings, or null. */
  data: Record<string, string> | null;
  /** Null: none on insert, unchanged on update. */
  firstName: string | null;
  /** Null: none on insert, unchanged on update. */
  lastName: string | null;
}

/** What is the same for every row of an `upsertImportRows` call. */
export interface ImportUpsertOptions {
  /** The file has name columns: `first_name` / `last_name` are written (a null keeps the stored name). */
  names: boolean;
  /** Every row's contact, created or updated, is put in this audience; null leaves audiences alone. */
  audienceId: string | null;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rows per statement: at most 10 bind parameters each, well below SQLite's 32766 and Postgres' 65535. */
export const ROWS_PER_STATEMENT = 1000;

const statements = new Map<string, string>();

interface Shape {
  rows: number;
  setSubscribed: boolean;
  names: boolean;
  audience: boolean;
}

/**
 * The SQL of a multi-row upsert of one shape, compiled once by Kysely for this dialect and
 * reused (building and compiling a 10000-parameter query per batch costs more than running it).
 * The columns are, in order: id, project_id, email, subscribed, data, [first_name, last_name],
 * [audience_id], created_at, updated_at.
 */
function upsertSql(db: Db, dialect: DialectInfo, shape: Shape): string {
  const key = `${dialect.name}:${shape.rows}:${shape.setSubscribed}:${shape.names}:${shape.audience}`;
  let text = statements.get(key);
  if (text === undefined) {
    const placeholder = {
      id: '',
      project_id: '',
      email: '',
      subscribed: 0,
      data: null as string | null,
      ...(shape.names ? { first_name: null as string | null, last_name: null as string | null } : {}),
      ...(shape.audience ? { audience_id: null as string | null } : {}),
      created_at: '',
      updated_at: '',
    };
    // An empty name cell (null) must not clear a stored name.
    const keepName = (column: 'first_name' | 'last_name') =>
      sql`coalesce(${sql.ref(`excluded.${column}`)}, ${sql.ref(`roster_contacts.${column}`)})` as never;
    text = db
      .insertInto('roster_contacts')
      .values(Array.from({ length: shape.rows }, () => placeholder))
      .onConflict((oc) =>
        oc.columns(['project_id', 'email']).doUpdateSet({
          data: dialect.mergeJsonColumns(sql.ref('roster_contacts.data'), sql.ref('excluded.data')) as never,
          updated_at: (eb) => eb.ref('excluded.updated_at'),
          ...(shape.setSubscribed ? { subscribed: (eb) => eb.ref('excluded.subscribed') } : {}),
          ...(shape.names ? { first_name: keepName('first_name'), last_name: keepName('last_name') } : {}),
          ...(shape.audience ? { audience_id: (eb) => eb.ref('excluded.audience_id') } : {}),
        }),
      )
      .returning('id')
      .compile().sql;
    if (statements.size > 64) statements.clear();
    statements.set(key, text);
  }
  return text;
}

/**
 * Inserts or merges `rows` (distinct emails) with multi-row `INSERT ... ON CONFLICT DO UPDATE`
 * statements; the database merges `data` and keeps stored names where a row has none. Rows with
 * `subscribed` undefined go into statements that leave `subscribed` alone on update. With an
 * `audienceId`, every row's contact ends up in that audience (it must exist: the foreign key
 * rejects the statement otherwise). Returns the stored ids: a row whose own `id` is among them
 * was inserted (a new contact), the others updated an existing one.
 */
export async function upsertImportRows(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  rows: ImportUpsert[],
  now: string,
  options: ImportUpsertOptions = { names: false, audienceId: null },
): Promise<Set<string>> {
  const stored = new Set<string>();
  const { names, audienceId } = options;
  const audience = audienceId !== null;
  const columns = 7 + (names ? 2 : 0) + (audience ? 1 : 0);
  const groups = [
    rows.filter((r) => r.subscribed !== undefined),
    rows.filter((r) => r.subscribed === undefined),
  ];
  for (const [g, group] of groups.entries()) {
    for (let start = 0; start < group.length; start += ROWS_PER_STATEMENT) {
      const chunk = group.slice(start, start + ROWS_PER_STATEMENT);
      const params: unknown[] = new Array(chunk.length * columns);
      let p = 0;
      for (const row of chunk) {
        params[p++] = row.id;
        params[p++] = projectId;
        params[p++] = row.email;
        params[p++] = dialect.bool(row.subscribed ?? true);
        params[p++] = row.data === null ? null : JSON.stringify(row.data);
        if (names) {
          params[p++] = row.firstName;
          params[p++] = row.lastName;
        }
        if (audience) params[p++] = audienceId;
        params[p++] = now;
        params[p++] = now;
      }
      const shape = { rows: chunk.length, setSubscribed: g === 0, names, audience };
      const result = await db.executeQuery<{ id: string }>(
        CompiledQuery.raw(upsertSql(db, dialect, shape), params),
      );
      for (const row of result.rows) stored.add(row.id);
      // Statements run synchronously on SQLite: let timers and I/O (progress displays, HTTP) in.
      await yieldToEventLoop();
    }
  }
  return stored;
}
