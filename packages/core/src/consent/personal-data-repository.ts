import { sql } from 'kysely';
import { contactProjectOf, type DialectInfo, detectDialect } from '../db/dialect.js';
import type { Db } from '../db/schema.js';

/**
 * The SQL of personal-data export and erasure: finding every row that holds one address (or
 * belongs to its contact) and scrubbing the address out of the rows that must stay.
 */

/** `lower(cast(column as text)) like '%address%'`: the address anywhere in a text or JSON column, any case. */
function mentions(column: string, email: string) {
  const pattern = `%${email.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(cast(${sql.ref(column)} as text)) like ${pattern} escape '\\'`;
}

export async function contactEvents(db: Db, projectId: string, contactId: string) {
  return db
    .selectFrom('roster_events')
    .select(['id', 'name', 'data', 'created_at'])
    .where('project_id', '=', projectId)
    .where('contact_id', '=', detectDialect(db).contactIdValue(contactId))
    .orderBy('id')
    .execute();
}

export async function contactSegments(db: Db, contactId: string) {
  return db
    .selectFrom('roster_segment_members as m')
    .innerJoin('roster_segments as s', 's.id', 'm.segment_id')
    .select(['s.id', 's.name', 's.type', 'm.entered_at', 'm.exited_at'])
    .where('m.contact_id', '=', detectDialect(db).contactIdValue(contactId))
    .orderBy('s.id')
    .execute();
}

export async function contactTopics(db: Db, contactId: string) {
  return db
    .selectFrom('roster_contact_topics as c')
    .innerJoin('roster_topics as t', 't.id', 'c.topic_id')
    .select(['t.id', 't.name', 'c.subscription', 'c.updated_at'])
    .where('c.contact_id', '=', detectDialect(db).contactIdValue(contactId))
    .orderBy('t.id')
    .execute();
}

export async function audienceName(db: Db, audienceId: string) {
  return db
    .selectFrom('roster_audiences')
    .select(['id', 'name'])
    .where('id', '=', audienceId)
    .executeTakeFirst();
}

/** The project's outbox rows of the contact or that mention the address. */
export async function outboxRows(db: Db, projectId: string, contactId: string | null, email: string) {
  return db
    .selectFrom('roster_outbox')
    .select(['seq', 'id', 'type', 'contact_id', 'data', 'created_at'])
    .where('project_id', '=', projectId)
    .where((eb) =>
      contactId === null
        ? mentions('data', email)
        : eb.or([eb('contact_id', '=', contactId), mentions('data', email)]),
    )
    .orderBy('seq')
    .execute();
}

/** The project's webhook deliveries that mention the address (or are ordered by the contact's id). */
export async function webhookDeliveries(db: Db, projectId: string, contactId: string | null, email: string) {
  return db
    .selectFrom('roster_webhook_deliveries')
    .select(['id', 'endpoint_id', 'message_id', 'event_type', 'ordering_key', 'body', 'status', 'created_at'])
    .where('project_id', '=', projectId)
    .where((eb) =>
      contactId === null
        ? mentions('body', email)
        : eb.or([eb('ordering_key', '=', contactId), mentions('body', email)]),
    )
    .orderBy('id')
    .execute();
}

/** Attempts of the given deliveries, plus the project's attempts whose response or error mentions the address. */
export async function webhookAttempts(db: Db, projectId: string, deliveryIds: string[], email: string) {
  return db
    .selectFrom('roster_webhook_attempts as a')
    .innerJoin('roster_webhook_deliveries as d', 'd.id', 'a.delivery_id')
    .select([
      'a.id',
      'a.delivery_id',
      'a.number',
      'a.started_at',
      'a.status_code',
      'a.response_excerpt',
      'a.error',
    ])
    .where('d.project_id', '=', projectId)
    .where((eb) => {
      const either = [mentions('a.response_excerpt', email), mentions('a.error', email)];
      return eb.or(deliveryIds.length > 0 ? [eb('a.delivery_id', 'in', deliveryIds), ...either] : either);
    })
    .orderBy('a.id')
    .execute();
}

/** The project's jobs whose payload, progress, result or error mentions the address (import error rows). */
export async function jobsMentioning(db: Db, projectId: string, email: string) {
  return db
    .selectFrom('roster_jobs')
    .select(['id', 'type', 'status', 'payload', 'progress', 'result', 'last_error', 'created_at'])
    .where('project_id', '=', projectId)
    .where((eb) =>
      eb.or([
        mentions('payload', email),
        mentions('progress', email),
        mentions('result', email),
        mentions('last_error', email),
      ]),
    )
    .orderBy('id')
    .execute();
}

/** The project's idempotency records whose key or path carries the address. */
export async function idempotencyRecords(db: Db, projectId: string, email: string) {
  return db
    .selectFrom('roster_idempotency_keys')
    .select(['key', 'method', 'path', 'status_code', 'created_at', 'expires_at'])
    .where('project_id', '=', projectId)
    .where((eb) => eb.or([mentions('key', email), mentions('path', email)]))
    .execute();
}

/** The project's events of other contacts whose data mentions the address. */
export async function otherEventsMentioning(
  db: Db,
  projectId: string,
  contactId: string | null,
  email: string,
) {
  let q = db.selectFrom('roster_events').select(['id', 'data']).where('project_id', '=', projectId);
  if (contactId !== null) q = q.where('contact_id', '!=', detectDialect(db).contactIdValue(contactId));
  return q.where(mentions('data', email)).execute();
}

// ---- erasure ------------------------------------------------------------------------------------

export async function deleteContactRow(db: Db, projectId: string, contactId: string): Promise<number> {
  const rows = await db
    .deleteFrom('roster_contacts')
    .where('project_id', '=', contactProjectOf(projectId))
    .where('id', '=', detectDialect(db).contactIdValue(contactId))
    .returning('id')
    .execute();
  return rows.length;
}

/** Deletes the contact's own rows that its foreign keys would cascade to anyway (counted for the report). */
export async function deleteContactChildren(db: Db, projectId: string, id: string) {
  const contactId = detectDialect(db).contactIdValue(id);
  const events = await db
    .deleteFrom('roster_events')
    .where('project_id', '=', projectId)
    .where('contact_id', '=', contactId)
    .returning('id')
    .execute();
  const segments = await db
    .deleteFrom('roster_segment_members')
    .where('contact_id', '=', contactId)
    .returning('segment_id')
    .execute();
  const topics = await db
    .deleteFrom('roster_contact_topics')
    .where('contact_id', '=', contactId)
    .returning('topic_id')
    .execute();
  return { events: events.length, segmentMemberships: segments.length, topicSubscriptions: topics.length };
}

export async function deleteOutboxRows(db: Db, projectId: string, seqs: (number | string)[]): Promise<void> {
  for (let i = 0; i < seqs.length; i += 500) {
    await db
      .deleteFrom('roster_outbox')
      .where('project_id', '=', projectId)
      .where('seq', 'in', seqs.slice(i, i + 500) as never)
      .execute();
  }
}

export async function setOutboxData(
  db: Db,
  dialect: DialectInfo,
  seq: number | string,
  data: unknown,
): Promise<void> {
  await db
    .updateTable('roster_outbox')
    .set({ data: dialect.json(data) })
    .where('seq', '=', seq as never)
    .execute();
}

export async function deleteDeliveries(db: Db, projectId: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db.deleteFrom('roster_webhook_attempts').where('delivery_id', 'in', chunk).execute();
    await db
      .deleteFrom('roster_webhook_deliveries')
      .where('project_id', '=', projectId)
      .where('id', 'in', chunk)
      .execute();
  }
}

export async function setDeliveryBody(db: Db, id: string, body: string): Promise<void> {
  await db.updateTable('roster_webhook_deliveries').set({ body }).where('id', '=', id).execute();
}

export async function setAttemptText(
  db: Db,
  id: string,
  set: { response_excerpt: string | null; error: string | null },
): Promise<void> {
  await db.updateTable('roster_webhook_attempts').set(set).where('id', '=', id).execute();
}

export async function setJobJson(
  db: Db,
  dialect: DialectInfo,
  id: string,
  set: { payload: unknown; progress: unknown; result: unknown; last_error: string | null },
): Promise<void> {
  await db
    .updateTable('roster_jobs')
    .set({
      payload: dialect.json(set.payload) as never,
      progress: dialect.json(set.progress) as never,
      result: dialect.json(set.result) as never,
      last_error: set.last_error,
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteIdempotencyRecords(db: Db, projectId: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .deleteFrom('roster_idempotency_keys')
    .where('project_id', '=', projectId)
    .where('key', 'in', keys)
    .execute();
}

export async function setEventData(db: Db, dialect: DialectInfo, id: string, data: unknown): Promise<void> {
  await db
    .updateTable('roster_events')
    .set({ data: dialect.json(data) as never })
    .where('id', '=', id)
    .execute();
}
