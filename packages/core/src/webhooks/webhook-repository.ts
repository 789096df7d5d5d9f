import type { Insertable, Updateable } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import { countProjectRows } from '../db/project-rows.js';
import type {
  Db,
  WebhookAttemptRow,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookDeliveryRow,
  WebhookEndpointRow,
  WebhookEndpointsTable,
} from '../db/schema.js';
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from './webhook-types.js';

export function rowToEndpoint(row: WebhookEndpointRow, dialect: DialectInfo): WebhookEndpoint {
  const enabled = Boolean(row.enabled);
  return {
    id: row.id,
    projectId: row.project_id,
    url: row.url,
    description: row.description,
    eventTypes: dialect.parseJson(row.event_types) as string[],
    enabled,
    disabledReason: enabled ? null : row.disabled_reason === 'failing' ? 'failing' : 'user',
    failingSince: row.failing_since,
    previousSecretExpiresAt: row.previous_secret === null ? null : row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function rowToDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    messageId: row.message_id,
    eventType: row.event_type,
    status: row.status,
    attemptCount: Number(row.attempt_count),
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    body: row.body,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export function rowToAttempt(row: WebhookAttemptRow): WebhookAttempt {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    number: Number(row.number),
    startedAt: row.started_at,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    latencyMs: Number(row.latency_ms),
    responseExcerpt: row.response_excerpt,
    error: row.error,
  };
}

export async function findEndpoint(
  db: Db,
  projectId: string,
  id: string,
  options: { lock?: boolean; dialect?: DialectInfo } = {},
): Promise<WebhookEndpointRow | undefined> {
  let query = db
    .selectFrom('roster_webhook_endpoints')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id);
  if (options.lock && options.dialect && !options.dialect.singleWriter) query = query.forUpdate();
  return query.executeTakeFirst();
}

/**
 * Locks the endpoint's row until the transaction ends (PostgreSQL; SQLite has one writer anyway).
 * Every change to an endpoint's chains of pending deliveries (fan-out, an attempt's outcome,
 * replay) takes it first, so two of them never miss each other's uncommitted rows.
 */
export async function lockEndpoints(db: Db, dialect: DialectInfo, ids: string[]): Promise<void> {
  if (dialect.singleWriter || ids.length === 0) return;
  await db
    .selectFrom('roster_webhook_endpoints')
    .select('id')
    .where('id', 'in', [...ids].sort())
    .orderBy('id')
    .forUpdate()
    .execute();
}

export async function insertDeliveries(db: Db, rows: Insertable<WebhookDeliveriesTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('roster_webhook_deliveries')
      .values(rows.slice(i, i + 500))
      .execute();
  }
}

export async function insertAttempt(db: Db, row: Insertable<WebhookAttemptsTable>): Promise<void> {
  await db.insertInto('roster_webhook_attempts').values(row).execute();
}

/** The oldest pending delivery of a chain (endpoint + ordering key). */
export async function chainHead(
  db: Db,
  endpointId: string,
  orderingKey: string,
): Promise<WebhookDeliveryRow | undefined> {
  return db
    .selectFrom('roster_webhook_deliveries')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('ordering_key', '=', orderingKey)
    .where('status', '=', 'pending')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** Which of `keys` already have a pending delivery to the endpoint. */
export async function keysWithPending(db: Db, endpointId: string, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db
      .selectFrom('roster_webhook_deliveries')
      .select('ordering_key')
      .distinct()
      .where('endpoint_id', '=', endpointId)
      .where('status', '=', 'pending')
      .where('ordering_key', 'in', keys.slice(i, i + 500))
      .execute();
    for (const row of rows) if (row.ordering_key !== null) found.add(row.ordering_key);
  }
  return found;
}

// Endpoints.

/** How many endpoints the project has. */
export async function countEndpoints(db: Db, projectId: string): Promise<number> {
  return countProjectRows(db, 'roster_webhook_endpoints', projectId);
}

export async function insertEndpoint(db: Db, row: Insertable<WebhookEndpointsTable>): Promise<void> {
  await db.insertInto('roster_webhook_endpoints').values(row).execute();
}

/** The project's endpoints, oldest first. */
export async function listEndpoints(db: Db, projectId: string): Promise<WebhookEndpointRow[]> {
  return db
    .selectFrom('roster_webhook_endpoints')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id')
    .execute();
}

/** The enabled endpoints of these projects, oldest first. */
export async function enabledEndpointsOf(
  db: Db,
  dialect: DialectInfo,
  projectIds: string[],
): Promise<WebhookEndpointRow[]> {
  return db
    .selectFrom('roster_webhook_endpoints')
    .selectAll()
    .where('project_id', 'in', projectIds)
    .where('enabled', '=', dialect.bool(true))
    .orderBy('id')
    .execute();
}

export async function updateEndpoint(
  db: Db,
  id: string,
  changes: Updateable<WebhookEndpointsTable>,
): Promise<void> {
  await db.updateTable('roster_webhook_endpoints').set(changes).where('id', '=', id).execute();
}

/** Deletes an endpoint; its deliveries and their attempts go with it (foreign keys). */
export async function deleteEndpoint(db: Db, id: string): Promise<void> {
  await db.deleteFrom('roster_webhook_endpoints').where('id', '=', id).execute();
}

// Deliveries.

/** The delivery; with `projectId`, only if it belongs to that project. */
export async function findDelivery(
  db: Db,
  id: string,
  projectId?: string,
): Promise<WebhookDeliveryRow | undefined> {
  const query = db.selectFrom('roster_webhook_deliveries').selectAll().where('id', '=', id);
  return (projectId === undefined ? query : query.where('project_id', '=', projectId)).executeTakeFirst();
}

export async function updateDelivery(
  db: Db,
  id: string,
  changes: Updateable<WebhookDeliveriesTable>,
): Promise<void> {
  await db.updateTable('roster_webhook_deliveries').set(changes).where('id', '=', id).execute();
}

/** Sets `changes` on the delivery if it is still pending with the job `jobId`; false if it moved on. */
export async function updatePendingDeliveryOfJob(
  db: Db,
  id: string,
  jobId: string,
  changes: Updateable<WebhookDeliveriesTable>,
): Promise<boolean> {
  const updated = await db
    .updateTable('roster_webhook_deliveries')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('job_id', '=', jobId)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Sets `changes` on every pending delivery of the endpoint. */
export async function updatePendingDeliveries(
  db: Db,
  endpointId: string,
  changes: Updateable<WebhookDeliveriesTable>,
): Promise<void> {
  await db
    .updateTable('roster_webhook_deliveries')
    .set(changes)
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}

/** A page of the endpoint's deliveries, newest first: `limit` rows with ids below `beforeId`. */
export async function listDeliveries(
  db: Db,
  query: {
    endpointId: string;
    beforeId?: string | undefined;
    status?: WebhookDeliveryRow['status'] | undefined;
    limit: number;
  },
): Promise<WebhookDeliveryRow[]> {
  let select = db
    .selectFrom('roster_webhook_deliveries')
    .selectAll()
    .where('endpoint_id', '=', query.endpointId)
    .orderBy('id', 'desc')
    .limit(query.limit);
  if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  return select.execute();
}

/** The ids of the endpoint's deliveries created at or after `since` with one of `statuses`, oldest first. */
export async function deliveryIdsSince(
  db: Db,
  query: { endpointId: string; since: string; statuses: WebhookDeliveryRow['status'][]; limit: number },
): Promise<string[]> {
  const rows = await db
    .selectFrom('roster_webhook_deliveries')
    .select('id')
    .where('endpoint_id', '=', query.endpointId)
    .where('created_at', '>=', query.since)
    .where('status', 'in', query.statuses)
    .orderBy('id')
    .limit(query.limit)
    .execute();
  return rows.map((row) => row.id);
}

/**
 * How many of the endpoint's deliveries with an id at or after `fromId` (ids are UUIDv7: a time
 * bound) have each status: one range of the `(endpoint_id, id)` index.
 */
export async function deliveryStatusCounts(
  db: Db,
  endpointId: string,
  fromId: string,
): Promise<Record<WebhookDeliveryRow['status'], number>> {
  const rows = await db
    .selectFrom('roster_webhook_deliveries')
    .select((eb) => ['status', eb.fn.countAll<string | number>().as('n')])
    .where('endpoint_id', '=', endpointId)
    .where('id', '>=', fromId)
    .groupBy('status')
    .execute();
  const counts = { pending: 0, succeeded: 0, failed: 0 } as Record<WebhookDeliveryRow['status'], number>;
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/**
 * Puts the finished ones of these deliveries back to pending, with a fresh retry round and no job
 * yet. Returns them as they are now.
 */
export async function reopenDeliveries(db: Db, ids: string[], at: string): Promise<WebhookDeliveryRow[]> {
  const rows: WebhookDeliveryRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    rows.push(
      ...(await db
        .updateTable('roster_webhook_deliveries')
        .set({
          status: 'pending',
          round_attempts: 0,
          job_id: null,
          next_attempt_at: null,
          finished_at: null,
          updated_at: at,
        })
        .where('id', 'in', ids.slice(i, i + 500))
        .where('status', '!=', 'pending')
        .returningAll()
        .execute()),
    );
  }
  return rows;
}

/**
 * Deletes at most `limit` finished deliveries with ids below `beforeId` that finished before
 * `finishedBefore` (their attempts go with them). Returns how many.
 */
export async function deleteFinishedDeliveries(
  db: Db,
  query: { beforeId: string; finishedBefore: string; limit: number },
): Promise<number> {
  const result = await db
    .deleteFrom('roster_webhook_deliveries')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('roster_webhook_deliveries')
        .select('id')
        .where('id', '<', query.beforeId)
        .where('status', '!=', 'pending')
        .where('finished_at', '<', query.finishedBefore)
        .limit(query.limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

// Attempts.

/** The delivery's latest `limit` attempts, newest first. */
export async function latestAttempts(
  db: Db,
  deliveryId: string,
  limit: number,
): Promise<WebhookAttemptRow[]> {
  return db
    .selectFrom('roster_webhook_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('number', 'desc')
    .limit(limit)
    .execute();
}

/** The projects that have at least one webhook endpoint (enabled or not). */
export async function projectsWithEndpoints(db: Db): Promise<Set<string>> {
  const rows = await db.selectFrom('roster_webhook_endpoints').select('project_id').distinct().execute();
  return new Set(rows.map((row) => row.project_id));
}
