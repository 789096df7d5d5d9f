import { detectDialect } from '../db/dialect.js';
import { projectRows } from '../db/project-rows.js';
import type { ContactTopicRow, Db, TopicRow } from '../db/schema.js';
import type { TopicSubscription } from './topic-types.js';

export async function insertTopic(db: Db, row: TopicRow): Promise<void> {
  await db.insertInto('roster_topics').values(row).execute();
}

/**
 * The project's topics by id: `find`, `list` (newest first, as Resend lists), `count`, `update`, and
 * `delete` (contacts' subscriptions to the topic go with it: foreign key cascade).
 */
export const topicRows = projectRows('roster_topics');

/** The contact's explicit subscriptions. */
export async function listContactTopics(db: Db, contactId: string): Promise<ContactTopicRow[]> {
  return db
    .selectFrom('roster_contact_topics')
    .selectAll()
    .where('contact_id', '=', detectDialect(db).contactIdValue(contactId))
    .execute();
}

/** Sets explicit subscriptions (insert or replace), one statement. */
export async function upsertContactTopics(
  db: Db,
  projectId: string,
  contactId: string,
  items: readonly { topicId: string; subscription: TopicSubscription }[],
  now: string,
): Promise<void> {
  if (items.length === 0) return;
  const stored = detectDialect(db).contactIdValue(contactId);
  await db
    .insertInto('roster_contact_topics')
    .values(
      items.map((item) => ({
        project_id: projectId,
        contact_id: stored,
        topic_id: item.topicId,
        subscription: item.subscription,
        updated_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['contact_id', 'topic_id']).doUpdateSet((eb) => ({
        subscription: eb.ref('excluded.subscription'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** Rows per multi-row write of `upsertTopicsOfContacts` (5 bound values each). */
const CHOICES_PER_STATEMENT = 1000;

/** Sets the same explicit subscriptions for many contacts (an import's `topics`), in chunks. */
export async function upsertTopicsOfContacts(
  db: Db,
  projectId: string,
  contactIds: readonly string[],
  items: readonly { id: string; subscription: TopicSubscription }[],
  now: string,
): Promise<void> {
  if (items.length === 0 || contactIds.length === 0) return;
  const dialect = detectDialect(db);
  const rows = contactIds.flatMap((contactId) =>
    items.map((item) => ({
      project_id: projectId,
      contact_id: dialect.contactIdValue(contactId),
      topic_id: item.id,
      subscription: item.subscription,
      updated_at: now,
    })),
  );
  for (let i = 0; i < rows.length; i += CHOICES_PER_STATEMENT) {
    await db
      .insertInto('roster_contact_topics')
      .values(rows.slice(i, i + CHOICES_PER_STATEMENT))
      .onConflict((oc) =>
        oc.columns(['contact_id', 'topic_id']).doUpdateSet((eb) => ({
          subscription: eb.ref('excluded.subscription'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}
