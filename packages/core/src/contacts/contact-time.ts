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

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the years of four digits. */
const FIRST = -62_167_219_200_000;
const LAST = 253_402_300_799_999;
const DAY = 86_400_000;
const TWO = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

/**
 * The ISO 8601 string of a stored value (a number, or PostgreSQL's bigint as a string): exactly
 * `new Date(ms).toISOString()`, computed with integer arithmetic for years 0000-9999 (a page of
 * contacts reads two per contact, and `toISOString` costs several times more).
 */
export function contactTimeIso(value: ContactTime): string {
  const ms = Number(value);
  if (!(ms >= FIRST && ms <= LAST) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY);
  const inDay = ms - days * DAY;
  // The civil date of a day number (days since 1970-01-01), in 400-year eras from 0000-03-01.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(inDay / 3_600_000);
  const minutes = Math.floor(inDay / 60_000) % 60;
  const seconds = Math.floor(inDay / 1000) % 60;
  const millis = inDay % 1000;
  return `${TWO[Math.floor(year / 100)]}${TWO[year % 100]}-${TWO[month]}-${TWO[day]}T${TWO[hours]}:${TWO[minutes]}:${TWO[seconds]}.${millis < 100 ? (millis < 10 ? '00' : '0') : ''}${millis}Z`;
}
