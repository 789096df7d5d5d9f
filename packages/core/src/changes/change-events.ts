import { sql } from 'kysely';
import { type Contact, rowToContact } from '../contacts/contact-types.js';
import type { DialectInfo } from '../db/dialect.js';
import type { ContactRow, Db } from '../db/schema.js';
import { contactIdText } from '../ids.js';
import { BATCH_TYPE, type OutboxRow } from '../outbox/outbox-repository.js';
import type { ChangeEventType, OutboxBatch } from '../outbox/outbox-types.js';
import type { ChangeEvent } from './change-types.js';

/** Contact ids per `in (...)` read. */
const READ_CHUNK = 500;

async function readContacts(db: Db, dialect: DialectInfo, ids: string[]): Promise<Map<string, Contact>> {
  const found = new Map<string, Contact>();
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    // Contacts of any project: each row brings its project's id (`project_id` is its key).
    const rows = await db
      .selectFrom('roster_contacts')
      .selectAll()
      .select(dialect.contactProjectId(sql.ref('roster_contacts.project_id')).as('project'))
      .where('id', 'in', dialect.contactIdValues(ids.slice(i, i + READ_CHUNK)))
      .execute();
    for (const row of rows)
      found.set(contactIdText(row.id), rowToContact(row as ContactRow, dialect, row.project));
  }
  return found;
}

/**
 * The change events of outbox rows, in order: a single-event row is one event (its id is the
 * row's), a `batch` row is expanded into one event per contact (ids `<row id>_<i>`), its
 * `withContact` groups given the contact as read now through `db` (null if deleted since).
 */
export async function expandOutboxRows(
  db: Db,
  dialect: DialectInfo,
  rows: OutboxRow[],
): Promise<ChangeEvent[]> {
  const wanted = new Set<string>();
  for (const row of rows) {
    if (row.type !== BATCH_TYPE) continue;
    for (const group of (row.data as OutboxBatch).groups) {
      if (group.withContact) for (const id of group.contactIds) wanted.add(id);
    }
  }
  const contacts =
    wanted.size > 0 ? await readContacts(db, dialect, [...wanted]) : new Map<string, Contact>();
  const changes: ChangeEvent[] = [];
  for (const row of rows) {
    if (row.type !== BATCH_TYPE) {
      changes.push({
        id: row.id,
        seq: row.seq,
        index: 0,
        type: row.type as ChangeEventType,
        projectId: row.projectId,
        contactId: row.contactId,
        data: row.data,
        createdAt: row.createdAt,
      });
      continue;
    }
    let index = 0;
    for (const group of (row.data as OutboxBatch).groups) {
      group.contactIds.forEach((contactId, i) => {
        const data: Record<string, unknown> = { ...group.data };
        if (group.emails) data.contact = { id: contactId, email: group.emails[i] };
        else if (group.withContact) data.contact = contacts.get(contactId) ?? null;
        changes.push({
          id: `${row.id}_${index}`,
          seq: row.seq,
          index,
          type: group.type,
          projectId: row.projectId,
          contactId,
          data,
          createdAt: row.createdAt,
        });
        index++;
      });
    }
  }
  return changes;
}

/** The outbox row id and index of a change event's id (`evt_x` or `evt_x_3`). */
export function parseChangeEventId(id: string): { rowId: string; index: number } {
  const match = /^(evt_[0-9a-f]+)(?:_(\d+))?$/.exec(id);
  if (!match) return { rowId: id, index: 0 };
  return { rowId: match[1]!, index: match[2] === undefined ? 0 : Number(match[2]) };
}
