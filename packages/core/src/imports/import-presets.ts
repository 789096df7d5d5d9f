import { basename } from 'node:path';
import { RosterError } from '../errors.js';
import { DATA_COLUMN_PREFIX, typedDataHeader } from './csv-format.js';

/**
 * Import presets: how the export files of other tools map onto roster's contacts. A preset (or a
 * `map`) turns the file's header into roster's own typed header (`email`, `subscribed`,
 * `first_name`, `last_name`, `data.<key>[:<type>]`) and each record into cells of that header, so
 * the rest is the ordinary durable CSV import: the same row checks, batches, progress and resume.
 */
export const IMPORT_PRESETS = ['mailchimp', 'listmonk'] as const;
export type ImportPreset = (typeof IMPORT_PRESETS)[number];

/** The section of a Mailchimp audience export a file holds (its three CSVs are named after them). */
export const MAILCHIMP_STATUSES = ['subscribed', 'unsubscribed', 'cleaned'] as const;
export type MailchimpStatus = (typeof MAILCHIMP_STATUSES)[number];

/** The fields a `map` entry may name (besides `data.<key>` and `data.<key>:<type>`, and `skip`). */
export const MAP_FIELDS = ['email', 'firstName', 'lastName', 'subscribed', 'skip'] as const;

/** The largest number of `map` entries. */
export const MAX_IMPORT_MAP_ENTRIES = 200;

/** What a preset import reads with: the preset and/or explicit column mappings. */
export interface ImportMapping {
  preset?: ImportPreset | undefined;
  /** Header name (any case, trimmed) → `email`, `firstName`, `lastName`, `subscribed`, `data.<key>[:<type>]` or `skip`. */
  map?: Record<string, string> | undefined;
  /** Mailchimp: the section of the export this file is (from its name); absent: unknown. */
  mailchimpStatus?: MailchimpStatus | undefined;
}

/** The section of a Mailchimp export a file name names (`cleaned_email_audience_export_….csv`), or undefined. */
export function mailchimpStatusOf(fileName: string): MailchimpStatus | undefined {
  const name = basename(fileName).toLowerCase();
  if (name.includes('cleaned')) return 'cleaned';
  if (name.includes('unsubscribed')) return 'unsubscribed';
  if (name.includes('subscribed')) return 'subscribed';
  return undefined;
}

/** The column plan of a preset import: roster's header, and each record turned into its cells. */
export interface ColumnPlan {
  header: string[];
  /** The header name of the column whose JSON object is spread into `data` (listmonk's attributes). */
  spread?: string;
  transform(record: string[]): string[];
}

/** One output column: its header and how its cell is made from the record. */
interface OutColumn {
  header: string;
  cell: (record: string[]) => string;
}

/** The spread column's header (never a header of roster's own files: it has a type suffix of its own). */
export const SPREAD_HEADER = 'data.*:spread';

/** A header as a data key: lowercased, each run of other characters than a-z, 0-9 and _ as one `_`. */
export function presetDataKey(name: string): string {
  return (
    name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'column'
  );
}

const mapIssue = (message: string) => RosterError.validation([{ field: 'map', message }]);

/** Checks and normalises `map` (keys trimmed and lowercased); `validation_failed` on `map`. */
export function normaliseImportMap(map: unknown): Record<string, string> | undefined {
  if (map === undefined || map === null) return undefined;
  if (typeof map !== 'object' || Array.isArray(map)) throw mapIssue('must be an object of column → field');
  const entries = Object.entries(map as Record<string, unknown>);
  if (entries.length > MAX_IMPORT_MAP_ENTRIES)
    throw mapIssue(`has more than ${MAX_IMPORT_MAP_ENTRIES} entries`);
  const out: Record<string, string> = {};
  for (const [column, field] of entries) {
    const key = column.trim().toLowerCase();
    if (key === '') throw mapIssue('names an empty column');
    if (typeof field !== 'string') throw mapIssue(`"${column}" must map to a field name`);
    const target = field.trim();
    const known = (MAP_FIELDS as readonly string[]).includes(target);
    const data = target.startsWith(DATA_COLUMN_PREFIX) && target.length > DATA_COLUMN_PREFIX.length;
    if (!known && !data) {
      throw mapIssue(
        `"${column}" maps to "${field}": use email, firstName, lastName, subscribed, data.<key>, data.<key>:number|boolean|json or skip`,
      );
    }
    if (key in out) throw mapIssue(`names the column "${column}" twice`);
    out[key] = target;
  }
  const targets = Object.values(out).filter((t) => t !== 'skip' && !t.startsWith(DATA_COLUMN_PREFIX));
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw mapIssue(`maps two columns to ${twice}`);
  return out;
}

/** The roster header a `map` target writes. */
function targetHeader(target: string): string {
  if (target === 'email') return 'email';
  if (target === 'firstName') return 'first_name';
  if (target === 'lastName') return 'last_name';
  if (target === 'subscribed') return 'subscribed';
  return target; // data.<key>[:<type>]
}

const cellAt = (index: number) => (record: string[]) => record[index] ?? '';
const constant = (value: string) => () => value;

/** Mailchimp's TAGS cell: `"Tag A","Tag B"` (or plain comma-separated) as a JSON array of strings. */
export function mailchimpTags(text: string): string {
  const cell = text.trim();
  if (cell === '') return '';
  const quoted = cell.match(/"((?:[^"]|"")*)"/g);
  const tags = quoted
    ? quoted.map((part) => part.slice(1, -1).replace(/""/g, '"').trim())
    : cell.split(',').map((part) => part.trim());
  return JSON.stringify(tags.filter((tag) => tag !== ''));
}

/** listmonk's `name` as first and last name: split at the first run of spaces. */
function splitName(text: string): [string, string] {
  const name = text.trim();
  const at = name.search(/\s/);
  return at === -1 ? [name, ''] : [name.slice(0, at), name.slice(at).trim()];
}

/** listmonk's status: `enabled` subscribed, `blocklisted` unsubscribed, `disabled` (or empty) unchanged. */
function listmonkSubscribed(text: string): string {
  const status = text.trim().toLowerCase();
  if (status === 'enabled') return 'true';
  if (status === 'blocklisted') return 'false';
  if (status === 'disabled' || status === '') return '';
  return text; // the import reports it as an invalid subscribed value
}

/**
 * The column plan of a header under a preset and/or `map`. `map` entries win over the preset; a
 * `map` naming a column the header lacks is `validation_failed` on `map`. Columns neither the
 * preset nor `map` names are data under `presetDataKey(header)` (for a preset) or under their
 * lowercased header (with `map` alone, as a plain import stores them).
 */
export function planColumns(header: string[], mapping: ImportMapping): ColumnPlan {
  const names = header.map((name) => name.trim());
  const lower = names.map((name) => name.toLowerCase());
  const map = mapping.map ?? {};
  for (const column of Object.keys(map)) {
    if (!lower.includes(column)) {
      const shown = names.filter(Boolean).slice(0, 20).join(', ');
      throw mapIssue(
        `names the column "${column}", which the file's header lacks (it has: ${shown || 'nothing'})`,
      );
    }
  }
  const out: OutColumn[] = [];
  let spread: string | undefined;
  const taken = new Set(Object.values(map).map(targetHeader));
  const seenData = new Set<string>();
  const add = (headerName: string, cell: OutColumn['cell']) => {
    if (headerName.startsWith(DATA_COLUMN_PREFIX)) {
      const key = headerName.slice(DATA_COLUMN_PREFIX.length).replace(/:(string|number|boolean|json)$/i, '');
      if (seenData.has(key)) return;
      seenData.add(key);
    }
    out.push({ header: headerName, cell });
  };
  const asData = (key: string) => typedDataHeader(key, 'string');
  for (const [index, name] of lower.entries()) {
    const mapped = map[name];
    if (mapped !== undefined) {
      if (mapped !== 'skip') add(targetHeader(mapped), cellAt(index));
      continue;
    }
    const preset = mapping.preset;
    if (preset === 'listmonk' && name === 'name') {
      if (!taken.has('first_name')) add('first_name', (r) => splitName(r[index] ?? '')[0]);
      if (!taken.has('last_name')) add('last_name', (r) => splitName(r[index] ?? '')[1]);
      continue;
    }
    if (preset === 'listmonk' && name === 'attributes') {
      spread = SPREAD_HEADER;
      add(SPREAD_HEADER, cellAt(index));
      continue;
    }
    if (preset === 'mailchimp' || preset === 'listmonk') {
      // The preset's own column (unless a mapping took its field), else the column goes into data.
      const own = preset === 'mailchimp' ? mailchimpColumn(name) : listmonkColumn(name);
      if (own) {
        if (!taken.has(own.header)) add(own.header, (r) => own.cell(r[index] ?? ''));
        continue;
      }
      add(asData(presetDataKey(name)), cellAt(index));
      continue;
    }
    // `map` alone: the other columns as a plain import reads them (a special name another column took is dropped).
    const special = ['email', 'subscribed', 'first_name', 'last_name'].includes(name);
    if (special) {
      if (!taken.has(name)) add(name, cellAt(index));
      continue;
    }
    if (name !== '') add(asData(name), cellAt(index));
  }
  if (mapping.preset === 'mailchimp' && mapping.mailchimpStatus !== undefined) {
    const status = mapping.mailchimpStatus;
    if (!taken.has('subscribed')) add('subscribed', constant(status === 'subscribed' ? 'true' : 'false'));
    add(asData('mailchimp_status'), constant(status));
  }
  return {
    header: out.map((column) => column.header),
    ...(spread ? { spread } : {}),
    transform: (record) => out.map((column) => column.cell(record)),
  };
}

/** Mailchimp's own columns (lowercased header → roster header and cell). */
function mailchimpColumn(name: string): { header: string; cell: (text: string) => string } | null {
  switch (name) {
    case 'email address':
      return { header: 'email', cell: (t) => t };
    case 'first name':
      return { header: 'first_name', cell: (t) => t };
    case 'last name':
      return { header: 'last_name', cell: (t) => t };
    case 'tags':
      return { header: 'data.tags:json', cell: mailchimpTags };
    case 'member_rating':
      return { header: 'data.member_rating:number', cell: (t) => t };
    default:
      return null;
  }
}

/** listmonk's own columns other than `name` and `attributes`. */
function listmonkColumn(name: string): { header: string; cell: (text: string) => string } | null {
  switch (name) {
    case 'email':
      return { header: 'email', cell: (t) => t };
    case 'status':
      return { header: 'subscribed', cell: listmonkSubscribed };
    case 'uuid':
      return { header: 'data.listmonk_uuid', cell: (t) => t };
    case 'created_at':
      return { header: 'data.listmonk_created_at', cell: (t) => t };
    case 'updated_at':
      return { header: 'data.listmonk_updated_at', cell: (t) => t };
    default:
      return null;
  }
}
