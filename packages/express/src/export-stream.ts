// The contacts export both `GET /contacts/export` routes stream (Unosend's and roster's own): its
// CSV and JSON bodies, cells and back-pressure.

import {
  type Contact,
  type CsvDataType,
  csvField,
  csvQuoted,
  type Roster,
  typedDataHeader,
  typedDataText,
} from '@roster/core';
import { DATA_COLUMN_PREFIX, escapeFormula } from '@roster/core/internal';
import type { Response } from 'express';
import { toUnosendContact } from './unosend/unosend-format.js';

/** A quoted CSV cell, with a leading `'` where a spreadsheet would run it as a formula. */
export const escapedCell = (value: string): string => csvQuoted(escapeFormula(value));

/** The project's audience names by id, for the CSV's `audience` column. */
export async function audienceNames(roster: Roster, projectId: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const audience of await roster.audiences.list(projectId)) names.set(audience.id, audience.name);
  return names;
}

const CSV_HEADER = ['email', 'first_name', 'last_name', 'subscribed', 'audience', 'created_at'];

/**
 * The columns of this export that an import of it does not store: the audience is chosen with the
 * import's own option, and imported contacts get their own creation time.
 */
export const EXPORT_ONLY_COLUMNS = ['audience', 'created_at'];
const FLUSH_BYTES = 64 * 1024;

/**
 * Streams contacts as Unosend's CSV (`email,first_name,last_name,subscribed,audience,created_at`,
 * every cell quoted, subscribed as Yes/No), followed by one `data.<key>` column per metadata key
 * (strings as they are, other values as JSON), or as `{"data":[...contacts]}`. Reads in batches
 * and respects back-pressure, so memory stays flat however many contacts there are (the CSV reads
 * the contacts twice: once for the metadata keys). The first batch is read before any header is
 * sent, so a bad `audience_id` is still a clean 400. `POST /contacts/import` reads this CSV back
 * as the same contacts (its `audience` and `created_at` columns are not stored as metadata).
 */
export async function streamExport(
  res: Response,
  open: () => AsyncGenerator<Contact, void, undefined>,
  format: 'csv' | 'json',
  cell: (value: string) => string,
  audienceNames: () => Promise<Map<string, string>>,
  /** Typed `data.<key>:<type>` columns (roster's export) instead of reading the contacts for their keys. */
  typedColumns?: () => Promise<{ key: string; type: CsvDataType }[]>,
): Promise<void> {
  const keys = new Set<string>();
  const types = new Map<string, CsvDataType>();
  if (format === 'csv' && typedColumns) {
    for (const { key, type } of await typedColumns()) types.set(key, type);
  } else if (format === 'csv') {
    for await (const contact of open()) for (const key of Object.keys(contact.data ?? {})) keys.add(key);
  }
  const metadataKeys = typedColumns ? [...types.keys()] : [...keys].sort();
  const header = (key: string) =>
    typedColumns ? typedDataHeader(key, types.get(key)!) : `${DATA_COLUMN_PREFIX}${key}`;
  const text = (value: unknown, key: string) =>
    typedColumns ? typedDataText(value, types.get(key)!) : metadataCell(value);
  const contacts = open();
  let next = await contacts.next();
  const names = format === 'csv' ? await audienceNames() : new Map<string, string>();
  const day = new Date().toISOString().slice(0, 10);
  res.status(200);
  if (format === 'csv') {
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="contacts-${day}.csv"`);
  } else {
    res.setHeader('content-type', 'application/json; charset=utf-8');
  }
  let buffer =
    format === 'csv'
      ? [...CSV_HEADER, ...metadataKeys.map((key) => csvField(header(key)))].join(',')
      : '{"data":[';
  let first = true;
  try {
    while (!next.done) {
      const c = next.value;
      if (format === 'csv') {
        buffer += `\n${[
          c.email,
          c.firstName ?? '',
          c.lastName ?? '',
          c.subscribed ? 'Yes' : 'No',
          c.audienceId ? (names.get(c.audienceId) ?? '') : '',
          c.createdAt,
        ]
          .map(cell)
          .concat(metadataKeys.map((key) => cell(text(ownValue(c.data, key), key))))
          .join(',')}`;
      } else {
        buffer += (first ? '' : ',') + JSON.stringify(toUnosendContact(c));
      }
      first = false;
      if (buffer.length >= FLUSH_BYTES) {
        if (!(await write(res, buffer))) return;
        buffer = '';
      }
      next = await contacts.next();
    }
    buffer += format === 'csv' ? '\n' : ']}';
    if (await write(res, buffer)) res.end();
  } finally {
    await contacts.return(undefined);
  }
}

/**
 * `data[key]` when `data` has it as its own key, else undefined: a user-named key (`toString`,
 * `constructor`) must never read the member every object inherits from `Object.prototype`.
 */
function ownValue(data: Record<string, unknown> | null | undefined, key: string): unknown {
  return data && Object.hasOwn(data, key) ? data[key] : undefined;
}

/** A metadata value as cell text: strings as they are, other values as JSON, nothing for null. */
function metadataCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Writes a chunk, waiting for the socket to drain when needed. False if the client went away. */
function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
