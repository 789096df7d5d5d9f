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

/** Two hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then a 12-bit counter (method 1 of §6.2),
 * then 62 random bits. Ids made by one process are strictly increasing, so ordering by id is
 * ordering by creation, and a B-tree on id takes appends on its right edge. Written digit by
 * digit from a table (no buffer per id: an import makes one per row).
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
  const time = ms.toString(16).padStart(12, '0'); // bytes 0-5
  return `${time.slice(0, 8)}-${time.slice(8)}-${HEX[0x70 | ((sequence >> 8) & 0x0f)]}${HEX[sequence & 0xff]}-${
    HEX[0x80 | (pool[r]! & 0x3f)]
  }${HEX[pool[r + 1]!]}-${HEX[pool[r + 2]!]}${HEX[pool[r + 3]!]}${HEX[pool[r + 4]!]}${HEX[pool[r + 5]!]}${
    HEX[pool[r + 6]!]
  }${HEX[pool[r + 7]!]}`;
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
