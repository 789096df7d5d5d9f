import type { Contact } from '../contacts/contact-types.js';
import { dataColumnName, escapeFormula } from './csv-format.js';

/**
 * The writing half of roster's round-trip CSV format; `csv-format.ts` and `csv-records.ts` are the
 * reading half. A file written by `contactsCsv` imports back (`roster import`, `roster.imports`)
 * as the same contacts.
 */

/** Options of the CSV writers. */
export interface CsvWriteOptions {
  /**
   * Neutralise cells a spreadsheet would run as formulas (see `escapeFormula`). Turn it off only
   * for machine consumers that read the values raw (roster's own import reads both).
   * @default true
   */
  escapeFormulas?: boolean;
}

/** RFC 4180 quoting: fields with a comma, quote, line break or edge spaces are quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? csvQuoted(value) : value;
}

/** A field always in quotes, quotes doubled (for formats that quote every cell). */
export function csvQuoted(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** A data value as a CSV cell: strings as they are, anything else as JSON, nothing for null. */
export function csvDataCell(value: unknown, escapeFormulas = true): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return csvField(escapeFormulas ? escapeFormula(text) : text);
}

/**
 * Contacts as roster's CSV, line by line (each ending in `\n`): `email,subscribed` and one column
 * per data key (sorted; `data.<key>` where the key would not read back as itself, see
 * `dataColumnName`). Reads the contacts twice: once for the set of keys, once for the rows, so
 * memory stays flat whatever their number; `contacts` is called once per pass.
 */
export async function* contactsCsv(
  contacts: () => AsyncIterable<Contact>,
  options: CsvWriteOptions = {},
): AsyncGenerator<string> {
  const guard = options.escapeFormulas ?? true;
  const cell = (value: string) => csvField(guard ? escapeFormula(value) : value);
  const keys = new Set<string>();
  for await (const contact of contacts()) {
    for (const key of Object.keys(contact.data ?? {})) keys.add(key);
  }
  const columns = [...keys].sort();
  yield `${['email', 'subscribed', ...columns.map(dataColumnName)].map(cell).join(',')}\n`;
  for await (const contact of contacts()) {
    const data = contact.data ?? {};
    // Own keys only: a column named `toString` or `constructor` must not read Object.prototype's member.
    const value = (k: string) => (Object.hasOwn(data, k) ? data[k] : undefined);
    yield `${[cell(contact.email), String(contact.subscribed), ...columns.map((k) => csvDataCell(value(k), guard))].join(',')}\n`;
  }
}
