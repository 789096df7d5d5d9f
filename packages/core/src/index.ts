/**
 * `@roster/core`: `createRoster`, the types of what it returns, its errors, and the helpers the
 * library reference (docs/library-reference.md) documents. Everything exported here is documented
 * there. The zod schemas, limits and value lists core validates with are `@roster/core/schemas`;
 * the management API's JSON shapes (browser-safe, import-free) are `@roster/core/wire`.
 */
export type { Audience, AudienceWithCount } from './audiences/audience-types.js';
export type { AuditService } from './audit/audit-service.js';
export { AUDIT_ACTIONS, type AuditEntry } from './audit/audit-types.js';
export { BULK_JOB_TYPE, type BulkJobResult, type BulkOutcome } from './bulk/bulk-types.js';
export type {
  ChangeHandler,
  OutboxConsumerOptions,
  OutboxHandler,
  SubscribeOptions,
  Unsubscribe,
} from './changes/change-feed.js';
export type {
  ChangeEvent,
  ChangePage,
  ContactDeletedData,
  ContactEventData,
  ContactUpdatedData,
  OutboxEvent,
} from './changes/change-types.js';
export type { Clock } from './clock.js';
export {
  type ChangeSource,
  currentChangeSource,
  withChangeSource,
} from './consent/change-source.js';
export {
  CONFIRMATION_TTL_MS,
  type ConsentService,
  maskEmail,
  type PageActionOptions,
} from './consent/consent-service.js';
export { CONSENT_PURPOSES, type ConsentPurpose } from './consent/consent-tokens.js';
export type {
  ConfirmationRequest,
  ConfirmResult,
  ConsentBranding,
  ConsentLink,
  ConsentSettings,
  ConsentStatus,
  PreferencesView,
  UnsubscribeHeaders,
  UnsubscribeResult,
} from './consent/consent-types.js';
export type { ErasureReport, PersonalDataExport, PersonalDataService } from './consent/personal-data.js';
export {
  applyDataPatch,
  type DataKeyTypes,
  type DataValueType,
  RESERVED_DATA_KEYS,
  toDataPatch,
} from './contacts/contact-data.js';
export { isValidEmail, normaliseEmail } from './contacts/contact-fields.js';
export type { ProjectContactCounts } from './contacts/contact-index.js';
export type { BulkCreateResult, Contact, ContactPage, UpsertResult } from './contacts/contact-types.js';
export { checkEmail, type EmailCheck } from './contacts/email-check.js';
export { MissingDriverError } from './db/connection.js';
export type { DialectInfo, DialectName } from './db/dialect.js';
export type { Database } from './db/schema.js';
export {
  clipText,
  type FieldIssue,
  isRosterError,
  ROSTER_ERROR_CODES,
  RosterError,
  type RosterErrorCode,
  type RosterErrorDetails,
  type RosterErrorDetailsByCode,
} from './errors.js';
export type { TrackWithKeyResult } from './events/event-service.js';
export type { ContactEvent, TrackResult } from './events/event-types.js';
export { contactIdBytes, contactIdText, isContactId, isUuid, uuidv7 } from './ids.js';
export {
  type CsvDataType,
  csvDataType,
  dataColumnName,
  parseTypedCell,
  parseTypedDataKey,
  typedDataHeader,
  typedDataText,
} from './imports/csv-format.js';
export { type CsvWriteOptions, contactsCsv, csvDataCell, csvField, csvQuoted } from './imports/csv-writer.js';
export { IMPORT_JOB_TYPE, IMPORT_JOB_TYPES, LOCAL_IMPORT_JOB_TYPE } from './imports/import-job.js';

export type { ImportPreset, MailchimpStatus } from './imports/import-presets.js';
export type {
  ImportColumnMapInput,
  ImportFileInput,
  ImportPresetOptions,
  PathImportJob,
  PathImportOptions,
} from './imports/import-service.js';
export type { ImportProgress, ImportResult, ImportRowError } from './imports/import-types.js';
export { backoffDelay, type EnqueueOptions, type JobPage } from './jobs/job-runner.js';
export type { JobState, JobStatusView } from './jobs/job-status.js';
export {
  type Job,
  type JobContext,
  type JobDefinition,
  JobInterruptedError,
  JobLockLostError,
  type JobStatus,
} from './jobs/job-types.js';
export { hashApiKey } from './keys/key-service.js';
export type { ApiKeyInfo, CreatedApiKey, KeyResolution } from './keys/key-types.js';
export { type RosterLogger, silentLogger } from './logger.js';
export { type FetchLike, MigrateSourceError } from './migrate/migrate-http.js';
export {
  MIGRATE_JOB_TYPE,
  type MigrateJob,
  type MigrateJobInfo,
  type MigrateJobProgress,
  type MigrationJobs,
} from './migrate/migrate-job.js';
export type { StartMigrationInput } from './migrate/migrate-schemas.js';
export type { MigrateService } from './migrate/migrate-service.js';
export type {
  MigrateCounts,
  MigrateOptions,
  MigrateProgress,
  MigrateSourceName,
  MigrateSummary,
} from './migrate/migrate-types.js';
export type {
  ReadinessCheck,
  ReadinessReport,
  ReadyOptions,
  RosterStats,
} from './operations/operations-service.js';
export type {
  AuditOptions,
  EventsOptions,
  ImportsOptions,
  JobsOptions,
  LimitsOptions,
  ResolvedJobsOptions,
  ResolvedLimits,
  ResolvedRosterOptions,
  ResolvedWebhooksOptions,
  RosterOptions,
  SegmentsOptions,
  SqliteOptions,
  WebhooksOptions,
} from './options.js';
export type { ChangeEventType, ContactField } from './outbox/outbox-types.js';
export type { Project } from './projects/project-types.js';
export type { PropertyService } from './properties/property-service.js';
export type { ContactProperty, PropertyType } from './properties/property-types.js';
export type {
  RateLimitDecision,
  RateLimitRule,
  RateLimitService,
} from './rate-limits/rate-limit-service.js';
export { createRoster, type Roster } from './roster.js';
export type { Filter, FilterCondition, FilterGroup } from './segments/filter-types.js';
export type { Page } from './segments/segment-service.js';
export type { Segment } from './segments/segment-types.js';
export type { StatsService } from './stats/stats-service.js';
export {
  type InboundResult,
  type InboundService,
  verifyStandardWebhook,
} from './suppressions/suppression-inbound.js';
export type { SuppressionService } from './suppressions/suppression-service.js';
export {
  type AddSuppressionResult,
  type InboundSettings,
  SUPPRESSION_ORIGINS,
  type Suppression,
  type SuppressionOrigin,
  type SuppressionPage,
} from './suppressions/suppression-types.js';
export type {
  JobRunEvent,
  TelemetryEvent,
  TelemetryListener,
  WebhookAttemptEvent,
} from './telemetry.js';
export type { TopicService } from './topics/topic-service.js';
export type {
  ContactTopic,
  Topic,
  TopicChange,
  TopicSubscription,
  TopicVisibility,
} from './topics/topic-types.js';
export { parseInput } from './validation.js';
export {
  decideWebhookTarget,
  type ResolvedAddress,
  type TargetDecision,
  type WebhookResolver,
} from './webhooks/webhook-target.js';
export type {
  CreatedWebhookEndpoint,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookSecret,
  WebhookTestResult,
} from './webhooks/webhook-types.js';
