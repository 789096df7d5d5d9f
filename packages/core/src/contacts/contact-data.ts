import { RESERVED_DATA_KEY_NAMES } from '../wire.js';

/**
 * Custom data merge rules (Plunk's): a shallow merge of top-level keys where
 * - a `null` value deletes the key,
 * - an empty string `""` is ignored (the stored value stays),
 * - reserved keys are dropped,
 * - a transient value `{value: ..., persistent: false}` is not stored (Plunk uses it for one-off
 *   template variables); `{value, persistent: true}` and a bare `{value}` are ordinary object
 *   values and are stored as sent, as Plunk stores them,
 * - an empty result is stored and returned as `null`.
 */
export const RESERVED_DATA_KEYS: ReadonlySet<string> = new Set(RESERVED_DATA_KEY_NAMES);

export interface DataPatch {
  /** Keys to set, with their new values (never null, never ""). */
  set: Record<string, unknown>;
  /** Keys to delete. */
  remove: string[];
}

/**
 * True for Plunk's transient form: an object with own keys `value` and `persistent`, the latter
 * exactly `false` (Plunk's `ContactService.mergeContactData` test).
 */
export function isTransientValue(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.hasOwn(value, 'value') &&
    Object.hasOwn(value, 'persistent') &&
    (value as { persistent: unknown }).persistent === false
  );
}

export function toDataPatch(data: Record<string, unknown>): DataPatch {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (RESERVED_DATA_KEYS.has(key) || value === '' || value === undefined || isTransientValue(value))
      continue;
    if (value === null) remove.push(key);
    else set[key] = value;
  }
  return { set, remove };
}

/** Applies a patch to stored data in memory with exactly the rules the database applies. */
export function applyDataPatch(
  stored: Record<string, unknown> | null,
  patch: DataPatch,
): Record<string, unknown> | null {
  const next: Record<string, unknown> = { ...(stored ?? {}) };
  for (const key of patch.remove) delete next[key];
  Object.assign(next, patch.set);
  return Object.keys(next).length > 0 ? next : null;
}

/** Data for a new contact: the patch's values, or null when there are none. */
export function initialData(patch: DataPatch): Record<string, unknown> | null {
  return Object.keys(patch.set).length > 0 ? { ...patch.set } : null;
}

/** The JSON type of a stored data value, as `contacts.dataKeyTypes` reports it. */
export type DataValueType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** One data key of a set of contacts: the JSON types of its values, and whether a string value would not survive a CSV cell. */
export interface DataKeyTypes {
  key: string;
  types: DataValueType[];
  /**
   * Some string value is empty or has leading or trailing whitespace: an import trims cells and
   * reads an empty cell as "no value", so such a string only reads back exactly as JSON.
   */
  untrimmedStrings: boolean;
}

/** The characters `String.prototype.trim` removes (what an import trims from a cell). */
export const TRIMMED_CHARACTERS =
  ' \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
