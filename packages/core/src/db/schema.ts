import type { ColumnType, Generated, Kysely, Selectable, Transaction } from 'kysely';

/**
 * Table row types, exactly as stored. Domain types live beside their feature and are mapped
 * from these in one place each (e.g. `rowToContact`).
 *
 * Portable storage choices: timestamps are ISO 8601 UTC text (sortable, same on every dialect),
 * except a contact's `created_at` and `updated_at` (`ContactTime`: integer milliseconds);
 * booleans are INTEGER 0/1 on SQLite and BOOLEAN on PostgreSQL; JSON is TEXT on SQLite and JSONB
 * on PostgreSQL. Row mappers accept both forms.
 */
export interface ProjectsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  /** SHA-256 of the full key, hex. The key itself is never stored. */
  key_hash: string;
  /** e.g. `sk_`, `pk_`, `un_`. */
  prefix: string;
  /** Last four characters, to tell keys apart in listings. */
  last_four: string;
  created_at: string;
  revoked_at: string | null;
}

type DbBool = ColumnType<number | boolean, number | boolean, number | boolean>;
type DbJson = ColumnType<string | Record<string, unknown> | null, string | null, string | null>;

/**
 * How `roster_contacts.project_id` refers to its project: the project's compact integer key
 * (`roster_projects.seq`, migration 0020 on SQLite, 0021 on PostgreSQL: a few bytes in the table
 * and in each of its indexes instead of a 36-character id). Never a plain project id in code:
 * write and compare it with `dialect.contactProject(projectId)` (the brand makes a plain string or
 * number a type error), and read a contact's project from the project the query was scoped to.
 */
export type ContactProjectKey = number & { readonly __contactProject: unique symbol };

/**
 * A contact's `created_at` / `updated_at` (migration 0022): integer milliseconds since the epoch
 * (`bigint` on PostgreSQL, whose driver returns it as a string). Never an ISO string in code:
 * write, compare and read it only through contacts/contact-time.ts (`contactTime(iso)`,
 * `contactTimeIso(value)`); the brand makes a plain string or number a type error.
 */
export type ContactTime = (number | string) & { readonly __contactTime: unique symbol };

/**
 * A contact id as a column stores it: `roster_contacts.id` and every `contact_id` referring to it
 * (events, segment members, contact topics, contact consent), but not `roster_outbox`'s (a log of
 * wire ids, text). Invariant on SQLite (migration 0025): a canonical id (`isContactId`, lowercase
 * hyphenated, as `uuidv7()` makes them) is ALWAYS stored as its 16 raw bytes (a BLOB in the
 * `text`-declared column: TEXT affinity converts only numbers), any other id string as the same
 * TEXT. In an index TEXT sorts before BLOB, and the bytes of UUIDs sort as their hex text, so
 * `seq` order is still id order (migration 0024). PostgreSQL: `uuid`, read back as text. Never a
 * plain string in code (the brand makes one a type error): bind it with
 * `dialect.contactIdValue(id)` and read it with `contactIdText(value)` (ids.ts).
 */
export type StoredContactId = (string | Uint8Array) & { readonly __storedContactId: unique symbol };

export interface ContactsTable {
  /**
   * A lowercase canonical UUID (`uuidv7()`): 16 bytes on SQLite (see `StoredContactId`), `uuid` on
   * PostgreSQL (migration 0023, read back as the same text). Compare it only with ids that pass
   * `isContactId` (ids.ts): PostgreSQL refuses any other text.
   */
  id: StoredContactId;
  project_id: ContactProjectKey;
  email: string;
  subscribed: DbBool;
  data: DbJson;
  first_name: string | null;
  last_name: string | null;
  audience_id: string | null;
  created_at: ContactTime;
  updated_at: ContactTime;
}

export interface AudiencesTable {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface JobsTable {
  id: string;
  project_id: string;
  type: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  payload: DbJson;
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_at: string | null;
  locked_by: string | null;
  progress: DbJson;
  result: DbJson;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Uploaded files, stored in chunks so they can be streamed back without loading them whole. */
export interface FileChunksTable {
  file_id: string;
  seq: number;
  bytes: Uint8Array;
}

export interface FilesTable {
  id: string;
  project_id: string;
  name: string | null;
  size: number;
  created_at: string;
}

export interface EventsTable {
  id: string;
  project_id: string;
  contact_id: StoredContactId;
  name: string;
  data: DbJson;
  created_at: string;
}

export interface IdempotencyKeysTable {
  project_id: string;
  key: string;
  method: string;
  path: string;
  /** Null while the first request is still running. */
  status_code: number | null;
  created_at: string;
  expires_at: string;
}

export interface SegmentsTable {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  type: 'DYNAMIC' | 'STATIC';
  condition: DbJson;
  track_membership: DbBool;
  member_count: number;
  created_at: string;
  updated_at: string;
}

/** Declared contact properties (migration 0011, see properties/). */
export interface ContactPropertiesTable {
  id: string;
  project_id: string;
  key: string;
  type: 'string' | 'number';
  /** JSON (text on SQLite, jsonb on PostgreSQL): a value of `type`, or null. */
  fallback_value: ColumnType<unknown, string | null, string | null>;
  created_at: string;
}

export interface SegmentMembersTable {
  segment_id: string;
  contact_id: StoredContactId;
  entered_at: string;
  exited_at: string | null;
}

export interface TopicsTable {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  default_subscription: 'opt_in' | 'opt_out';
  visibility: 'public' | 'private';
  created_at: string;
  updated_at: string;
}

/** A contact's explicit subscription to a topic (no row: the topic's default). */
export interface ContactTopicsTable {
  project_id: string;
  contact_id: StoredContactId;
  topic_id: string;
  subscription: 'opt_in' | 'opt_out';
  updated_at: string;
}

/** A project's consent settings: the public links' signing secret(s) and the pages' look. */
export interface ConsentSettingsTable {
  project_id: string;
  secret: string;
  /** The secret before the last rotation, still verifying until `previous_secret_expires_at`. */
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  /** Shown on the public pages instead of the project's name. */
  display_name: string | null;
  logo_url: string | null;
  created_at: string;
  updated_at: string;
}

/** A contact's double opt-in state (no row: the contact never took part in one). */
export interface ContactConsentTable {
  contact_id: StoredContactId;
  project_id: string;
  status: 'pending' | 'confirmed';
  requested_at: string | null;
  confirmed_at: string | null;
  /** Where the confirmation page sends the person after confirming (http(s) only). */
  redirect_url: string | null;
  updated_at: string;
}

export interface WebhookEndpointsTable {
  id: string;
  project_id: string;
  url: string;
  description: string | null;
  /** JSON array of event types and patterns. */
  event_types: ColumnType<string | string[], string, string>;
  enabled: DbBool;
  disabled_reason: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  project_id: string;
  endpoint_id: string;
  message_id: string;
  event_type: string;
  ordering_key: string | null;
  body: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempt_count: number;
  round_attempts: number;
  job_id: string | null;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  number: number;
  started_at: string;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string | null;
  error: string | null;
}

/**
 * The overview's daily counts (migration 0019): per project, UTC day and slot (PostgreSQL spreads
 * concurrent writers over slots; SQLite uses slot 0), kept by triggers on roster_contacts and by
 * the import job (`imported`). Counters are bigint on PostgreSQL: the driver returns strings.
 */
export interface ContactDailyTable {
  project_id: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  slot: number;
  added: Generated<string | number>;
  removed: Generated<string | number>;
  /** The net change of subscribed contacts that day. */
  subscribed: Generated<string | number>;
  /** Of `added`, the contacts an import created. */
  imported: Generated<string | number>;
}

/** Checkpoints of `roster migrate` (migration 0017, see migrate/migrate-repository.ts). */
export interface MigrationCheckpointsTable {
  project_id: string;
  /** The provider, its base URL and a hash of the key (never the key). */
  source: string;
  state: 'running' | 'completed';
  /** JSON text: the source's paging position to continue from; null before the first page. */
  position: string | null;
  /** JSON text: the counts so far (`MigrateSummary` without `errors`). */
  counts: string;
  created_at: string;
  updated_at: string;
}

/** Per project: the suppression hash key and the bounce webhooks' credentials (migration 0014). */
export interface SuppressionSettingsTable {
  project_id: string;
  /** Key of the HMAC-SHA256 that identifies a suppressed address (base64url). */
  hash_key: string;
  /** Resend webhook signing secret (`whsec_…`), or null. */
  resend_secret: string | null;
  postmark_user: string | null;
  postmark_password: string | null;
  updated_at: string;
}

/** An address that may not become subscribed (migration 0014, see suppressions/). */
export interface SuppressionsTable {
  id: string;
  project_id: string;
  /** HMAC-SHA256 (the project's `hash_key`) of the normalised address, base64url. */
  email_hash: string;
  /** The address, or null for an erasure (only its hash is kept). */
  email: string | null;
  origin: 'bounce' | 'complaint' | 'manual' | 'erasure';
  reason: string | null;
  created_at: string;
}

/** The change-event outbox (migration 0004, see outbox/outbox-repository.ts). */
export interface OutboxTable {
  seq: Generated<number | string>;
  id: string;
  project_id: string;
  /** An event type, or `batch` (see `OutboxBatch`). */
  type: string;
  contact_id: string | null;
  data: DbJson;
  created_at: string;
}

/** Durable outbox consumers and how far each has handled the outbox. */
export interface OutboxConsumersTable {
  name: string;
  last_seq: number | string;
  created_at: string;
  updated_at: string;
}

/** SQLite only (migration 0001): per-project contact counts kept by triggers on roster_contacts. */
export interface ContactCountsTable {
  project_id: string;
  contacts: number;
}

/** SQLite only (migration 0001): the substring index's high-water mark, one row (id 1) while the index exists. */
export interface SearchStateTable {
  id: 1;
  /** Contacts with `seq <= indexed_seq` are in the substring index. */
  indexed_seq: number;
}

/**
 * PostgreSQL only (migration 0006): a project's contact count is the sum of its slot rows, kept by
 * statement triggers on roster_contacts (see contacts/postgres-contact-index.ts).
 */
export interface ContactCountSlotsTable {
  project_id: string;
  slot: number;
  /** bigint: the driver returns a string. */
  contacts: string | number;
}

/** SQLite only: `roster_contacts` also has `seq`, the INTEGER PRIMARY KEY the FTS5 index is keyed by. */
export interface SqliteContactsTable extends ContactsTable {
  seq: Generated<number>;
}

/** One administrative action (append-only; see `audit/`). */
export interface AuditLogTable {
  /** UUIDv7: orders the entries by time. */
  id: string;
  project_id: string;
  created_at: string;
  /** `key:<key id>`, `dashboard:<key id>`, `host`, `cli`, or what a library caller passed. */
  actor: string;
  /** e.g. `key.created`, `webhook.deleted`, `contacts.exported`. */
  action: string;
  /** What the action was on (an id, a file name), when there is one. */
  target: string | null;
  detail: DbJson;
}

/** A token bucket of the opt-in rate limits (see `rate-limits/`). */
export interface RateLimitBucketsTable {
  project_id: string;
  bucket: string;
  tokens: number;
  /** Epoch ms of the last refill. */
  updated_ms: ColumnType<number | string, number, number>;
  /** 1 when the last take got a token, else 0. */
  allowed: number;
}

export interface Database {
  roster_projects: ProjectsTable;
  roster_api_keys: ApiKeysTable;
  roster_contacts: ContactsTable;
  roster_audiences: AudiencesTable;
  roster_jobs: JobsTable;
  roster_files: FilesTable;
  roster_file_chunks: FileChunksTable;
  roster_events: EventsTable;
  roster_idempotency_keys: IdempotencyKeysTable;
  roster_segments: SegmentsTable;
  roster_segment_members: SegmentMembersTable;
  roster_topics: TopicsTable;
  roster_contact_topics: ContactTopicsTable;
  roster_contact_properties: ContactPropertiesTable;
  roster_consent_settings: ConsentSettingsTable;
  roster_contact_consent: ContactConsentTable;
  roster_webhook_endpoints: WebhookEndpointsTable;
  roster_webhook_deliveries: WebhookDeliveriesTable;
  roster_webhook_attempts: WebhookAttemptsTable;
  roster_outbox: OutboxTable;
  roster_outbox_consumers: OutboxConsumersTable;
  roster_migration_checkpoints: MigrationCheckpointsTable;
  roster_audit_log: AuditLogTable;
  roster_rate_limit_buckets: RateLimitBucketsTable;
  roster_contact_daily: ContactDailyTable;
  roster_suppression_settings: SuppressionSettingsTable;
  roster_suppressions: SuppressionsTable;
}

/** The tables of a SQLite database: `Database` plus the SQLite-only tables and columns. */
export interface SqliteDatabase extends Omit<Database, 'roster_contacts'> {
  roster_contacts: SqliteContactsTable;
  roster_contact_counts: ContactCountsTable;
  roster_search_state: SearchStateTable;
}

/** The tables of a PostgreSQL database: `Database` plus the PostgreSQL-only tables. */
export interface PostgresDatabase extends Database {
  roster_contact_count_slots: ContactCountSlotsTable;
}

export type GeneratedId = Generated<number>;

/** What repository functions take first: the database, or a transaction on it. */
export type Db = Kysely<Database> | Transaction<Database>;

/** A SQLite database or transaction, typed with its SQLite-only tables. */
export type SqliteDb = Kysely<SqliteDatabase> | Transaction<SqliteDatabase>;

/** The same database typed with its SQLite-only tables: only where `dialect.name === 'sqlite'`. */
export function asSqliteDb(db: Db): SqliteDb {
  return db as unknown as SqliteDb;
}

/** A PostgreSQL database or transaction, typed with its PostgreSQL-only tables. */
export type PostgresDb = Kysely<PostgresDatabase> | Transaction<PostgresDatabase>;

/** The same database typed with its PostgreSQL-only tables: only where `dialect.name === 'postgres'`. */
export function asPostgresDb(db: Db): PostgresDb {
  return db as unknown as PostgresDb;
}

/** Selected rows, one alias per table. */
export type ProjectRow = Selectable<ProjectsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ContactRow = Selectable<ContactsTable>;
export type AudienceRow = Selectable<AudiencesTable>;
export type JobRow = Selectable<JobsTable>;
export type FileRow = Selectable<FilesTable>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
export type SegmentRow = Selectable<SegmentsTable>;
export type TopicRow = Selectable<TopicsTable>;
export type ConsentSettingsRow = Selectable<ConsentSettingsTable>;
export type ContactConsentRow = Selectable<ContactConsentTable>;
export type ContactTopicRow = Selectable<ContactTopicsTable>;
export type ContactPropertyRow = Selectable<ContactPropertiesTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
export type MigrationCheckpointRow = Selectable<MigrationCheckpointsTable>;
export type SuppressionRow = Selectable<SuppressionsTable>;
export type SuppressionSettingsRow = Selectable<SuppressionSettingsTable>;
