import { compiledOnce } from '../db/compiled-query.js';
import type { DialectInfo } from '../db/dialect.js';
import type { Db, StoredContactId } from '../db/schema.js';
import { contactIdText } from '../ids.js';
import type { ContactEvent } from './event-types.js';

const INSERT_CHUNK = 500;

const insertEvent = compiledOnce<unknown, [string, string, StoredContactId, string, string | null, string]>(
  6,
  (db, id, projectId, contactId, name, data, createdAt) =>
    db.insertInto('roster_events').values({
      id: id!,
      project_id: projectId!,
      contact_id: contactId! as StoredContactId,
      name: name!,
      data: data!,
      created_at: createdAt!,
    }),
  { readOnly: false },
);

export async function insertEvents(db: Db, dialect: DialectInfo, events: ContactEvent[]): Promise<void> {
  if (events.length === 1) {
    // One event (every `track`): one statement compiled once.
    const [e] = events as [ContactEvent];
    await insertEvent(
      db,
      e.id,
      e.projectId,
      dialect.contactIdValue(e.contactId),
      e.name,
      dialect.json(e.data),
      e.createdAt,
    );
    return;
  }
  for (let i = 0; i < events.length; i += INSERT_CHUNK) {
    await db
      .insertInto('roster_events')
      .values(
        events.slice(i, i + INSERT_CHUNK).map((e) => ({
          id: e.id,
          project_id: e.projectId,
          contact_id: dialect.contactIdValue(e.contactId),
          name: e.name,
          data: dialect.json(e.data),
          created_at: e.createdAt,
        })),
      )
      .execute();
  }
}

/** A contact's events, newest first. */
export async function listContactEvents(
  db: Db,
  dialect: DialectInfo,
  query: { projectId: string; contactId: string; name?: string; limit: number },
): Promise<ContactEvent[]> {
  let q = db
    .selectFrom('roster_events')
    .selectAll()
    .where('project_id', '=', query.projectId)
    .where('contact_id', '=', dialect.contactIdValue(query.contactId));
  if (query.name) q = q.where('name', '=', query.name);
  const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    projectId: row.project_id,
    contactId: contactIdText(row.contact_id),
    name: row.name,
    data: dialect.parseJson(row.data) as Record<string, unknown> | null,
    createdAt: row.created_at,
  }));
}
