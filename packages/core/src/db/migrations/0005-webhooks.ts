import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely` and inlines every dialect-specific type,
 * so later changes to living code cannot change what it creates.
 */

const TYPES = {
  sqlite: { json: 'text', bool: 'integer' },
  postgres: { json: 'jsonb', bool: 'boolean' },
} as const;

export function migration0005Webhooks(dialect: 'sqlite' | 'postgres'): Migration {
  const t = TYPES[dialect];
  return {
    async up(db: Kysely<any>) {
      // Webhook endpoints of a project. The secret signs (Standard Webhooks), so it is stored as is;
      // after a rotation the previous one keeps signing beside it until previous_secret_expires_at.
      await db.schema
        .createTable('roster_webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('event_types', sql.raw(t.json), (c) => c.notNull())
        .addColumn('enabled', sql.raw(t.bool), (c) => c.notNull())
        .addColumn('disabled_reason', 'text')
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_secret_expires_at', 'text')
        // First failed attempt since the last successful one (null while healthy).
        .addColumn('failing_since', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('roster_webhook_endpoints_project')
        .on('roster_webhook_endpoints')
        .columns(['project_id', 'id'])
        .execute();

      // One row per (event, endpoint). The body is kept as the exact text that is signed and sent,
      // so every retry and replay sends the same bytes under the same webhook-id.
      await db.schema
        .createTable('roster_webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('endpoint_id', 'text', (c) =>
          c.notNull().references('roster_webhook_endpoints.id').onDelete('cascade'),
        )
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        // Deliveries with the same key (the contact) go out one at a time, in order.
        .addColumn('ordering_key', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempt_count', 'integer', (c) => c.notNull())
        // Attempts since the delivery was (re)queued: the position in the retry schedule.
        .addColumn('round_attempts', 'integer', (c) => c.notNull())
        // The job that makes the next attempt; null while waiting behind an earlier delivery.
        .addColumn('job_id', 'text')
        .addColumn('next_attempt_at', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema
        .createIndex('roster_webhook_deliveries_endpoint')
        .on('roster_webhook_deliveries')
        .columns(['endpoint_id', 'id'])
        .execute();
      await db.schema
        .createIndex('roster_webhook_deliveries_pending')
        .on('roster_webhook_deliveries')
        .columns(['endpoint_id', 'ordering_key', 'id'])
        .where(sql.ref('status'), '=', 'pending')
        .execute();

      await db.schema
        .createTable('roster_webhook_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('delivery_id', 'text', (c) =>
          c.notNull().references('roster_webhook_deliveries.id').onDelete('cascade'),
        )
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('response_excerpt', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createIndex('roster_webhook_attempts_delivery')
        .on('roster_webhook_attempts')
        .columns(['delivery_id', 'number'])
        .execute();
    },
  };
}
