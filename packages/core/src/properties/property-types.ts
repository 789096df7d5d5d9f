import type { DialectInfo } from '../db/dialect.js';
import type { ContactPropertyRow } from '../db/schema.js';

/** The types a contact property can be declared with (Resend's). */
export const PROPERTY_TYPES = ['string', 'number'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/**
 * A declared contact property: contacts' values live in their `data` under `key`, and every write
 * that sets `data.<key>` must give a value of `type` (see `checkDataTypes`).
 */
export interface ContactProperty {
  id: string;
  projectId: string;
  key: string;
  type: PropertyType;
  /** The value to use where a contact has none (a value of `type`), or null. Stored, not applied to `data`. */
  fallbackValue: string | number | null;
  createdAt: string;
}

export function rowToProperty(row: ContactPropertyRow, dialect: DialectInfo): ContactProperty {
  return {
    id: row.id,
    projectId: row.project_id,
    key: row.key,
    type: row.type,
    fallbackValue: (dialect.parseJson(row.fallback_value) as string | number | null) ?? null,
    createdAt: row.created_at,
  };
}
