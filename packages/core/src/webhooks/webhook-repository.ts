import type { Insertable } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import type {
  Db,
  WebhookAttemptRow,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookDeliveryRow,
  WebhookEndpointRow,
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
