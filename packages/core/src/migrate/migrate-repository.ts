import type { DialectInfo } from '../db/dialect.js';
import { contactProjectOf, detectDialect } from '../db/dialect.js';
import type { ContactRow, Db, MigrationCheckpointRow } from '../db/schema.js';
import { contactIdText } from '../ids.js';

/**
 * The SQL of `roster migrate`: its checkpoints, the reads that compare a page with the target, and
 * the removal of a finished migration job's sealed provider key.
 */

/** Largest `IN (...)` list of one statement (a source page is at most a few hundred contacts). */
const PER_STATEMENT = 500;

async function perChunk<T, R>(items: T[], statement: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PER_STATEMENT) {
    out.push(...(await statement(items.slice(i, i + PER_STATEMENT))));
  }
  return out;
}

export async function findCheckpoint(
  db: Db,
  projectId: string,
  source: string,
): Promise<MigrationCheckpointRow | undefined> {
  return db
    .selectFrom('roster_migration_checkpoints')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('source', '=', source)
    .executeTakeFirst();
}

/** Inserts or replaces the checkpoint of (project, source). */
export async function saveCheckpoint(
  db: Db,
  row: Omit<MigrationCheckpointRow, 'created_at'> & { created_at?: string },
): Promise<void> {
  await db
    .insertInto('roster_migration_checkpoints')
    .values({ ...row, created_at: row.created_at ?? row.updated_at })
    .onConflict((oc) =>
      oc.columns(['project_id', 'source']).doUpdateSet({
        state: row.state,
        position: row.position,
        counts: row.counts,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

/** The project's contacts with these (normalised) emails, whole rows; unknown emails are absent. */
export async function contactsByEmail(db: Db, projectId: string, emails: string[]): Promise<ContactRow[]> {
  return perChunk(emails, (chunk) =>
    db
      .selectFrom('roster_contacts')
      .selectAll()
      .where('project_id', '=', contactProjectOf(projectId))
      .where('email', 'in', chunk)
      .execute(),
  );
}

/** The STATIC segment memberships (segment ids) of these contacts. */
export async function membershipsOf(
  db: Db,
  contactIds: string[],
): Promise<{ contact_id: string; segment_id: string }[]> {
  return perChunk(contactIds, (chunk) =>
    db
      .selectFrom('roster_segment_members')
      .select(['contact_id', 'segment_id'])
      .where('contact_id', 'in', detectDialect(db).contactIdValues(chunk))
      .where('exited_at', 'is', null)
      .execute()
      .then((rows) => rows.map((row) => ({ ...row, contact_id: contactIdText(row.contact_id) }))),
  );
}

/** The explicit topic subscriptions of these contacts. */
export async function topicChoicesOf(
  db: Db,
  contactIds: string[],
): Promise<{ contact_id: string; topic_id: string; subscription: string }[]> {
  return perChunk(contactIds, (chunk) =>
    db
      .selectFrom('roster_contact_topics')
      .select(['contact_id', 'topic_id', 'subscription'])
      .where('contact_id', 'in', detectDialect(db).contactIdValues(chunk))
      .execute()
      .then((rows) => rows.map((row) => ({ ...row, contact_id: contactIdText(row.contact_id) }))),
  );
}

/** Replaces a migration job's payload (with its sealed key removed), in the transaction that finishes it. */
export async function forgetProviderKey(
  db: Db,
  dialect: DialectInfo,
  jobId: string,
  payload: Record<string, unknown>,
): Promise<void> {
  await db
    .updateTable('roster_jobs')
    .set({ payload: dialect.json(payload) })
    .where('id', '=', jobId)
    .execute();
}
