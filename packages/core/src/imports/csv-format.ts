import { parse } from 'csv-parse/sync';
import { type DataKeyTypes, RESERVED_DATA_KEYS } from '../contacts/contact-data.js';
import { clipText, RosterError } from '../errors.js';
import { CSV_DATA_TYPES } from '../wire.js';

/** The delimiters roster recognises: comma, and the semicolon and tab of spreadsheet exports. */
export const CSV_DELIMITERS = [',', ';', '\t'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

/** The largest single CSV record accepted (an unclosed quote must not swallow the whole file). */
export const MAX_CSV_RECORD_BYTES = 1024 * 1024;

/** How many bytes of a file are looked at to find its header line. */
export const HEADER_SNIFF_BYTES = 64 * 1024;

/** The text of the first line (without BOM and line break), or null if there is no complete line in `head`. */
export function headerLine(head: Uint8Array, complete: boolean): string | null {
  let text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const end = text.search(/\r|\n/);
  if (end === -1) return complete ? text : null;
  return text.slice(0, end);
}

/** The delimiter used most often outside quotes in the header line; comma on a tie or when absent. */
export function sniffDelimiter(line: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>(CSV_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char as CsvDelimiter)) {
      counts.set(char as CsvDelimiter, counts.get(char as CsvDelimiter)! + 1);
    }
  }
  let best: CsvDelimiter = ',';
  for (const d of CSV_DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/** Where each column goes. */
export interface CsvColumns {
  email: number;
  /** -1 when there is no `subscribed` column. */
  subscribed: number;
  /** The `subscribed` column holds the inverse (Resend's `unsubscribed`). */
  invertSubscribed?: boolean;
  /** The contact's first name (`first_name`, `firstName`, `first name`); -1 when there is none. */
  firstName: number;
  /** The contact's last name (`last_name`, `lastName`, `last name`); -1 when there is none. */
  lastName: number;
  /**
   * Columns stored in `data`, under their trimmed, lowercased header (`data.<key>` columns: under
   * `<key>`, its case kept). Each key once: the first column with that key. `type` is set for
   * the typed `data.<key>:<type>` columns of an import with `typedColumns` (not for strings).
   */
  data: { index: number; key: string; type?: Exclude<CsvDataType, 'string'>; header?: string }[];
  /** A column whose cells are JSON objects spread into `data` (an import preset's); -1 when none. */
  spread?: number;
}

/** Header names (trimmed, lowercased) that fill the contact's names instead of `data`. */
const FIRST_NAME_HEADERS = new Set(['first_name', 'firstname', 'first name']);
const LAST_NAME_HEADERS = new Set(['last_name', 'lastname', 'last name']);

/** The prefix that sends a column into `data` whatever its name (`data.email` → data key `email`), as `roster export` writes it. */
export const DATA_COLUMN_PREFIX = 'data.';

/**
 * True if a data key would be read back by an import as something else than data (with
 * `nameColumns`, also the name spellings).
 */
export function isSpecialColumnName(name: string, nameColumns = true): boolean {
  const lower = name.trim().toLowerCase();
  return (
    lower === 'email' ||
    lower === 'subscribed' ||
    (nameColumns && (FIRST_NAME_HEADERS.has(lower) || LAST_NAME_HEADERS.has(lower)))
  );
}

/**
 * The CSV column under which a data key is read back as that same key: the key itself when an
 * import maps that header to it, else `data.<key>` (a key that is not already trimmed and
 * lowercase, that names another column such as `email`, or that starts with `data.`).
 */
export function dataColumnName(key: string): string {
  const plain = key === key.trim().toLowerCase() && key !== '' && !isSpecialColumnName(key);
  return plain && !key.startsWith(DATA_COLUMN_PREFIX) ? key : `${DATA_COLUMN_PREFIX}${key}`;
}

/**
 * Maps a header row: names are trimmed and `email` / `subscribed` matched case-insensitively, and
 * with `nameColumns` (Unosend imports: its contacts have names) also the name columns (the first
 * such column counts, repeats are ignored); every other named column goes into `data` under its
 * lowercased name, as Plunk does (`data.<key>` under `<key>`, case kept); when two columns give
 * the same key, the first counts. Without `nameColumns` (Plunk imports, the CLI) a `firstName`
 * column is data like any other, as Plunk stores it. No email column is a `validation_failed`
 * error on the field `file`. `emailColumn` (any case) names the column to read emails from
 * instead of `email` (a column named `email` is then ignored: `email` is a reserved data key); none such is `validation_failed` on
 * `emailColumn`. With `typedColumns` (roster's own import) a `data.<key>:<type>` header is read
 * as a typed column of `<key>` (see `parseTypedDataKey`).
 */
export function mapHeader(
  header: string[],
  nameColumns = false,
  skipColumns: readonly string[] = [],
  emailColumn?: string,
  typedColumns = false,
  spreadHeader?: string,
): CsvColumns {
  const names = header.map((name) => unescapeFormula(name.trim()));
  const lower = names.map((name) => name.toLowerCase());
  const chosen = emailColumn?.trim().toLowerCase();
  const email = lower.indexOf(chosen ?? 'email');
  if (email === -1 && chosen !== undefined) {
    const shown = names.filter(Boolean).slice(0, 20).join(', ');
    throw new RosterError(
      'validation_failed',
      `The CSV file has no column "${emailColumn}" to read emails from (its header is: ${shown || 'empty'})`,
      {
        issues: [{ field: 'emailColumn', message: `names no column of the header line ("${emailColumn}")` }],
      },
    );
  }
  if (email === -1) {
    const shown = names
      .filter(Boolean)
      .slice(0, 20)
      .map((name) => clipText(name, 100))
      .join(', ');
    throw new RosterError(
      'validation_failed',
      `The CSV file has no email column (its header is: ${shown || 'empty'})`,
      { issues: [{ field: 'file', message: 'has no email column in its header line' }] },
    );
  }
  const subscribed = lower.indexOf('subscribed');
  const spread = spreadHeader === undefined ? -1 : lower.indexOf(spreadHeader.toLowerCase());
  const firstName = nameColumns ? lower.findIndex((name) => FIRST_NAME_HEADERS.has(name)) : -1;
  const lastName = nameColumns ? lower.findIndex((name) => LAST_NAME_HEADERS.has(name)) : -1;
  const data: CsvColumns['data'] = [];
  const seen = new Set<string>();
  names.forEach((name, index) => {
    const prefixed = lower[index]!.startsWith(DATA_COLUMN_PREFIX) && name.length > DATA_COLUMN_PREFIX.length;
    if (index === email || index === spread) return;
    if (!prefixed && isSpecialColumnName(name, nameColumns)) return;
    if (!prefixed && skipColumns.includes(lower[index]!)) return;
    // Plunk lowercases header names; `data.<key>` (roster's export) keeps the key's case.
    let key = prefixed ? name.slice(DATA_COLUMN_PREFIX.length) : lower[index]!;
    let type: CsvDataType = 'string';
    if (prefixed && typedColumns) ({ key, type } = parseTypedDataKey(key));
    if (key === '' || RESERVED_DATA_KEYS.has(key) || seen.has(key)) return;
    seen.add(key); // a repeated key: the first column counts
    data.push(type === 'string' ? { index, key } : { index, key, type, header: name });
  });
  return { email, subscribed, firstName, lastName, data, ...(spread === -1 ? {} : { spread }) };
}

/** A column map's fields as the header mapping names them (`columnMap.<field>`). */
export interface HeaderColumnMap {
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  unsubscribed?: string | undefined;
  properties?:
    | Record<string, { column: string; type?: 'string' | 'number' | 'boolean' | undefined }>
    | undefined;
}

/**
 * Maps a header row by a column map (Resend's imports, see `ImportColumnMap`): each named column
 * (any case, trimmed) must exist (`validation_failed` naming `columnMap.<field>`, or
 * `columnMap.properties.<key>.column`); an absent field is read from its usual column (`email`,
 * the name spellings, `unsubscribed`, read inverted). With `properties`, only those columns are
 * stored, each as its key and type; without it every other named column is stored under its
 * lowercased header, as `mapHeader` does.
 */
export function mapColumnMap(header: string[], map: HeaderColumnMap): CsvColumns {
  const names = header.map((name) => unescapeFormula(name.trim()));
  const lower = names.map((name) => name.toLowerCase());
  const shown = () =>
    names
      .filter(Boolean)
      .slice(0, 20)
      .map((name) => clipText(name, 100))
      .join(', ') || 'empty';
  const noColumn = (field: string, column: string) =>
    new RosterError(
      'validation_failed',
      `The CSV file has no column "${clipText(column, 100)}" (its header is: ${shown()})`,
      { issues: [{ field, message: `names no column of the header line ("${clipText(column, 100)}")` }] },
    );
  const find = (field: string, column: string | undefined, usual: ReadonlySet<string>): number => {
    if (column === undefined) return lower.findIndex((name) => usual.has(name));
    const at = lower.indexOf(column.trim().toLowerCase());
    if (at === -1) throw noColumn(`columnMap.${field}`, column);
    return at;
  };
  const email = find('email', map.email, new Set(['email']));
  if (email === -1) {
    throw new RosterError(
      'validation_failed',
      `The CSV file has no email column (its header is: ${shown()})`,
      { issues: [{ field: 'file', message: 'has no email column in its header line' }] },
    );
  }
  const firstName = find('firstName', map.firstName, FIRST_NAME_HEADERS);
  const lastName = find('lastName', map.lastName, LAST_NAME_HEADERS);
  const unsubscribed = find('unsubscribed', map.unsubscribed, new Set(['unsubscribed']));
  const data: CsvColumns['data'] = [];
  if (map.properties) {
    for (const [key, { column, type }] of Object.entries(map.properties)) {
      const index = lower.indexOf(column.trim().toLowerCase());
      if (index === -1) throw noColumn(`columnMap.properties.${key}.column`, column);
      data.push(
        type === undefined || type === 'string'
          ? { index, key }
          : { index, key, type, header: names[index]! },
      );
    }
  } else {
    const used = new Set([email, firstName, lastName, unsubscribed]);
    const seen = new Set<string>();
    lower.forEach((key, index) => {
      if (used.has(index) || key === '' || RESERVED_DATA_KEYS.has(key) || seen.has(key)) return;
      if (key === 'subscribed' || FIRST_NAME_HEADERS.has(key) || LAST_NAME_HEADERS.has(key)) return;
      seen.add(key);
      data.push({ index, key });
    });
  }
  return { email, subscribed: unsubscribed, invertSubscribed: true, firstName, lastName, data };
}

/** Parses a header line on its own (for the check at upload); null if it cannot be parsed alone. */
export function parseHeaderLine(line: string, delimiter: CsvDelimiter): string[] | null {
  try {
    const rows = parse(line, { delimiter, relax_column_count: true }) as string[][];
    return rows[0] ?? [];
  } catch {
    return null;
  }
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** `true/1/yes` → true, `false/0/no` → false (any case), empty → undefined, anything else → null. */
export function parseSubscribedCell(value: string | undefined): boolean | undefined | null {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '') return undefined;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return null;
}

/** Line breaks inside a record's fields (to number the lines of the rows that follow). */
export function countLineBreaks(record: string[]): number {
  let n = 0;
  for (const field of record) {
    if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
    n += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  }
  return n;
}

/**
 * CSV formula injection (OWASP): a spreadsheet runs a cell starting with `=`, `+`, `-`, `@`, tab or
 * CR as a formula. Such cells are written with a leading `'`, which spreadsheets show as text. A
 * value already starting with `'`s before one of those characters gets one more, so roster's import
 * (which removes one `'` before them, see `unescapeFormula`) reads back exactly what was exported.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const ESCAPED_FORMULA_START = /^'+[=+\-@\t\r]/;

/** A cell value made safe to open in a spreadsheet (see `FORMULA_START`). */
export function escapeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The inverse of `escapeFormula`, applied by roster's CSV import to every cell and header name. */
export function unescapeFormula(value: string): string {
  return value.charCodeAt(0) === 39 && ESCAPED_FORMULA_START.test(value) ? value.slice(1) : value;
}

// ---- typed data columns (roster's own export and import) ----------------------------------------

/**
 * The type of a `data.<key>` column in roster's own CSV (`GET /roster/contacts/export`, read back
 * by `POST /roster/imports`), written as a suffix of its header: `data.seats:number`,
 * `data.vip:boolean`, `data.tags:json`. A column without a suffix (or with `:string`) holds
 * strings. Only imports with `typedColumns` read the suffix; the others (Plunk, Unosend, the CLI)
 * keep `seats:number` as the data key, as before.
 */
export { CSV_DATA_TYPES };
export type CsvDataType = (typeof CSV_DATA_TYPES)[number];

/**
 * The column type a key is exported with: `string`, `number` or `boolean` when every value has
 * that one type (strings only if none is empty or padded with spaces), else `json` (objects,
 * arrays, null, mixed types, and strings a plain cell cannot carry).
 */
export function csvDataType(key: Pick<DataKeyTypes, 'types' | 'untrimmedStrings'>): CsvDataType {
  if (key.types.length !== 1) return 'json';
  const [type] = key.types;
  if (type === 'string') return key.untrimmedStrings ? 'json' : 'string';
  return type === 'number' || type === 'boolean' ? type : 'json';
}

/**
 * The header of a typed data column: `data.<key>` for strings, else `data.<key>:<type>`. A string
 * key that itself ends in a type suffix (`seats:number`) is written `data.seats:number:string` so
 * it reads back as that key.
 */
export function typedDataHeader(key: string, type: CsvDataType): string {
  const name = `${DATA_COLUMN_PREFIX}${key}`;
  if (type !== 'string') return `${name}:${type}`;
  return typeSuffixOf(key) === null ? name : `${name}:string`;
}

/** The type named by a header's last `:<type>` suffix, or null. */
function typeSuffixOf(name: string): CsvDataType | null {
  const at = name.lastIndexOf(':');
  if (at === -1) return null;
  const suffix = name.slice(at + 1).toLowerCase();
  return (CSV_DATA_TYPES as readonly string[]).includes(suffix) ? (suffix as CsvDataType) : null;
}

/**
 * A `data.` header's key and type, the inverse of `typedDataHeader`: the last `:string`,
 * `:number`, `:boolean` or `:json` (any case) is the type and is not part of the key; without one
 * the column holds strings. `name` is the header after the `data.` prefix.
 */
export function parseTypedDataKey(name: string): { key: string; type: CsvDataType } {
  const type = typeSuffixOf(name);
  if (type === null) return { key: name, type: 'string' };
  return { key: name.slice(0, name.lastIndexOf(':')), type };
}

/** The text of a data value in a typed column: strings as they are, other types as JSON, nothing for no value. */
export function typedDataText(value: unknown, type: CsvDataType): string {
  if (value === undefined) return '';
  if (type === 'string' && typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** A JSON number (what `JSON.stringify` writes for a finite number). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Reads a non-empty, trimmed cell of a typed column: `number` a JSON number, `boolean` `true` or
 * `false` (any case: spreadsheets write `TRUE`), `json` any JSON value (`null` included). Gives
 * the value, or the problem to report for the row.
 */
export function parseTypedCell(
  text: string,
  type: Exclude<CsvDataType, 'string'>,
): { value: unknown } | { problem: string } {
  if (type === 'number') {
    const n = JSON_NUMBER.test(text) ? Number(text) : Number.NaN;
    return Number.isFinite(n) ? { value: n } : { problem: 'is not a number' };
  }
  if (type === 'boolean') {
    const lower = text.toLowerCase();
    if (lower === 'true' || lower === 'false') return { value: lower === 'true' };
    return { problem: 'is not true or false' };
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { problem: 'is not valid JSON' };
  }
}
