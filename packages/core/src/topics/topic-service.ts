import type { Updateable } from 'kysely';
import { isoNow } from '../clock.js';
import { currentChangeSource, sourceData } from '../consent/change-source.js';
import { findContact, findContactForWrite } from '../contacts/contact-repository.js';
import { rowToContact } from '../contacts/contact-types.js';
import { nameDescriptionChanges } from '../db/project-rows.js';
import type { TopicRow, TopicsTable } from '../db/schema.js';
import { clipText, orNotFound, RosterError } from '../errors.js';
import { insertEvents } from '../events/event-repository.js';
import { contactIdText, isUuid, uuidv7 } from '../ids.js';
import { recordChanges } from '../outbox/outbox-writes.js';
import { segmentsOfProject } from '../segments/segment-repository.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import * as repo from './topic-repository.js';
import {
  type CreateTopicInput,
  createTopicSchema,
  MAX_TOPICS,
  type SetContactTopicsInput,
  setContactTopicsSchema,
  type UpdateTopicInput,
  updateTopicSchema,
} from './topic-schemas.js';
import {
  type ContactTopic,
  rowToTopic,
  type Topic,
  type TopicChange,
  type TopicSubscription,
} from './topic-types.js';

export type TopicService = ReturnType<typeof createTopicService>;

/**
 * Topics of a project (Resend's topics) and each contact's subscription to them: an explicit
 * `opt_in` / `opt_out`, else the topic's `defaultSubscription`.
 */
export function createTopicService(deps: ServiceDeps) {
  const { db, dialect, clock } = deps;

  async function getRow(projectId: string, id: string): Promise<TopicRow> {
    return orNotFound(
      isUuid(id) ? await repo.topicRows.find(db, projectId, id.toLowerCase()) : undefined,
      'topic',
    );
  }

  function effective(
    topics: readonly TopicRow[],
    explicit: ReadonlyMap<string, TopicSubscription>,
  ): ContactTopic[] {
    return topics.map((t) => {
      const own = explicit.get(t.id);
      return {
        id: t.id,
        name: t.name,
        description: t.description,
        subscription: own ?? t.default_subscription,
        explicit: own !== undefined,
      };
    });
  }

  async function explicitOf(contactId: string, trx = db): Promise<Map<string, TopicSubscription>> {
    const rows = await repo.listContactTopics(trx, contactId);
    return new Map(rows.map((r) => [r.topic_id, r.subscription]));
  }

  return {
    /** Creates a topic (`validation_failed` naming the field; `conflict` past `MAX_TOPICS` topics). */
    async create(projectId: string, input: CreateTopicInput): Promise<Topic> {
      const parsed = parseInput(createTopicSchema, input);
      const now = isoNow(clock);
      const row: TopicRow = {
        id: uuidv7(),
        project_id: projectId,
        name: parsed.name,
        description: parsed.description ?? null,
        default_subscription: parsed.defaultSubscription,
        visibility: parsed.visibility ?? 'private',
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (trx) => {
        if ((await repo.topicRows.count(trx, projectId)) >= MAX_TOPICS) {
          throw RosterError.conflict('topic', `a project has at most ${MAX_TOPICS} topics`);
        }
        await repo.insertTopic(trx, row);
      });
      return rowToTopic(row);
    },

    /** The topic (`not_found` when the project has no such topic). */
    async get(projectId: string, id: string): Promise<Topic> {
      return rowToTopic(await getRow(projectId, id));
    },

    /** Every topic of the project, newest first (at most `MAX_TOPICS`). */
    async list(projectId: string): Promise<Topic[]> {
      return (await repo.topicRows.list(db, projectId)).map(rowToTopic);
    },

    /** Changes `name`, `description` or `visibility`; `defaultSubscription` is fixed. */
    async update(projectId: string, id: string, input: UpdateTopicInput): Promise<Topic> {
      const parsed = parseInput(updateTopicSchema, input);
      const current = await getRow(projectId, id);
      const changes: Updateable<TopicsTable> = nameDescriptionChanges(parsed, isoNow(clock));
      if (parsed.visibility !== undefined) changes.visibility = parsed.visibility;
      return rowToTopic(orNotFound(await repo.topicRows.update(db, projectId, current.id, changes), 'topic'));
    },

    /**
     * Deletes the topic and every contact's subscription to it. Refused (`conflict`) while a
     * segment's filter names it (`topic.<id>`): that segment could no longer be evaluated.
     */
    async delete(projectId: string, id: string): Promise<void> {
      const row = await getRow(projectId, id);
      await db.transaction().execute(async (trx) => {
        const users = (await segmentsOfProject(trx, projectId)).filter(
          (segment) => segment.type === 'DYNAMIC' && namesTopic(dialect.parseJson(segment.condition), row.id),
        );
        if (users.length > 0) {
          const names = users.map((segment) => `"${segment.name}" (${segment.id})`).join(', ');
          throw RosterError.conflict(
            'topic',
            `Topic ${row.id} is used by the filter of segment ${clipText(names, 300)}: change or delete the segment first`,
          );
        }
        if (!(await repo.topicRows.delete(trx, projectId, row.id))) throw RosterError.notFound('topic');
      });
    },

    /**
     * Every topic of the project with the contact's effective subscription (its own choice, else
     * the topic's default), newest topic first: Resend's `GET /contacts/{id}/topics`.
     */
    async contactTopics(projectId: string, contactId: string): Promise<ContactTopic[]> {
      const contact = isUuid(contactId)
        ? await findContact(db, dialect, projectId, contactId.toLowerCase())
        : undefined;
      if (!contact) throw RosterError.notFound('contact');
      return effective(await repo.topicRows.list(db, projectId), await explicitOf(contactIdText(contact.id)));
    },

    /**
     * Sets the contact's explicit subscriptions to the named topics (others keep theirs) and returns
     * every topic as `contactTopics` does. When an effective subscription changed, records
     * `contact.updated` with `changed: ['topics']`, `previous.topics` and `topics` (the changes), in
     * the same transaction. An unknown topic is `validation_failed` naming `[i].id`.
     */
    async setContactTopics(
      projectId: string,
      contactId: string,
      input: SetContactTopicsInput,
    ): Promise<ContactTopic[]> {
      const items = parseInput(setContactTopicsSchema, input);
      const source = currentChangeSource();
      const id = isUuid(contactId) ? contactId.toLowerCase() : undefined;
      const result = await db.transaction().execute(async (trx) => {
        const contactRow = id ? await findContactForWrite(trx, dialect, projectId, { id }) : undefined;
        if (!contactRow) throw RosterError.notFound('contact');
        const topics = await repo.topicRows.list(trx, projectId);
        const byId = new Map(topics.map((t) => [t.id, t]));
        const issues = items.flatMap((item, i) =>
          isUuid(item.id) && byId.has(item.id.toLowerCase())
            ? []
            : [{ field: `${i}.id`, message: `topic ${item.id} does not exist in this project` }],
        );
        if (issues.length > 0) throw RosterError.validation(issues);
        const before = await explicitOf(contactIdText(contactRow.id), trx);
        const now = isoNow(clock);
        await repo.upsertContactTopics(
          trx,
          projectId,
          contactIdText(contactRow.id),
          items.map((item) => ({ topicId: item.id.toLowerCase(), subscription: item.subscription })),
          now,
        );
        const after = new Map(before);
        for (const item of items) after.set(item.id.toLowerCase(), item.subscription);
        const previous = effective(topics, before);
        const current = effective(topics, after);
        const changes: TopicChange[] = [];
        current.forEach((topic, i) => {
          const was = previous[i]!.subscription;
          if (topic.subscription !== was) {
            changes.push({ id: topic.id, name: topic.name, subscription: topic.subscription, previous: was });
          }
        });
        if (changes.length > 0) {
          // The consent record: which topics changed, by which path (and client), as an event of the contact.
          await insertEvents(trx, dialect, [
            {
              id: uuidv7(),
              projectId,
              contactId: contactIdText(contactRow.id),
              name: 'contact.topics_changed',
              data: { ...sourceData(source), topics: changes },
              createdAt: now,
            },
          ]);
          await recordChanges(
            deps,
            trx,
            projectId,
            [
              {
                type: 'contact.updated',
                contactId: contactIdText(contactRow.id),
                data: {
                  contact: rowToContact(contactRow, dialect, projectId),
                  changed: ['topics'],
                  previous: { topics: changes.map((c) => ({ id: c.id, subscription: c.previous })) },
                  topics: changes,
                },
              },
            ],
            now,
          );
        }
        return { current, recorded: changes.length > 0 };
      });
      if (result.recorded) deps.changes?.committed();
      return result.current;
    },
  };
}

/** Whether a filter tree (as stored) has a `topic.<topicId>` filter at any depth. */
function namesTopic(node: unknown, topicId: string): boolean {
  if (Array.isArray(node)) return node.some((item) => namesTopic(item, topicId));
  if (node === null || typeof node !== 'object') return false;
  const { field } = node as { field?: unknown };
  if (typeof field === 'string' && field.toLowerCase() === `topic.${topicId}`) return true;
  return Object.values(node).some((value) => namesTopic(value, topicId));
}
