import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Bytes on disk (SQLite only; PostgreSQL stores `uuid` since 0023 and is left as it is). A contact
// id was 36 bytes of text in the table and again in its unique index, and in every child row that
// refers to it. From this build on, SQLite stores a canonical contact id (lowercase, hyphenated, as
// uuidv7() makes them) as its 16 raw bytes, a BLOB in the column still declared `text` (TEXT
// affinity converts only numbers), in `roster_contacts.id` and in every `contact_id` that refers to
// it: roster_events, roster_segment_members, roster_contact_topics and roster_contact_consent
// (their foreign keys compare values exactly, so parent and children must agree). Any other id
// text stays TEXT, byte for byte. The bytes of UUIDs sort as their hex text and TEXT sorts before
// BLOB, so seq order stays id order (0024). `roster_outbox.contact_id` is a log of wire ids: text.
//
// In batches of `batch` contacts by `seq`, one transaction each (`begin immediate`), with foreign
// keys deferred to its commit (`defer_foreign_keys` resets at commit): the children of the batch's
// contacts first, then the contacts. Only text that is canonical is converted (checked in SQL:
// length 36, dashes at 9, 14, 19 and 24, lowercase, 16 bytes of hex), so a row already a BLOB is
// skipped. Interrupted, the committed batches stay converted and the next start continues; run
// again after it finished, it changes nothing. No trigger of roster_contacts fires on `id` (they
// watch `subscribed` and `email`), and the substring index is keyed by `seq`: both are undisturbed.
// Existing files keep their size until a VACUUM (the freed bytes are reused by later writes).
export function migration0025SqliteContactIdBlobs(
  dialect: 'sqlite' | 'postgres',
  options: { batch?: number; afterBatch?: (upTo: number) => void | Promise<void> } = {},
): Migration {
  const batch = options.batch ?? 10_000;
  return {
    async up(db: Kysely<any>) {
      if (dialect === 'postgres') return;
      let after = 0;
      while (true) {
        await sql`begin immediate`.execute(db);
        let upTo: number | null;
        try {
          await sql`pragma defer_foreign_keys = on`.execute(db);
          const { rows } = await sql<{ upTo: number | null }>`select max(seq) as upTo from (
              select seq from roster_contacts where seq > ${after} order by seq limit ${batch})`.execute(db);
          upTo = rows[0]?.upTo ?? null;
          if (upTo !== null) {
            const ids = sql`select id from roster_contacts
              where seq > ${after} and seq <= ${upTo} and ${canonical(sql.ref('id'))}`;
            for (const child of CHILDREN) {
              await sql`update ${sql.table(child)} set contact_id = ${bytes(sql.ref('contact_id'))}
                where contact_id in (${ids})`.execute(db);
            }
            await sql`update roster_contacts set id = ${bytes(sql.ref('id'))}
              where seq > ${after} and seq <= ${upTo} and ${canonical(sql.ref('id'))}`.execute(db);
          }
          await sql`commit`.execute(db);
        } catch (error) {
          await sql`rollback`.execute(db);
          throw error;
        }
        if (upTo === null) return;
        after = upTo;
        await options.afterBatch?.(upTo);
      }
    },
  };
}

/** The tables whose `contact_id` refers to `roster_contacts.id` (foreign keys). */
const CHILDREN = [
  'roster_events',
  'roster_segment_members',
  'roster_contact_topics',
  'roster_contact_consent',
] as const;

/** The 16 bytes of a canonical id's text. */
function bytes(column: ReturnType<typeof sql.ref>) {
  return sql`unhex(replace(${column}, '-', ''))`;
}

/** True for TEXT that is a canonical contact id: 36 characters, dashes in place, lowercase hex. */
function canonical(column: ReturnType<typeof sql.ref>) {
  return sql`(typeof(${column}) = 'text' and length(${column}) = 36
    and substr(${column}, 9, 1) = '-' and substr(${column}, 14, 1) = '-'
    and substr(${column}, 19, 1) = '-' and substr(${column}, 24, 1) = '-'
    and lower(${column}) = ${column} and length(${bytes(column)}) = 16)`;
}
