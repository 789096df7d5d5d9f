import { randomBytes } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for any RFC 4122/9562 UUID in its canonical text form (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

const CONTACT_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * True for a contact id as roster stores it: a UUID in lowercase canonical text (`uuidv7()`'s
 * form, and PostgreSQL's for its `uuid` column, migration 0023). Anything else names no contact:
 * check it before an id from outside reaches SQL, since PostgreSQL refuses to compare a `uuid`
 * with text that is not one (an error, not "not found"), and would match an uppercase form that
 * never matched the stored text. Callers that accept uppercase ids lowercase them first.
 */
export function isContactId(value: unknown): value is string {
  return typeof value === 'string' && CONTACT_ID_RE.test(value);
}

let lastMs = -1;
let sequence = 0;
let pool = randomBytes(0);
let poolOffset = 0;

/** Where `n` fresh random bytes start in `pool` (refilled 4 KiB at a time). */
function random(n: number): number {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

/** The two hex digits (as character codes) of each byte value: high digit, low digit. */
const HEX_HIGH = new Uint8Array(256);
const HEX_LOW = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX_HIGH[byte] = digits.charCodeAt(0);
  HEX_LOW[byte] = digits.charCodeAt(1);
}

/** The text of the id being made, dashes in place: read out as one string per id. */
const ID_TEXT = Buffer.alloc(36);
ID_TEXT[8] = ID_TEXT[13] = ID_TEXT[18] = ID_TEXT[23] = 0x2d; // '-'

/** Writes the two hex digits of `byte` at `at` of `ID_TEXT`. */
function putByte(at: number, byte: number): void {
  ID_TEXT[at] = HEX_HIGH[byte]!;
  ID_TEXT[at + 1] = HEX_LOW[byte]!;
}

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then a 12-bit counter (method 1 of §6.2),
 * then 62 random bits. Ids made by one process are strictly increasing, so ordering by id is
 * ordering by creation, and a B-tree on id takes appends on its right edge. Written digit by
 * digit from a table into one reused buffer, then read out as one flat string: an import makes one
 * per row and keeps it until its batch commits, and a string built by concatenation would be a
 * tree of ~15 V8 string pieces (~500 bytes) that survives into the old generation (measured: 28 %
 * of what `roster import` promoted, docs/performance.md).
 */
export function uuidv7(now: number = Date.now()): string {
  let ms = now;
  if (ms <= lastMs) {
    sequence++;
    if (sequence > 0xfff) {
      // Counter exhausted within one millisecond: borrow the next millisecond.
      lastMs++;
      sequence = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    const at = random(2); // may refill the pool: read it after
    sequence = pool.readUInt16BE(at) & 0x3ff; // random start, leaves headroom to count up
  }
  const r = random(8);
  // The 48-bit timestamp as two 24-bit halves (bitwise operators work on 32 bits).
  const high = Math.floor(ms / 0x1000000);
  const low = ms % 0x1000000;
  putByte(0, (high >>> 16) & 0xff);
  putByte(2, (high >>> 8) & 0xff);
  putByte(4, high & 0xff);
  putByte(6, (low >>> 16) & 0xff);
  putByte(9, (low >>> 8) & 0xff);
  putByte(11, low & 0xff);
  putByte(14, 0x70 | ((sequence >> 8) & 0x0f));
  putByte(16, sequence & 0xff);
  putByte(19, 0x80 | (pool[r]! & 0x3f));
  putByte(21, pool[r + 1]!);
  putByte(24, pool[r + 2]!);
  putByte(26, pool[r + 3]!);
  putByte(28, pool[r + 4]!);
  putByte(30, pool[r + 5]!);
  putByte(32, pool[r + 6]!);
  putByte(34, pool[r + 7]!);
  return ID_TEXT.toString('latin1', 0, 36);
}

/**
 * A UUIDv7 greater than `id` (a stored contact id), and the generator moved past it: every id
 * `uuidv7()` makes afterwards in this process is greater too. For writes that must give new rows
 * ids above every stored one (SQLite's contacts, whose rowid order is their id order: see
 * `DialectInfo.contactIdOrder`) when an id was made before another process, or an earlier write
 * of this one, stored a greater one.
 */
export function uuidv7After(id: string, now: number = Date.now()): string {
  const ms = Number.parseInt(`${id.slice(0, 8)}${id.slice(9, 13)}`, 16);
  const counter = Number.parseInt(id.slice(15, 18), 16);
  if (!Number.isFinite(ms) || !Number.isFinite(counter)) throw new Error(`roster: ${id} is not a UUID`);
  if (id[14] === '7' && (ms > lastMs || (ms === lastMs && counter > sequence))) {
    lastMs = ms;
    sequence = counter;
  }
  let next = uuidv7(now);
  if (next <= id) {
    // Not a UUIDv7 (another version or a hand-written id): its millisecond is used up.
    if (ms >= 0xffffffffffff) throw new Error(`roster: no UUIDv7 is greater than ${id}`);
    lastMs = ms;
    sequence = 0xfff;
    next = uuidv7(now);
  }
  return next;
}

/** The value (0-15) of each lowercase hex digit's character code, -1 for every other code. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) HEX_VALUE[digit.toString(16).charCodeAt(0)] = digit;

/**
 * The 16 bytes of a contact id in canonical form (`isContactId`: lowercase, hyphenated), or
 * undefined for any other string. SQLite stores canonical contact ids as these bytes (migration
 * 0025, `DialectInfo.contactIdValue`). One pass over the text, no regular expression.
 */
export function contactIdBytes(id: string): Buffer | undefined {
  if (id.length !== 36) return undefined;
  if (
    id.charCodeAt(8) !== 0x2d ||
    id.charCodeAt(13) !== 0x2d ||
    id.charCodeAt(18) !== 0x2d ||
    id.charCodeAt(23) !== 0x2d
  )
    return undefined;
  const bytes = Buffer.allocUnsafe(16);
  let at = 0;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    const high = HEX_VALUE[id.charCodeAt(i)] ?? -1;
    const low = HEX_VALUE[id.charCodeAt(i + 1)] ?? -1;
    if (high < 0 || low < 0) return undefined;
    bytes[at++] = (high << 4) | low;
  }
  return bytes;
}

/** The text of the id being read back: dashes in place (see `ID_TEXT`, which `uuidv7` owns). */
const READ_TEXT = Buffer.alloc(36);
READ_TEXT[8] = READ_TEXT[13] = READ_TEXT[18] = READ_TEXT[23] = 0x2d; // '-'
/** Where each of the 16 bytes' two digits go in `READ_TEXT`. */
const READ_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * A stored contact id as text: the 16 bytes of a canonical id (SQLite, migration 0025) become its
 * canonical text, a string (PostgreSQL's `uuid`, or a SQLite id that was never canonical) is
 * returned as it is. Digits from a table into one reused buffer, read out as one flat string.
 */
export function contactIdText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array && value.length === 16) {
    for (let i = 0; i < 16; i++) {
      const byte = value[i]!;
      const at = READ_AT[i]!;
      READ_TEXT[at] = HEX_HIGH[byte]!;
      READ_TEXT[at + 1] = HEX_LOW[byte]!;
    }
    return READ_TEXT.toString('latin1', 0, 36);
  }
  throw new Error(`roster: ${String(value)} is not a stored contact id`);
}
