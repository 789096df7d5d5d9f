export {
  audienceIdSchema,
  type CreateAudienceInput,
  createAudienceSchema,
  MAX_AUDIENCE_DESCRIPTION_LENGTH,
  MAX_AUDIENCE_NAME_LENGTH,
  type UpdateAudienceInput,
  updateAudienceSchema,
} from './audiences/audience-schemas.js';
export type { AudienceService } from './audiences/audience-service.js';
export type { Audience, AudienceWithCount } from './audiences/audience-types.js';
export {
  type BulkApplyInput,
  type BulkQueryInput,
  bulkApplySchema,
  bulkIdsSchema,
  bulkQuerySchema,
  MAX_BULK_EXCLUDE_IDS,
  MAX_BULK_SEARCH_LENGTH,
} from './bulk/bulk-schemas.js';
export type { BulkService } from './bulk/bulk-service.js';
export {
  BULK_JOB_TYPE,
  BULK_OPERATIONS,
  BULK_QUERY_OPERATIONS,
  type BulkJobPayload,
  type BulkJobResult,
  type BulkOperation,
  type BulkOutcome,
  type BulkQueryOperation,
} from './bulk/bulk-types.js';
export type {
  ChangeFeed,
  ChangeHandler,
  OutboxConsumerOptions,
  OutboxHandler,
  SubscribeOptions,
  Unsubscribe,
} from './changes/change-feed.js';
export type { ChangeService } from './changes/change-service.js';
export {
  type ChangeEvent,
  type ChangeEventType,
  type ChangePage,
  CONTACT_CHANGE_TYPES,
  type ContactChangeType,
  type ContactDeletedData,
  type ContactEventData,
  type ContactField,
  type ContactUpdatedData,
  JOB_CHANGE_TYPES,
  type JobChangeType,
  type ListChangesInput,
  listChangesSchema,
  type OutboxEvent,
  type SegmentChangeType,
} from './changes/change-types.js';
export type { Clock } from './clock.js';
export { applyDataPatch, RESERVED_DATA_KEYS, toDataPatch } from './contacts/contact-data.js';
export {
  type ContactFieldProblem,
  isValidEmail,
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  normaliseEmail,
  validateContactFields,
} from './contacts/contact-fields.js';
export type {
  BulkCreateContactsInput,
  CreateContactInput,
  ListContactsInput,
  ListOffsetInput,
  StreamContactsInput,
  UpdateContactInput,
  UpsertContactInput,
} from './contacts/contact-schemas.js';
export {
  bulkCreateContactsSchema,
  contactDataSchema,
  createContactSchema,
  emailSchema,
  listContactsSchema,
  listOffsetSchema,
  MAX_BULK_CREATE,
  MAX_LIST_OFFSET,
  MAX_PAGE_SIZE,
  streamContactsSchema,
  subscribedSchema,
  updateContactSchema,
  upsertContactSchema,
} from './contacts/contact-schemas.js';
export type { ContactService } from './contacts/contact-service.js';
export {
  CONTACT_EXISTS_MESSAGE,
  DEFAULT_OFFSET_PAGE_SIZE,
  DEFAULT_PAGE_SIZE,
} from './contacts/contact-service.js';
export type { BulkCreateResult, Contact, ContactPage, UpsertResult } from './contacts/contact-types.js';
export { checkEmail, type EmailCheck } from './contacts/email-check.js';
export { MissingDriverError } from './db/connection.js';
export type { DialectInfo, DialectName } from './db/dialect.js';
export type { Database } from './db/schema.js';
export {
  clipText,
  type FieldIssue,
  isRosterError,
  MAX_ERROR_ISSUES,
  MAX_ERROR_MESSAGE,
  MAX_ERROR_TEXT,
  ROSTER_ERROR_CODES,
  RosterError,
  type RosterErrorCode,
  type RosterErrorDetails,
  type RosterErrorDetailsByCode,
} from './errors.js';
export type { EventService } from './events/event-service.js';
export {
  type ContactEvent,
  isReservedEventName,
  type ListEventsInput,
  listEventsSchema,
  MAX_EVENT_NAME_LENGTH,
  type TrackEventInput,
  type TrackResult,
  trackEventSchema,
} from './events/event-types.js';
export {
  DEFAULT_IDEMPOTENCY_TTL_MS,
  IDEMPOTENCY_CLEANUP_JOB_TYPE,
  type IdempotencyClaim,
  type IdempotencyClaimHolder,
  type IdempotencyService,
} from './idempotency/idempotency-service.js';
export { isUuid, uuidv7 } from './ids.js';
export {
  CSV_DATA_TYPES,
  type CsvDataType,
  csvDataType,
  DATA_COLUMN_PREFIX,
  type DataKeyTypes,
  type DataValueType,
  dataColumnName,
  escapeFormula,
  isSpecialColumnName,
  parseTypedCell,
  parseTypedDataKey,
  typedDataHeader,
  typedDataText,
  unescapeFormula,
} from './imports/csv-format.js';
export { type CsvWriteOptions, contactsCsv, csvDataCell, csvField, csvQuoted } from './imports/csv-writer.js';
export { IMPORT_JOB_TYPE, IMPORT_JOB_TYPES, LOCAL_IMPORT_JOB_TYPE } from './imports/import-job.js';
export type {
  ImportFileInput,
  ImportService,
  PathImportJob,
  PathImportOptions,
} from './imports/import-service.js';
export {
  type ImportJobPayload,
  type ImportProgress,
  type ImportResult,
  type ImportRowError,
  type ImportSource,
  type LiveImportProgress,
  MAX_KEPT_IMPORT_ERRORS,
} from './imports/import-types.js';
export { backoffDelay, type EnqueueOptions, type JobPage, type JobRunner } from './jobs/job-runner.js';
export { type JobState, type JobStatusView, toJobStatus } from './jobs/job-status.js';
export {
  type Job,
  type JobContext,
  type JobDefinition,
  JobInterruptedError,
  JobLockLostError,
  type JobStatus,
} from './jobs/job-types.js';
export { createKeySchema } from './keys/key-schemas.js';
export { hashApiKey, type KeyService } from './keys/key-service.js';
export type { ApiKeyInfo, CreatedApiKey, KeyResolution } from './keys/key-types.js';
export type {
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
export { DEFAULT_LIMITS, DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS } from './options.js';
export type { ProjectService } from './projects/project-service.js';
export type { Project } from './projects/project-types.js';
export { createRoster, type Roster } from './roster.js';
export { compileFilter, type FilterContext, type SegmentReference } from './segments/filter-compile.js';
export {
  FILTER_OPERATORS,
  type Filter,
  type FilterCondition,
  type FilterGroup,
  type FilterOperator,
  MAX_FILTER_DEPTH,
  MAX_FILTERS,
  MAX_WINDOW_DAYS,
  TIME_UNITS,
  type TimeUnit,
} from './segments/filter-types.js';
export { validateFilterCondition } from './segments/filter-validate.js';
export {
  type CreateSegmentInput,
  createSegmentSchema,
  filterConditionSchema,
  MAX_SEGMENT_DESCRIPTION_LENGTH,
  MAX_SEGMENT_MEMBER_EMAILS,
  MAX_SEGMENT_NAME_LENGTH,
  MAX_SEGMENT_PAGE_SIZE,
  type SegmentContactsInput,
  type SegmentMembersInput,
  segmentContactsSchema,
  segmentMembersSchema,
  type UpdateSegmentInput,
  updateSegmentSchema,
} from './segments/segment-schemas.js';
export { type Page, SEGMENTS_REFRESH_JOB_TYPE, type SegmentService } from './segments/segment-service.js';
export { type Segment, type SegmentType, segmentSlug } from './segments/segment-types.js';
export { parseInput } from './validation.js';
export { WEBHOOK_DELIVERY_JOB_TYPE } from './webhooks/webhook-delivery.js';
export {
  MAX_WEBHOOK_ATTEMPTS_LISTED,
  MAX_WEBHOOK_REPLAY,
  type WebhookService,
} from './webhooks/webhook-service.js';
export {
  generateWebhookSecret,
  signWebhook,
  WEBHOOK_SECRET_PREFIX,
  webhookHeaders,
} from './webhooks/webhook-signing.js';
export {
  type AddressClass,
  classifyAddress,
  decideWebhookTarget,
  type ResolvedAddress,
  type TargetDecision,
  type WebhookResolver,
} from './webhooks/webhook-target.js';
export {
  type CreatedWebhookEndpoint,
  type CreateWebhookEndpointInput,
  createWebhookEndpointSchema,
  isWebhookEventPattern,
  type ListWebhookDeliveriesInput,
  listWebhookDeliveriesSchema,
  MAX_RESPONSE_EXCERPT_BYTES,
  MAX_WEBHOOK_DELIVERY_PAGE,
  MAX_WEBHOOK_DESCRIPTION_LENGTH,
  MAX_WEBHOOK_ENDPOINTS,
  MAX_WEBHOOK_EVENT_TYPES,
  MAX_WEBHOOK_URL_LENGTH,
  matchesEventType,
  type ReplayWebhookInput,
  type RotateWebhookSecretInput,
  replayWebhookSchema,
  rotateWebhookSecretSchema,
  type UpdateWebhookEndpointInput,
  updateWebhookEndpointSchema,
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_TEST_EVENT_TYPE,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryPage,
  type WebhookDeliveryStatus,
  type WebhookEndpoint,
  type WebhookEventType,
  type WebhookSecret,
  type WebhookTestResult,
} from './webhooks/webhook-types.js';
