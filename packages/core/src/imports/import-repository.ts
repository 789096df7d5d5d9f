import { CompiledQuery, sql } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../projects/project-repository.js';

/** One contact to upsert from an import batch (emails are unique within a call). */
export interface ImportUpsert {
  id: string;
  email: string;
  /** Undefined: true on insert, unchanged on update. */
  subscribed: boolean | undefined;
  /** Flat data patch of non-empty strings, or null. */
  data: Record<string, string> | null;
}

const COLUMNS = 7;
/** Rows per statement: 7 bind parameters each, well below SQLite's 32766 and Postgres' 65535. */
export const ROWS_PER_STATEMENT = 1000;

const statements = new Map<string, string>();

/**
 * The SQL of a multi-row upsert of `rows` rows, compiled once by Kysely for this dialect and
 * reused (building and compiling a 7000-parameter query per batch costs more than running it).
 */
function upsertSql(db: Db, dialect: DialectInfo, rows: number, setSubscribed: boolean): string {
  const key = `${dialect.name}:${rows}:${setSubscribed}`;
  let text = statements.get(key);
  if (text === undefined) {
    const placeholder = {
      id: '',
      project_id: '',
      email: '',
      subscribed: 0,
      data: null as string | null,
      created_at: '',
      updated_at: '',
    };
    text = db
      .insertInto('roster_contacts')
      .values(Array.from({ length: rows }, () => placeholder))
      .onConflict((oc) =>
        oc.columns(['project_id', 'email']).doUpdateSet({
          data: dialect.mergeJsonColumns(sql.ref('roster_contacts.data'), sql.ref('excluded.data')) as never,
          updated_at: (eb) => eb.ref('excluded.updated_at'),
          ...(setSubscribed ? { subscribed: (eb) => eb.ref('excluded.subscribed') } : {}),
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
 * statements; the database merges `data`. Rows with `subscribed` undefined go into statements
 * that leave `subscribed` alone on update. Returns the stored ids: a row whose own `id` is among
 * them was inserted (a new contact), the others updated an existing one.
 */
export async function upsertImportRows(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  rows: ImportUpsert[],
  now: string,
): Promise<Set<string>> {
  const stored = new Set<string>();
  const groups = [
    rows.filter((r) => r.subscribed !== undefined),
    rows.filter((r) => r.subscribed === undefined),
  ];
  for (const [g, group] of groups.entries()) {
    for (let start = 0; start < group.length; start += ROWS_PER_STATEMENT) {
      const chunk = group.slice(start, start + ROWS_PER_STATEMENT);
      const params: unknown[] = new Array(chunk.length * COLUMNS);
      let p = 0;
      for (const row of chunk) {
        params[p++] = row.id;
        params[p++] = projectId;
        params[p++] = row.email;
        params[p++] = dialect.bool(row.subscribed ?? true);
        params[p++] = row.data === null ? null : JSON.stringify(row.data);
        params[p++] = now;
        params[p++] = now;
      }
      const result = await db.executeQuery<{ id: string }>(
        CompiledQuery.raw(upsertSql(db, dialect, chunk.length, g === 0), params),
      );
      for (const row of result.rows) stored.add(row.id);
    }
  }
  return stored;
}
