/**
 * `@roster/core/schemas`: the zod schemas core validates its input with, their input types, the
 * limits and defaults they enforce (`MAX_*`, `DEFAULT_*`) and the lists of allowed values. The HTTP
 * layer reuses them for its OpenAPI documents; an app can validate early with the same rules.
 */

export {
  audienceIdSchema,
  type CreateAudienceInput,
  createAudienceSchema,
  MAX_AUDIENCE_DESCRIPTION_LENGTH,
  MAX_AUDIENCE_NAME_LENGTH,
  type UpdateAudienceInput,
  updateAudienceSchema,
} from './audiences/audience-schemas.js';
export {
  DEFAULT_AUDIT_RETENTION_DAYS,
  type ListAuditInput,
  listAuditSchema,
  MAX_AUDIT_ACTION_LENGTH,
  MAX_AUDIT_ACTOR_LENGTH,
  MAX_AUDIT_DETAIL_BYTES,
  MAX_AUDIT_PAGE,
  MAX_AUDIT_TARGET_LENGTH,
  type RecordAuditInput,
  recordAuditSchema,
} from './audit/audit-schemas.js';
export {
  type BulkApplyInput,
  type BulkQueryInput,
  bulkApplySchema,
  bulkIdsSchema,
  bulkQuerySchema,
  MAX_BULK_EXCLUDE_IDS,
  MAX_BULK_SEARCH_LENGTH,
} from './bulk/bulk-schemas.js';
export {
  BULK_OPERATIONS,
  BULK_QUERY_OPERATIONS,
  type BulkOperation,
  type BulkQueryOperation,
} from './bulk/bulk-types.js';
export { type ListChangesInput, listChangesSchema } from './changes/change-schemas.js';
export {
  type ConsentSettingsInput,
  consentSettingsSchema,
  DEFAULT_CONSENT_SECRET_OVERLAP_MS,
  type RequestConfirmationInput,
  type RotateConsentSecretInput,
  requestConfirmationSchema,
  rotateConsentSecretSchema,
  type SavePreferencesInput,
  savePreferencesSchema,
} from './consent/consent-schemas.js';
export { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from './contacts/contact-fields.js';
export {
  type BulkCreateContactsInput,
  bulkCreateContactsSchema,
  type CreateContactInput,
  contactDataSchema,
  createContactSchema,
  emailSchema,
  type ListContactsInput,
  type ListOffsetInput,
  listContactsSchema,
  listOffsetSchema,
  MAX_BULK_CREATE,
  MAX_CREATE_SEGMENTS,
  MAX_LIST_OFFSET,
  MAX_PAGE_SIZE,
  type StreamContactsInput,
  streamContactsSchema,
  subscribedSchema,
  type UpdateContactInput,
  type UpsertContactInput,
  updateContactSchema,
  upsertContactSchema,
} from './contacts/contact-schemas.js';
export { DEFAULT_OFFSET_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './contacts/contact-service.js';
export { MAX_ERROR_ISSUES, MAX_ERROR_MESSAGE, MAX_ERROR_TEXT } from './errors.js';
export {
  type ListEventsInput,
  listEventsSchema,
  MAX_EVENT_NAME_LENGTH,
  type TrackEventInput,
  trackEventSchema,
} from './events/event-schemas.js';
export { DEFAULT_IDEMPOTENCY_TTL_MS } from './idempotency/idempotency-service.js';
export { CSV_DATA_TYPES } from './imports/csv-format.js';
export {
  IMPORT_PRESETS,
  MAILCHIMP_STATUSES,
  MAP_FIELDS,
  MAX_IMPORT_MAP_ENTRIES,
} from './imports/import-presets.js';
export {
  IMPORT_COLUMN_TYPES,
  IMPORT_ON_CONFLICT,
  type ImportColumnMap,
  type ImportOnConflict,
  importColumnMapSchema,
  importContactOptionsSchema,
  MAX_IMPORT_COLUMN_NAME,
  MAX_IMPORT_MAPPED_PROPERTIES,
  MAX_IMPORT_SEGMENTS,
} from './imports/import-schemas.js';

export { MAX_KEPT_IMPORT_ERRORS } from './imports/import-types.js';
export { createKeySchema } from './keys/key-schemas.js';
export { startMigrationSchema } from './migrate/migrate-schemas.js';
export {
  DEFAULT_MIGRATE_CONCURRENCY,
  MAX_MIGRATE_CONCURRENCY,
  MIGRATE_DEFAULT_URLS,
  MIGRATE_SOURCES,
} from './migrate/migrate-types.js';
export { DEFAULT_LIMITS, DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS } from './options.js';
export {
  CONTACT_CHANGE_TYPES,
  type ContactChangeType,
  JOB_CHANGE_TYPES,
  type JobChangeType,
  type SegmentChangeType,
} from './outbox/outbox-types.js';
export {
  type CreatePropertyInput,
  createPropertySchema,
  MAX_PROPERTIES,
  MAX_PROPERTY_FALLBACK_LENGTH,
  MAX_PROPERTY_KEY_LENGTH,
  PROPERTY_KEY_PATTERN,
  propertyKeySchema,
  type UpdatePropertyInput,
  updatePropertySchema,
} from './properties/property-schemas.js';
export { PROPERTY_TYPES } from './properties/property-types.js';
export { MAX_RATE_LIMIT } from './rate-limits/rate-limit-service.js';
export {
  FILTER_OPERATORS,
  type FilterOperator,
  MAX_FILTER_DEPTH,
  MAX_FILTERS,
  MAX_WINDOW_DAYS,
  TIME_UNITS,
  type TimeUnit,
} from './segments/filter-types.js';
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
export type { SegmentType } from './segments/segment-types.js';
export {
  DEFAULT_OVERVIEW_DAYS,
  MAX_OVERVIEW_DAYS,
  type OverviewInput,
  overviewSchema,
} from './stats/stats-schemas.js';
export {
  type AddSuppressionInput,
  addSuppressionSchema,
  type ConfigureInboundInput,
  configureInboundSchema,
  MAX_SUPPRESSION_BATCH,
  MAX_SUPPRESSION_REASON_LENGTH,
} from './suppressions/suppression-schemas.js';

export {
  type CreateTopicInput,
  createTopicSchema,
  MAX_TOPIC_DESCRIPTION_LENGTH,
  MAX_TOPIC_NAME_LENGTH,
  MAX_TOPICS,
  type SetContactTopicsInput,
  setContactTopicsSchema,
  topicSubscriptionSchema,
  type UpdateTopicInput,
  updateTopicSchema,
} from './topics/topic-schemas.js';
export {
  TOPIC_SUBSCRIPTIONS,
  TOPIC_VISIBILITIES,
  type TopicSubscription,
  type TopicVisibility,
} from './topics/topic-types.js';
export {
  type CreateWebhookEndpointInput,
  createWebhookEndpointSchema,
  type ListWebhookDeliveriesInput,
  listWebhookDeliveriesSchema,
  MAX_WEBHOOK_DELIVERY_PAGE,
  MAX_WEBHOOK_DESCRIPTION_LENGTH,
  MAX_WEBHOOK_EVENT_TYPES,
  MAX_WEBHOOK_URL_LENGTH,
  type ReplayWebhookInput,
  type RotateWebhookSecretInput,
  replayWebhookSchema,
  rotateWebhookSecretSchema,
  type UpdateWebhookEndpointInput,
  updateWebhookEndpointSchema,
} from './webhooks/webhook-schemas.js';
export { MAX_WEBHOOK_ATTEMPTS_LISTED, MAX_WEBHOOK_REPLAY } from './webhooks/webhook-service.js';
export { WEBHOOK_SECRET_PREFIX } from './webhooks/webhook-signing.js';
export {
  MAX_RESPONSE_EXCERPT_BYTES,
  MAX_WEBHOOK_ENDPOINTS,
  WEBHOOK_TEST_EVENT_TYPE,
} from './webhooks/webhook-types.js';
