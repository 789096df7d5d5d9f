import type { Insertable } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import type { ContactProjectKey, ContactsTable } from '../db/schema.js';
import { contactTime } from './contact-time.js';

/** A contact as every insert into `roster_contacts` writes it (data already encoded for the dialect). */
export interface ContactInsert {
  id: string;
  projectId: string;
  email: string;
  subscribed: boolean;
  /** JSON text, or null. */
  data: string | null;
  firstName: string | null;
  lastName: string | null;
  audienceId: string | null;
  /** ISO 8601, as the clock gives it: stored as `contactTime(now)`. */
  now: string;
  /**
   * The project's key (`ContactProjectKey`) when the caller read it once for many rows
   * (`findContactProjectKey`): a subquery per row is planned and run per row on PostgreSQL (a
   * 1 000-row statement then spends more in planning than in writing). Without it the statement
   * reads the key itself (`dialect.contactProject`).
   */
  projectKey?: ContactProjectKey;
}

export type ContactColumn = keyof ContactsTable;

/**
 * The one column table of `roster_contacts` inserts: each column with the value it takes from a
 * `ContactInsert`. Kysely value objects (`contactValues`) and the positional parameters of the
 * compiled import statement (`pushContactParams`, with `placeholderRow` for its SQL) are all
 * generated from it, so placeholders and parameters cannot drift apart.
 */
const CONTACT_COLUMNS: readonly (readonly [
  ContactColumn,
  (row: ContactInsert, dialect: DialectInfo) => unknown,
])[] = [
  ['id', (r, d) => d.contactIdValue(r.id)],
  ['project_id', (r, d) => r.projectKey ?? d.contactProject(r.projectId)],
  ['email', (r) => r.email],
  ['subscribed', (r, d) => d.bool(r.subscribed)],
  ['data', (r) => r.data],
  ['first_name', (r) => r.firstName],
  ['last_name', (r) => r.lastName],
  ['audience_id', (r) => r.audienceId],
  ['created_at', (r) => contactTime(r.now)],
  ['updated_at', (r) => contactTime(r.now)],
];

/** The columns an insert writes, in table order; `omit` leaves some to their stored value or default. */
export function contactColumns(omit: readonly ContactColumn[] = []): (typeof CONTACT_COLUMNS)[number][] {
  return CONTACT_COLUMNS.filter(([name]) => !omit.includes(name));
}

/** The row as a Kysely values object. */
export function contactValues(row: ContactInsert, dialect: DialectInfo) {
  const values: Record<string, unknown> = {};
  for (const [name, value] of CONTACT_COLUMNS) values[name] = value(row, dialect);
  return values as Insertable<ContactsTable>;
}

/**
 * A row of placeholders for compiling a multi-row insert of `columns`: every value becomes a
 * parameter, the project's key included (the rows' `projectKey`).
 */
export function placeholderRow(columns: ReturnType<typeof contactColumns>): Record<string, unknown> {
  return Object.fromEntries(columns.map(([name]) => [name, null]));
}

/**
 * Appends the row's parameters for `columns`, in the same order as `placeholderRow`'s; the row
 * carries its project's key (`projectKey`), which becomes the `project_id` parameter.
 */
export function pushContactParams(
  params: unknown[],
  columns: ReturnType<typeof contactColumns>,
  row: ContactInsert & { projectKey: ContactProjectKey },
  dialect: DialectInfo,
): void {
  for (const [, value] of columns) params.push(value(row, dialect));
}

/**
 * The values object of a one-row insert compiled once (`compiledPerShape`): each column's value is
 * the stand-in `next()` gives, taken in column order, the project's id inside
 * `dialect.contactProject`, the id inside `dialect.newContactId` (SQLite refuses an id behind a
 * stored one: see `insertAheadOfStoredIds`); `pushContactParams` with every column gives the arguments in that order.
 */
export function contactValueSlots(next: () => string, dialect: DialectInfo): Insertable<ContactsTable> {
  const values: Record<string, unknown> = {};
  for (const [name] of CONTACT_COLUMNS)
    values[name] =
      name === 'project_id'
        ? dialect.contactProject(next())
        : name === 'id'
          ? dialect.newContactId(next())
          : next();
  return values as Insertable<ContactsTable>;
}

/** The arguments of a `contactValueSlots` insert: the row's value of every column, in column order. */
export function contactArgs(row: ContactInsert, dialect: DialectInfo): unknown[] {
  // The slot of `project_id` is already inside `dialect.contactProject`: it takes the project's id.
  return CONTACT_COLUMNS.map(([name, value]) =>
    name === 'project_id' ? row.projectId : value(row, dialect),
  );
}
