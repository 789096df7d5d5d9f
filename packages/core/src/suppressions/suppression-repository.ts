import { createHmac, randomBytes } from 'node:crypto';
import { compiledOnce } from '../db/compiled-query.js';
import type { DialectInfo } from '../db/dialect.js';
import type { Db, SuppressionRow, SuppressionSettingsRow } from '../db/schema.js';

/**
 * The SQL of suppressions: the list itself, the per-project settings (the hash key, the bounce
 * webhooks' credentials) and `suppressedEmails`, the check every write of `subscribed` goes through.
 */

/** HMAC-SHA256 of the (normalised) address with the project's key, base64url. */
export function emailHash(hashKey: string, email: string): string {
  return createHmac('sha256', Buffer.from(hashKey, 'base64url')).update(email).digest('base64url');
}

/** Most hashes bound in one `in (...)` list. */
const PER_STATEMENT = 500;

/**
 * Takes the address locks of `emails` (normalised; `all`: every address of the project) until
 * `db`'s transaction ends, where the dialect has them (`DialectInfo.addressLocks`; nothing on
 * SQLite): `exclusive` by a suppression, `shared` by a write of a contact (the suppression gate,
 * and before a contact's row is locked for a write).
 *
 * A suppression takes its lock, then its contact's row. So a write takes its addresses' locks
 * before it locks any contact row, and in one statement per transaction (or `all` at its start):
 * one that held a row while it waited for a lock could wait for a suppression waiting for that row.
 */
export async function lockAddresses(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  emails: readonly string[] | 'all',
  mode: 'shared' | 'exclusive',
): Promise<void> {
  if (!dialect.addressLocks || emails.length === 0) return;
  await dialect.addressLocks.lock(projectId, emails, mode).execute(db);
}

/** The project's settings row (read by every write of `subscribed`: compiled once). */
const selectSettings = compiledOnce<SuppressionSettingsRow, [projectId: string]>(1, (db, projectId) =>
  db.selectFrom('roster_suppression_settings').selectAll().where('project_id', '=', projectId!),
);

export async function findSettings(db: Db, projectId: string): Promise<SuppressionSettingsRow | undefined> {
  return (await selectSettings(db, projectId))[0];
}

/** The project's settings row, created (with a new random hash key) when it has none. */
export async function ensureSettings(
  db: Db,
  projectId: string,
  now: string,
): Promise<SuppressionSettingsRow> {
  await db
    .insertInto('roster_suppression_settings')
    .values({
      project_id: projectId,
      hash_key: randomBytes(32).toString('base64url'),
      resend_secret: null,
      postmark_user: null,
      postmark_password: null,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('project_id').doNothing())
    .execute();
  return (await findSettings(db, projectId))!;
}

export async function updateSettings(
  db: Db,
  projectId: string,
  set: Partial<Pick<SuppressionSettingsRow, 'resend_secret' | 'postmark_user' | 'postmark_password'>>,
  now: string,
): Promise<SuppressionSettingsRow> {
  await ensureSettings(db, projectId, now);
  await db
    .updateTable('roster_suppression_settings')
    .set({ ...set, updated_at: now })
    .where('project_id', '=', projectId)
    .execute();
  return (await findSettings(db, projectId))!;
}

/**
 * The addresses among `emails` (normalised) that the project suppresses. A project that never
 * had a suppression has no settings row: one primary-key read and no hashing.
 */
const selectSuppressed = compiledOnce<{ email_hash: string }, [projectId: string, hash: string]>(
  2,
  (db, projectId, hash) =>
    db
      .selectFrom('roster_suppressions')
      .select('email_hash')
      .where('project_id', '=', projectId!)
      .where('email_hash', '=', hash!),
);

export async function suppressedEmails(
  db: Db,
  projectId: string,
  emails: Iterable<string>,
): Promise<Set<string>> {
  const found = new Set<string>();
  const given = Array.isArray(emails) ? (emails as string[]) : [...emails];
  if (given.length === 0) return found;
  // A project that never suppressed an address has no settings row: nothing to dedupe, hash or
  // read (an import batch asks with 10 000 emails).
  const settings = await findSettings(db, projectId);
  if (!settings) return found;
  const list = [...new Set(given)];
  const byHash = new Map(list.map((email) => [emailHash(settings.hash_key, email), email]));
  const hashes = [...byHash.keys()];
  if (hashes.length === 1) {
    // One address (every single-contact write): one statement compiled once.
    if ((await selectSuppressed(db, projectId, hashes[0]!)).length > 0) found.add(list[0]!);
    return found;
  }
  for (let i = 0; i < hashes.length; i += PER_STATEMENT) {
    const rows = await db
      .selectFrom('roster_suppressions')
      .select('email_hash')
      .where('project_id', '=', projectId)
      .where('email_hash', 'in', hashes.slice(i, i + PER_STATEMENT))
      .execute();
    for (const row of rows) found.add(byHash.get(row.email_hash)!);
  }
  return found;
}

export async function findSuppressionByHash(
  db: Db,
  projectId: string,
  hash: string,
): Promise<SuppressionRow | undefined> {
  return db
    .selectFrom('roster_suppressions')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('email_hash', '=', hash)
    .executeTakeFirst();
}

export async function findSuppressionById(
  db: Db,
  projectId: string,
  id: string,
): Promise<SuppressionRow | undefined> {
  return db
    .selectFrom('roster_suppressions')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Inserts the suppression unless its hash is already listed; returns the stored row either way. */
export async function insertSuppression(
  db: Db,
  row: SuppressionRow,
): Promise<{ row: SuppressionRow; created: boolean }> {
  const inserted = await db
    .insertInto('roster_suppressions')
    .values(row)
    .onConflict((oc) => oc.columns(['project_id', 'email_hash']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  return { row: (await findSuppressionByHash(db, row.project_id, row.email_hash))!, created: false };
}

/** Inserts the suppressions whose hash is not listed yet; returns how many were inserted. */
export async function insertSuppressionsIfNew(db: Db, rows: SuppressionRow[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += PER_STATEMENT) {
    const stored = await db
      .insertInto('roster_suppressions')
      .values(rows.slice(i, i + PER_STATEMENT))
      .onConflict((oc) => oc.columns(['project_id', 'email_hash']).doNothing())
      .returning('id')
      .execute();
    inserted += stored.length;
  }
  return inserted;
}

/** Replaces a listed suppression's address, origin and reason (an erasure overwrites a clear address). */
export async function replaceSuppression(
  db: Db,
  projectId: string,
  id: string,
  set: Pick<SuppressionRow, 'email' | 'origin' | 'reason'>,
): Promise<void> {
  await db
    .updateTable('roster_suppressions')
    .set(set)
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .execute();
}

export async function deleteSuppression(
  db: Db,
  projectId: string,
  id: string,
): Promise<SuppressionRow | undefined> {
  return db
    .deleteFrom('roster_suppressions')
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Newest first (ids are UUIDv7), `limit` rows before `beforeId`, optionally of one origin. */
export async function listSuppressions(
  db: Db,
  projectId: string,
  query: {
    beforeId?: string | undefined;
    afterId?: string | undefined;
    origin?: string | undefined;
    limit: number;
  },
): Promise<SuppressionRow[]> {
  let q = db.selectFrom('roster_suppressions').selectAll().where('project_id', '=', projectId);
  if (query.origin) q = q.where('origin', '=', query.origin as SuppressionRow['origin']);
  if (query.beforeId) q = q.where('id', '<', query.beforeId);
  if (query.afterId) {
    // The page after a cursor in newest-first order is read oldest first, then reversed by the caller.
    return q.where('id', '>', query.afterId).orderBy('id', 'asc').limit(query.limit).execute();
  }
  return q.orderBy('id', 'desc').limit(query.limit).execute();
}
