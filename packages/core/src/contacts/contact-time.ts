import type { ContactTime } from '../db/schema.js';

/**
 * The one codec of a contact's times (`roster_contacts.created_at` / `updated_at`): stored as
 * integer milliseconds since the epoch (migration 0022), answered as the ISO 8601 string
 * `toISOString()` gives, exactly the string roster answered when it stored that text. Every read
 * and write of those columns goes through it (the `ContactTime` brand enforces it).
 */

/** The stored value of an instant given as an ISO 8601 string (or a `YYYY-MM-DD` day: its start, UTC). */
export function contactTime(iso: string): ContactTime {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${JSON.stringify(iso)}`);
  return ms as ContactTime;
}

/** The stored value of `date`. */
export function contactTimeOf(date: Date): ContactTime {
  return date.getTime() as ContactTime;
}

/** The ISO 8601 string of a stored value (a number, or PostgreSQL's bigint as a string). */
export function contactTimeIso(value: ContactTime): string {
  return new Date(Number(value)).toISOString();
}
