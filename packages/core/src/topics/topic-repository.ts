import type { Updateable } from 'kysely';
import {
  countProjectRows,
  deleteProjectRow,
  findProjectRow,
  listProjectRows,
  updateProjectRow,
} from '../db/project-rows.js';
import type { ContactTopicRow, Db, TopicRow, TopicsTable } from '../db/schema.js';
import type { TopicSubscription } from './topic-types.js';

export async function insertTopic(db: Db, row: TopicRow): Promise<void> {
  await db.insertInto('roster_topics').values(row).execute();
}

export async function findTopic(db: Db, projectId: string, id: string): Promise<TopicRow | undefined> {
  return findProjectRow(db, 'roster_topics', projectId, id);
}

/** Every topic of the project, newest first (as Resend lists). */
export async function listTopics(db: Db, projectId: string): Promise<TopicRow[]> {
  return listProjectRows(db, 'roster_topics', projectId);
}

export async function countTopics(db: Db, projectId: string): Promise<number> {
  return countProjectRows(db, 'roster_topics', projectId);
}

export async function updateTopic(
  db: Db,
  projectId: string,
  id: string,
  changes: Updateable<TopicsTable>,
): Promise<TopicRow | undefined> {
  return updateProjectRow(db, 'roster_topics', projectId, id, changes);
}

/** Deletes the topic; contacts' subscriptions to it go with it (foreign key cascade). */
export async function deleteTopic(db: Db, projectId: string, id: string): Promise<boolean> {
  return deleteProjectRow(db, 'roster_topics', projectId, id);
}

/** The contact's explicit subscriptions. */
export async function listContactTopics(db: Db, contactId: string): Promise<ContactTopicRow[]> {
  return db.selectFrom('roster_contact_topics').selectAll().where('contact_id', '=', contactId).execute();
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
  await db
    .insertInto('roster_contact_topics')
    .values(
      items.map((item) => ({
        project_id: projectId,
        contact_id: contactId,
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
