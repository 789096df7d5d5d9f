/**
 * `@roster/core/wire`: the JSON shapes roster's management API (`/roster`, served by
 * `@roster/express`) answers for jobs, imports, webhooks, topics and contact properties, and the lists
 * of values they carry.
 * This module imports nothing, so a browser app (the dashboard) can take the same types (and lists)
 * as the router that builds them without bringing in core's Node code.
 */

/** What a job of `GET /jobs` says about its work, by job type (never the payload). */
export type JobSummary =
  | {
      kind: 'import';
      file: string | null;
      rows: { total: number; created: number; updated: number; failed: number };
    }
  | {
      kind: 'bulk';
      operation: string;
      requested: number;
      succeeded: number;
      unchanged: number;
      failed: number;
    }
  | (MigrateCounts & {
      /** A migration from a provider (`POST /roster/migrations`): never its key. */
      kind: 'migrate';
      source: MigrateSourceName;
      url: string;
      dryRun: boolean;
      /** Contacts the provider says it has, when it says (Plunk); null otherwise. */
      total: number | null;
      /** Once completed: the first 20 contacts roster refused, with the reason. */
      errors: { email: string; error: string }[];
    });

/** A job of `GET /jobs`: state, progress and a type-specific summary. */
export interface JobView {
  id: string;
  type: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  attempts: number;
  summary: JobSummary | null;
  failedReason?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** An import of `GET /imports/:jobId`, with the rows that failed. */
export interface ImportView {
  id: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  /** `suppressed`: rows applied whose address is suppressed (their contact stays unsubscribed). */
  rows: { total: number; created: number; updated: number; failed: number; suppressed: number };
  errors: { row: number; email: string; error: string }[];
  failedReason?: string;
  createdAt: string;
  updatedAt: string;
}

/** A webhook endpoint as core returns it (never its secret: see `secret()`). */
export interface WebhookEndpoint {
  id: string;
  projectId: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  /** Why the endpoint is disabled: `failing` (automatically, after repeated failure) or `user`; null when enabled. */
  disabledReason: 'failing' | 'user' | null;
  /** Since when every attempt has failed (null when the last attempt succeeded or none was made). */
  failingSince: string | null;
  /** Until when the previous secret still signs beside the current one (after a rotation), else null. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a delivery's `status` says: on its way (or waiting to retry), or finished. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One event sent (or to be sent) to one endpoint. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  /** The `webhook-id` header: the event's id, the same on every retry and replay. */
  messageId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  /** Attempts made so far (all rounds, replays included). */
  attemptCount: number;
  /** When the next attempt is due (pending only; null while waiting behind an earlier event of the contact). */
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** The JSON body sent, exactly as signed. */
  body: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttempt {
  id: string;
  deliveryId: string;
  /** 1 for the first attempt of the delivery. */
  number: number;
  startedAt: string;
  /** The receiver's HTTP status; null when no answer came (timeout, refused target, network error). */
  statusCode: number | null;
  latencyMs: number;
  /** The start of the response body (at most 1 KB), when there was one. */
  responseExcerpt: string | null;
  /** Why the attempt failed without a status (or a note for a non-2xx), else null. */
  error: string | null;
}

/** What `sendTest` answers: the test delivery and its one attempt. */
export interface WebhookTestResult {
  delivery: WebhookDelivery;
  attempt: WebhookAttempt;
}

/**
 * Change events a webhook endpoint can subscribe to (besides `segment.<slug>.entry|exit`, see
 * `isWebhookEventPattern`). `webhook.test` is what `sendTest` sends; it needs no subscription.
 */
export const WEBHOOK_EVENT_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.subscribed',
  'contact.unsubscribed',
  'import.completed',
  'import.failed',
  'bulk.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A contact's subscription to a topic, and a topic's default one. */
export const TOPIC_SUBSCRIPTION_VALUES = ['opt_in', 'opt_out'] as const;
/** Whether a topic shows on a contact's preference page. */
export const TOPIC_VISIBILITY_VALUES = ['public', 'private'] as const;

/** A topic of `GET /topics` (the same shape as core's `Topic`). */
export interface TopicView {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  /** The subscription of every contact that has not chosen one; fixed at creation. */
  defaultSubscription: (typeof TOPIC_SUBSCRIPTION_VALUES)[number];
  visibility: (typeof TOPIC_VISIBILITY_VALUES)[number];
  createdAt: string;
  updatedAt: string;
}

/** One topic of `GET /contacts/:id/topics`: the contact's effective subscription. */
export interface ContactTopicView {
  id: string;
  name: string;
  description: string | null;
  subscription: (typeof TOPIC_SUBSCRIPTION_VALUES)[number];
  /** True when `subscription` is the contact's own choice, false when it is the topic's default. */
  explicit: boolean;
}

/** The types a contact property is declared with. */
export const PROPERTY_TYPE_VALUES = ['string', 'number'] as const;

/** A declared contact property of `GET /properties` (the same shape as core's `ContactProperty`). */
export interface ContactPropertyView {
  id: string;
  projectId: string;
  key: string;
  type: (typeof PROPERTY_TYPE_VALUES)[number];
  fallbackValue: string | number | null;
  createdAt: string;
}

/**
 * The type suffixes of the `data.<key>` columns of roster's own CSV (`data.seats:number`): core's
 * `CSV_DATA_TYPES` (`@roster/core/schemas`), and what the dashboard's import preview reads.
 */
export const CSV_DATA_TYPES = ['string', 'number', 'boolean', 'json'] as const;

/**
 * The data keys roster never stores (Plunk's own contact fields and links): core's
 * `RESERVED_DATA_KEYS` holds them, and the dashboard's import preview marks such columns.
 */
export const RESERVED_DATA_KEY_NAMES = [
  'id',
  'email',
  'plunk_id',
  'plunk_email',
  'unsubscribeUrl',
  'subscribeUrl',
  'manageUrl',
] as const;
/** One recorded administrative action. */
export interface AuditEntry {
  /** UUIDv7: the entries' order. */
  id: string;
  projectId: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /**
   * Who acted: `key:<key id>` (an API key), `dashboard:<key id>` (a dashboard session signed in
   * with that key), `host` (the host application's own sign-in), `cli` (the `roster` command), or
   * what a library caller passed.
   */
  actor: string;
  /** What was done, e.g. `key.created`, `webhook.deleted`, `contacts.exported` (see `AUDIT_ACTIONS`). */
  action: string;
  /** What it was done to (an id, a file name), or null. */
  target: string | null;
  /** A small JSON object with what else matters (e.g. a bulk operation's count). */
  detail: Record<string, unknown> | null;
}

/**
 * The actions roster itself records. Others may be recorded through `audit.record` (any name of
 * lowercase letters, digits, `.`, `_`, `-` and `:`).
 */
export const AUDIT_ACTIONS = [
  'key.created',
  'key.revoked',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'contacts.bulk_deleted',
  'contacts.bulk_unsubscribed',
  'contacts.exported',
  'import.started',
  'migration.started',
  'property.created',
  'property.updated',
  'property.deleted',
  'topic.created',
  'topic.updated',
  'topic.deleted',
  'consent.settings_updated',
  'consent.secret_rotated',
  'suppression.added',
  'suppression.removed',
  'inbound_settings.updated',
  'personal_data.exported',
  'personal_data.erased',
] as const;

/**
 * One event of `GET /contacts/:id/events` (a contact's activity timeline): a tracked event, or one
 * roster records (subscription changes and double opt-in steps, whose `data` holds the `source`
 * and, over HTTP, the `clientAddress`: the consent record). Core's `ContactEvent` is this type.
 */
export interface ContactEventView {
  id: string;
  projectId: string;
  contactId: string;
  name: string;
  /** The data as sent, transient `{value, persistent: false}` wrappers included; null when none. */
  data: Record<string, unknown> | null;
  createdAt: string;
}

/** One UTC day of a project's contacts in the overview (`roster.stats.overview`, `GET /roster/overview`). */
export interface OverviewDay {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** Contacts at the end of the day. */
  total: number;
  /** Subscribed contacts at the end of the day. */
  subscribed: number;
  /** Contacts created that day (`api` + `imported`). */
  added: number;
  /** Contacts deleted that day. */
  removed: number;
  /** Of `added`, created by a CSV import. */
  imported: number;
  /** Of `added`, created any other way (the APIs, the dashboard, `roster migrate`). */
  api: number;
}

/** One UTC day of a project's imports and bulk jobs in the overview, by the day each was queued. */
export interface OverviewJobsDay {
  day: string;
  /** Imports queued that day (any state). */
  imports: number;
  /** Bulk jobs queued that day (any state). */
  bulk: number;
  /** Of both, the ones that failed. */
  failed: number;
}

/** One webhook endpoint's deliveries created in the overview's days, by status. */
export interface OverviewWebhookEndpoint {
  id: string;
  url: string;
  enabled: boolean;
  succeeded: number;
  failed: number;
  pending: number;
}

/** The dashboard's Overview: a project's contacts, jobs and webhook health over its last days. */
export interface Overview {
  /** How many days (today included). */
  days: number;
  /** The first and the last day (`YYYY-MM-DD`, UTC; `to` is today). */
  from: string;
  to: string;
  /** Now. */
  contacts: { total: number; subscribed: number };
  /** One entry per day from `from` to `to`, oldest first. */
  daily: OverviewDay[];
  /** One entry per day from `from` to `to`, oldest first. */
  jobs: OverviewJobsDay[];
  /** Every endpoint of the project, oldest first. */
  webhooks: OverviewWebhookEndpoint[];
}

/** The providers a migration reads from (`roster migrate`, `POST /roster/migrations`). */
export const MIGRATE_SOURCES = ['plunk', 'unosend', 'resend'] as const;
export type MigrateSourceName = (typeof MIGRATE_SOURCES)[number];

/**
 * Each provider's public API root: the base URL its own SDK takes, the default of `url`. A roster
 * server serves them at `http://host:port` (Plunk), `http://host:port/v1` (Unosend) and
 * `http://host:port/resend` (Resend).
 */
export const MIGRATE_DEFAULT_URLS: Readonly<Record<MigrateSourceName, string>> = {
  plunk: 'https://next-api.useplunk.com',
  unosend: 'https://www.unosend.co/api/v1',
  resend: 'https://api.resend.com',
};

/** What a run did. Every fetched contact is counted once in created, updated, unchanged, skipped or failed. */
export interface MigrateCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Repeats of an email already seen in this run (the provider listed it twice). */
  skipped: number;
  /** Contacts roster refused (e.g. an email roster does not accept); see `errors`. */
  failed: number;
}
