import type {
  ApiKeyInfo,
  ConfirmationRequest,
  ConsentSettings,
  ConsentStatus,
  ContactEvent,
  ContactProperty,
  ContactTopic,
  CreatedApiKey,
  CreatedWebhookEndpoint,
  Topic,
  WebhookDeliveryPage,
  WebhookSecret,
} from '@roster/core';
import type { toImportView, toJobView } from '@roster/core/internal';
import {
  consentSettingsSchema,
  createKeySchema,
  createPropertySchema,
  createTopicSchema,
  createWebhookEndpointSchema,
  DEFAULT_OVERVIEW_DAYS,
  IMPORT_PRESETS,
  MAX_OVERVIEW_DAYS,
  MAX_RESPONSE_EXCERPT_BYTES,
  MAX_WEBHOOK_ATTEMPTS_LISTED,
  MAX_WEBHOOK_DELIVERY_PAGE,
  MAX_WEBHOOK_REPLAY,
  replayWebhookSchema,
  requestConfirmationSchema,
  rotateConsentSecretSchema,
  rotateWebhookSecretSchema,
  setContactTopicsSchema,
  updatePropertySchema,
  updateTopicSchema,
  updateWebhookEndpointSchema,
} from '@roster/core/schemas';
import {
  type AuditEntry,
  type ContactPropertyView,
  type ContactTopicView,
  PROPERTY_TYPE_VALUES,
  TOPIC_SUBSCRIPTION_VALUES,
  TOPIC_VISIBILITY_VALUES,
  type TopicView,
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookTestResult,
} from '@roster/core/wire';
import { z } from 'zod';
import {
  assertSameType,
  buildDocument,
  cachedDocument,
  described,
  type JsonObject,
  type OpenApiOptions,
  type OperationSpec,
  type ParameterSpec,
  type ResourceOperationSpec,
  type ResponseSpec,
  resourceOperations,
} from './document.js';
import {
  AT,
  dataListSchema,
  exportFormatParam,
  exportResponse,
  JOB_ID,
  jobIdParam,
  keysetPageSchema,
  LATER,
  PROJECT_ID,
  pathIdParam,
  plunkErrorResponse,
  plunkFieldError,
  plunkUnauthorized,
} from './examples.js';
import { plunkContactPageSchema, plunkErrorComponent } from './plunk.js';
import {
  migrateJobSummarySchema,
  migrationOperations,
  migrationRequests,
  migrationTags,
} from './roster-migrations.js';
import {
  suppressionOperations,
  suppressionRequests,
  suppressionSchemas,
  suppressionTags,
} from './roster-suppressions.js';
import { unosendContactSchema } from './unosend.js';

// ---- wire formats (tied to the types the router answers by the compile-time checks below) ------

const rosterProjectSchema = z.object({ id: z.uuid(), name: z.string(), createdAt: z.iso.datetime() });

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .describe('A UTC day, `YYYY-MM-DD`');
const count = z.number().int();
const rosterOverviewSchema = z.object({
  days: count.describe('How many days, today included'),
  from: isoDay,
  to: isoDay.describe('Today (UTC)'),
  contacts: z.object({ total: count, subscribed: count }).describe('Now'),
  daily: z
    .array(
      z.object({
        day: isoDay,
        total: count.describe('Contacts at the end of the day'),
        subscribed: count.describe('Subscribed contacts at the end of the day'),
        added: count.describe('Contacts created that day (`imported` + `api`)'),
        removed: count.describe('Contacts deleted that day'),
        imported: count.describe('Created by a CSV import'),
        api: count.describe('Created any other way'),
      }),
    )
    .describe('One entry per day, oldest first'),
  jobs: z
    .array(
      z.object({
        day: isoDay,
        imports: count.describe('Imports queued that day'),
        bulk: count.describe('Bulk jobs queued that day'),
        failed: count.describe('Of both, the ones that failed'),
      }),
    )
    .describe('One entry per day, oldest first'),
  webhooks: z
    .array(
      z.object({
        id: z.uuid(),
        url: z.string(),
        enabled: z.boolean(),
        succeeded: count,
        failed: count,
        pending: count,
      }),
    )
    .describe('Each endpoint’s deliveries created in those days, by status; oldest endpoint first'),
});

const rosterKeySchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  prefix: z.string(),
  lastFour: z.string(),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});
const rosterCreatedKeySchema = rosterKeySchema.extend({
  key: z.string().describe('The whole key: stored only as a hash, shown this once'),
});
const rosterKeyListSchema = dataListSchema(rosterKeySchema);

const rosterImportSchema = z.object({
  id: z.uuid(),
  state: z.enum(['waiting', 'active', 'completed', 'failed']),
  progress: z.int().min(0).max(100),
  rows: z.object({
    total: z.int().min(0),
    created: z.int().min(0),
    updated: z.int().min(0),
    failed: z.int().min(0),
    suppressed: z
      .int()
      .min(0)
      .describe('Rows applied whose address is suppressed: their contact was written but stays unsubscribed'),
  }),
  errors: z.array(z.object({ row: z.int().min(1), email: z.string(), error: z.string() })),
  failedReason: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const rosterJobSchema = z.object({
  id: z.uuid(),
  type: z
    .string()
    .describe(
      '`import`, `import.local` (a CLI import of a file on its own disk), `bulk` or `migrate` (or another type named in `type`)',
    ),
  state: z.enum(['waiting', 'active', 'completed', 'failed']),
  progress: z.int().min(0).max(100),
  attempts: z.int().min(0),
  summary: z
    .union([
      z.object({
        kind: z.literal('import'),
        file: z.string().nullable().describe('The uploaded file’s name, if it had one'),
        rows: z.object({
          total: z.int().min(0),
          created: z.int().min(0),
          updated: z.int().min(0),
          failed: z.int().min(0),
        }),
      }),
      z.object({
        kind: z.literal('bulk'),
        operation: z.string(),
        requested: z.int().min(0),
        succeeded: z.int().min(0),
        unchanged: z.int().min(0),
        failed: z.int().min(0),
      }),
      migrateJobSummarySchema,
    ])
    .nullable()
    .describe('Counts so far (final once completed); null for other job types'),
  failedReason: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
const rosterJobPageSchema = keysetPageSchema(rosterJobSchema);
const rosterExportSchema = dataListSchema(unosendContactSchema);

assertSameType<z.output<typeof rosterJobSchema>, ReturnType<typeof toJobView>>(true);
const webhookEndpointSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z
    .enum(['failing', 'user'])
    .nullable()
    .describe('`failing`: disabled by roster after failing for 24 h; `user`: disabled through the API'),
  failingSince: z.iso.datetime().nullable().describe('Since when every attempt has failed'),
  previousSecretExpiresAt: z.iso
    .datetime()
    .nullable()
    .describe('Until when the rotated-out secret still signs beside the current one'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const webhookCreatedSchema = webhookEndpointSchema.extend({
  secret: z
    .string()
    .describe('`whsec_` + base64: verify signatures with it (also at `GET /webhooks/{id}/secret`)'),
});
const webhookListSchema = dataListSchema(webhookEndpointSchema);
const webhookSecretSchema = z.object({
  secret: z.string(),
  previousSecret: z.string().nullable(),
  previousSecretExpiresAt: z.iso.datetime().nullable(),
});
const webhookDeliverySchema = z.object({
  id: z.uuid(),
  endpointId: z.uuid(),
  messageId: z.string().describe('The `webhook-id` header: the event id, the same on every retry and replay'),
  eventType: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attemptCount: z.int().min(0),
  nextAttemptAt: z.iso.datetime().nullable(),
  lastStatusCode: z.int().nullable(),
  lastError: z.string().nullable(),
  body: z.string().describe('The JSON body sent, exactly as signed'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
const webhookDeliveryPageSchema = z.object({
  data: z.array(webhookDeliverySchema),
  nextCursor: z.string().nullable(),
});
const webhookAttemptSchema = z.object({
  id: z.uuid(),
  deliveryId: z.uuid(),
  number: z.int().min(1),
  startedAt: z.iso.datetime(),
  statusCode: z.int().nullable(),
  latencyMs: z.int().min(0),
  responseExcerpt: z
    .string()
    .nullable()
    .describe(`At most ${MAX_RESPONSE_EXCERPT_BYTES / 1024} KB of the response body`),
  error: z.string().nullable(),
});
const webhookAttemptListSchema = dataListSchema(webhookAttemptSchema);
const webhookTestSchema = z.object({ delivery: webhookDeliverySchema, attempt: webhookAttemptSchema });
const webhookReplaySchema = z.object({ replayed: z.int().min(0) });

const topicSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  defaultSubscription: z
    .enum(TOPIC_SUBSCRIPTION_VALUES)
    .describe('The subscription of every contact that has not chosen one; fixed at creation'),
  visibility: z.enum(TOPIC_VISIBILITY_VALUES),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const topicListSchema = dataListSchema(topicSchema);
const contactTopicSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  subscription: z.enum(TOPIC_SUBSCRIPTION_VALUES).describe('The contact’s choice, else the topic’s default'),
  explicit: z.boolean().describe('Whether `subscription` is the contact’s own choice'),
});
const contactTopicListSchema = dataListSchema(contactTopicSchema);
const setContactTopicsBody = z.object({ topics: setContactTopicsSchema });
const propertySchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  key: z.string(),
  type: z.enum(PROPERTY_TYPE_VALUES),
  fallbackValue: z.union([z.string(), z.number()]).nullable(),
  createdAt: z.iso.datetime(),
});
const propertyListSchema = dataListSchema(propertySchema);
const auditEntrySchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  createdAt: z.iso.datetime(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
const auditPageSchema = keysetPageSchema(auditEntrySchema);

const confirmationSchema = z.object({
  url: z.url().describe('The confirmation page: `<publicUrl>/confirm/<token>`'),
  token: z.string(),
  expiresAt: z.iso.datetime().describe('7 days after the request'),
});
const unsubscribeHeadersSchema = z.object({
  'List-Unsubscribe': z
    .string()
    .describe('`<https://…/unsubscribe/TOKEN>`: the one-click link (never expires)'),
  'List-Unsubscribe-Post': z.literal('List-Unsubscribe=One-Click'),
});
const consentStatusSchema = z.object({
  status: z
    .enum(['none', 'pending', 'confirmed'])
    .describe('`none`: the contact never took part in a double opt-in'),
  requestedAt: z.iso.datetime().nullable(),
  confirmedAt: z.iso.datetime().nullable(),
});
const contactEventSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  contactId: z.uuid(),
  name: z.string(),
  data: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('Tracked data; for consent records `source` and, over HTTP, `clientAddress`'),
  createdAt: z.iso.datetime(),
});
const contactEventListSchema = dataListSchema(contactEventSchema);
const consentSettingsViewSchema = z.object({
  projectId: z.uuid(),
  displayName: z.string().nullable(),
  logoUrl: z.string().nullable(),
  updatedAt: z.iso.datetime(),
  previousSecretExpiresAt: z.iso.datetime().nullable(),
});

assertSameType<z.output<typeof confirmationSchema>, ConfirmationRequest>(true);
assertSameType<z.output<typeof consentStatusSchema>, ConsentStatus>(true);
assertSameType<z.output<typeof contactEventSchema>, ContactEvent>(true);
assertSameType<z.output<typeof consentSettingsViewSchema>, ConsentSettings>(true);
assertSameType<z.output<typeof webhookEndpointSchema>, WebhookEndpoint>(true);
assertSameType<z.output<typeof webhookCreatedSchema>, CreatedWebhookEndpoint>(true);
assertSameType<z.output<typeof webhookSecretSchema>, WebhookSecret>(true);
assertSameType<z.output<typeof webhookDeliverySchema>, WebhookDelivery>(true);
assertSameType<z.output<typeof webhookDeliveryPageSchema>, WebhookDeliveryPage>(true);
assertSameType<z.output<typeof webhookAttemptSchema>, WebhookAttempt>(true);
assertSameType<z.output<typeof webhookTestSchema>, WebhookTestResult>(true);
assertSameType<z.output<typeof rosterKeySchema>, ApiKeyInfo>(true);
assertSameType<z.output<typeof topicSchema>, Topic>(true);
assertSameType<z.output<typeof topicSchema>, TopicView>(true);
assertSameType<z.output<typeof contactTopicSchema>, ContactTopic>(true);
assertSameType<z.output<typeof contactTopicSchema>, ContactTopicView>(true);
assertSameType<z.output<typeof propertySchema>, ContactProperty>(true);
assertSameType<z.output<typeof propertySchema>, ContactPropertyView>(true);
assertSameType<z.output<typeof rosterCreatedKeySchema>, CreatedApiKey>(true);
assertSameType<z.output<typeof auditEntrySchema>, AuditEntry>(true);
assertSameType<z.output<typeof rosterImportSchema>, ReturnType<typeof toImportView>>(true);

// ---- examples ---------------------------------------------------------------------------------------

/** 10000 as `10 000`. */
const spacedThousands = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ' ');

const KEY_ID = '0193a1b2-9a00-7b11-8c22-3d44e55f6a7b';

const unauthorized = plunkUnauthorized;

/** The upload of `POST /imports`: the router's multipart fields, not a core schema. */
const rosterImportForm = z.object({
  file: z.string().meta({
    description: 'The CSV file, e.g. one written by `GET /contacts/export`',
    contentMediaType: 'text/csv',
  }),
  audience_id: z.string().optional().meta({ description: 'Put every imported contact in this audience' }),
  preset: z
    .enum(IMPORT_PRESETS)
    .optional()
    .meta({
      description:
        'Read another tool’s export instead of roster’s CSV: `mailchimp` (one CSV of its audience export; ' +
        'the file name tells subscribed, unsubscribed or cleaned members) or `listmonk` (its subscriber export)',
    }),
});
const keyExample = {
  id: KEY_ID,
  projectId: PROJECT_ID,
  prefix: 'sk_',
  lastFour: '9f3a',
  createdAt: AT,
  revokedAt: null,
};

const jobExample = {
  id: JOB_ID,
  type: 'import',
  state: 'completed',
  progress: 100,
  attempts: 1,
  summary: { kind: 'import', file: 'people.csv', rows: { total: 3, created: 1, updated: 1, failed: 1 } },
  createdAt: AT,
  updatedAt: LATER,
  finishedAt: LATER,
};
const CONTACT_ID = '0193a1b2-7000-7c00-8d00-0e0f10111213';
const contactExample = {
  id: CONTACT_ID,
  email: 'ada@example.com',
  subscribed: true,
  data: { plan: 'pro' },
  projectId: PROJECT_ID,
  createdAt: AT,
  updatedAt: AT,
};
const exportExample = {
  id: CONTACT_ID,
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: 'Lovelace',
  audience_id: null,
  subscribed: true,
  metadata: { plan: 'pro' },
  created_at: AT,
  updated_at: AT,
};
const segmentNotFound = plunkErrorResponse(
  'No segment with this `segment_id` in the project',
  'SEGMENT_NOT_FOUND',
  404,
  'Segment not found',
);
const contactFilterParams = [
  {
    name: 'search',
    in: 'query' as const,
    description: 'Only contacts whose email contains this (any case)',
    schema: z.string(),
    example: 'example.com',
  },
  {
    name: 'subscribed',
    in: 'query' as const,
    description: 'Only subscribed (`true`) or unsubscribed (`false`) contacts',
    schema: z.enum(['true', 'false']),
    example: 'true',
  },
  {
    name: 'audience_id',
    in: 'query' as const,
    description: 'Only contacts of this audience (another project’s audience matches nothing)',
    schema: z.string(),
  },
  {
    name: 'segment_id',
    in: 'query' as const,
    description: 'Only members of this segment (static or dynamic)',
    schema: z.string(),
  },
];

/** `limit` and `cursor` of roster's keyset pages (`GET /jobs`, `GET /contacts`). */
const keysetPageParams = [
  {
    name: 'limit',
    in: 'query' as const,
    description: 'Page size, 1–100 (default 20)',
    schema: z.string(),
    example: '20',
  },
  {
    name: 'cursor',
    in: 'query' as const,
    description: 'The `cursor` of the previous page',
    schema: z.string(),
  },
];

const WEBHOOK_ID = '0193a1b2-7c00-7d12-8e34-56789abcdef0';
const DELIVERY_ID = '0193a1b2-7d00-7e13-9f45-6789abcdef01';
const ATTEMPT_ID = '0193a1b2-7e00-7f14-8a56-789abcdef012';
const EVENT_ID = 'evt_0193a1b27d007e139f456789abcdef01';
const endpointExample = {
  id: WEBHOOK_ID,
  projectId: PROJECT_ID,
  url: 'https://crm.example.com/hooks/roster',
  description: 'CRM sync',
  eventTypes: ['contact.created', 'contact.updated', 'contact.deleted'],
  enabled: true,
  disabledReason: null,
  failingSince: null,
  previousSecretExpiresAt: null,
  createdAt: AT,
  updatedAt: AT,
};
const SECRET = 'whsec_Zm9yIGV4YW1wbGUgb25seSwgbm90IGEga2V5IQ==';
const deliveryExample = {
  id: DELIVERY_ID,
  endpointId: WEBHOOK_ID,
  messageId: EVENT_ID,
  eventType: 'contact.created',
  status: 'succeeded',
  attemptCount: 1,
  nextAttemptAt: null,
  lastStatusCode: 200,
  lastError: null,
  body: `{"type":"contact.created","timestamp":"${AT}","data":{"contact":{"id":"0193a1b2-6f00-7a10-9c3e-2b4d6f8a0c1f","email":"ada@example.com"}}}`,
  createdAt: AT,
  updatedAt: LATER,
  finishedAt: LATER,
};
const attemptExample = {
  id: ATTEMPT_ID,
  deliveryId: DELIVERY_ID,
  number: 1,
  startedAt: LATER,
  statusCode: 200,
  latencyMs: 12,
  responseExcerpt: 'ok',
  error: null,
};
const webhookIdParam = pathIdParam('id', 'The endpoint’s id', WEBHOOK_ID);
const deliveryIdParam = pathIdParam('deliveryId', 'The delivery’s id', DELIVERY_ID);
const webhookNotFound = plunkErrorResponse(
  'No webhook endpoint with this id in the project',
  'WEBHOOK_NOT_FOUND',
  404,
  'Webhook endpoint not found',
);
const deliveryNotFound = plunkErrorResponse(
  'No delivery with this id to this endpoint (or no such endpoint)',
  'WEBHOOK_DELIVERY_NOT_FOUND',
  404,
  'Webhook delivery not found',
);

const TOPIC_ID = '019a7d1e-5b2c-7c4d-9e8f-1a2b3c4d5e6f';
const PROPERTY_ID = '019a7d1e-6c3d-7d5e-8f90-2b3c4d5e6f70';
const SEGMENT_ID = '019a7d1e-7d4e-7e6f-9a01-3c4d5e6f7081';
const topicExample = {
  id: TOPIC_ID,
  projectId: PROJECT_ID,
  name: 'Product news',
  description: 'What we shipped this month',
  defaultSubscription: 'opt_in',
  visibility: 'public',
  createdAt: AT,
  updatedAt: AT,
};
const contactTopicExample = {
  id: TOPIC_ID,
  name: 'Product news',
  description: 'What we shipped this month',
  subscription: 'opt_out',
  explicit: true,
};
const propertyExample = {
  id: PROPERTY_ID,
  projectId: PROJECT_ID,
  key: 'plan',
  type: 'string',
  fallbackValue: 'free',
  createdAt: AT,
};
const topicNotFound = plunkErrorResponse(
  'No topic with this id in the project',
  'TOPIC_NOT_FOUND',
  404,
  'Topic not found',
);
const propertyNotFound = plunkErrorResponse(
  'No property with this id or key in the project',
  'CONTACT_PROPERTY_NOT_FOUND',
  404,
  'Contact property not found',
);

/**
 * One of roster's own resources as `registerResourceRoutes` serves it (`roster/router.ts`): its list
 * (`{ data }`), create (201), and its item's get, patch and delete (204), each of them answering 401
 * and the item's also `notFound`. What each says of itself is given here.
 */
interface RosterResource {
  /** The collection's path (e.g. `/topics`); the item's is `<path>/{<param.name>}`. */
  path: string;
  tag: string;
  param: ParameterSpec;
  notFound: ResponseSpec;
  /** The item's schema name and an example of it (the list's example holds it alone). */
  schema: string;
  example: unknown;
  list: { operationId: string; summary: string; schema: string; found: string };
  create: Pick<OperationSpec, 'operationId' | 'summary' | 'description' | 'body'> & {
    created: ResponseSpec;
    errors: Record<number, ResponseSpec>;
  };
  get: { operationId: string; summary: string; found: string };
  update: Pick<OperationSpec, 'operationId' | 'summary' | 'description' | 'body'> & {
    updated: ResponseSpec;
    errors: Record<number, ResponseSpec>;
  };
  remove: { operationId: string; summary: string; errors?: Record<number, ResponseSpec> };
  /** Further operations under the item's path (e.g. a webhook endpoint's `/secret`). */
  more?: ResourceOperationSpec[];
}

function rosterResourceOperations(r: RosterResource): OperationSpec[] {
  const { created, errors: createErrors, ...create } = r.create;
  const { updated, errors: updateErrors, ...update } = r.update;
  return [
    {
      method: 'get',
      path: r.path,
      operationId: r.list.operationId,
      summary: r.list.summary,
      tags: [r.tag],
      responses: {
        200: { description: r.list.found, schema: r.list.schema, example: { data: [r.example] } },
        401: plunkUnauthorized,
      },
    },
    {
      method: 'post',
      path: r.path,
      ...create,
      tags: [r.tag],
      responses: { 201: created, ...createErrors, 401: plunkUnauthorized },
    },
    ...resourceOperations(
      {
        path: `${r.path}/{${r.param.name}}`,
        tags: [r.tag],
        parameters: [r.param],
        responses: { 401: plunkUnauthorized, 404: r.notFound },
      },
      [
        {
          method: 'get',
          operationId: r.get.operationId,
          summary: r.get.summary,
          responses: { 200: { description: r.get.found, schema: r.schema, example: r.example } },
        },
        { method: 'patch', ...update, responses: { 200: updated, ...updateErrors } },
        {
          method: 'delete',
          operationId: r.remove.operationId,
          summary: r.remove.summary,
          responses: { 204: { description: 'Deleted' }, ...r.remove.errors },
        },
        ...(r.more ?? []),
      ],
    ),
  ];
}

const topicOperations: OperationSpec[] = [
  ...rosterResourceOperations({
    path: '/topics',
    tag: 'Topics',
    param: pathIdParam('id', 'The topic’s id', TOPIC_ID),
    notFound: topicNotFound,
    schema: 'RosterTopic',
    example: topicExample,
    list: {
      operationId: 'listTopics',
      summary: 'List the project’s topics',
      schema: 'RosterTopicList',
      found: 'The topics',
    },
    create: {
      operationId: 'createTopic',
      summary: 'Create a topic',
      description:
        '`defaultSubscription` (`opt_in` or `opt_out`) is what every contact that has not chosen gets; it cannot ' +
        'change later. `visibility` defaults to `private`.',
      body: {
        schema: 'RosterCreateTopicBody',
        example: {
          name: 'Product news',
          description: 'What we shipped this month',
          defaultSubscription: 'opt_in',
          visibility: 'public',
        },
      },
      created: { description: 'The new topic', schema: 'RosterTopic', example: topicExample },
      errors: {
        400: plunkFieldError(
          'A missing or invalid field',
          'defaultSubscription',
          'must be opt_in or opt_out',
        ),
      },
    },
    get: { operationId: 'getTopic', summary: 'A topic', found: 'The topic' },
    update: {
      operationId: 'updateTopic',
      summary: 'Change a topic’s name, description or visibility',
      body: { schema: 'RosterUpdateTopicBody', example: { name: 'Product news', visibility: 'private' } },
      updated: {
        description: 'The topic as changed',
        schema: 'RosterTopic',
        example: { ...topicExample, visibility: 'private', updatedAt: LATER },
      },
      errors: {
        400: plunkFieldError(
          'An invalid field, or `defaultSubscription` (fixed once created)',
          'defaultSubscription',
          'cannot be changed once the topic is created (delete and create the topic instead)',
        ),
      },
    },
    remove: {
      operationId: 'deleteTopic',
      summary: 'Delete a topic with every contact’s subscription to it',
      errors: {
        409: plunkErrorResponse(
          'A segment’s filter uses the topic: change or delete the segment first',
          'CONFLICT',
          409,
          `Topic ${TOPIC_ID} is used by the filter of segment "Readers" (${SEGMENT_ID}): change or delete the segment first`,
        ),
      },
    },
  }),
  ...resourceOperations(
    {
      path: '/contacts/{id}/topics',
      tags: ['Topics'],
      parameters: [pathIdParam('id', 'The contact’s id', CONTACT_ID)],
      responses: {
        401: plunkUnauthorized,
        404: plunkErrorResponse(
          'No contact with this id in the project',
          'CONTACT_NOT_FOUND',
          404,
          'Contact not found',
        ),
      },
    },
    [
      {
        method: 'get',
        operationId: 'listContactTopics',
        summary: 'A contact’s topics',
        description: 'Every topic of the project with the contact’s own choice, else the topic’s default.',
        responses: {
          200: {
            description: 'The topics with the contact’s subscription',
            schema: 'RosterContactTopicList',
            example: { data: [contactTopicExample] },
          },
        },
      },
      {
        method: 'put',
        operationId: 'setContactTopics',
        summary: 'Set a contact’s subscription to some topics',
        description:
          'Sets the named topics (others keep the contact’s subscription). A change of an effective subscription ' +
          'records `contact.updated` with `changed: ["topics"]`.',
        body: {
          schema: 'RosterSetContactTopicsBody',
          example: { topics: [{ id: TOPIC_ID, subscription: 'opt_out' }] },
        },
        responses: {
          200: {
            description: 'Every topic with the contact’s subscription, as changed',
            schema: 'RosterContactTopicList',
            example: { data: [contactTopicExample] },
          },
          400: plunkFieldError(
            'An invalid body, or a topic the project does not have',
            'topics.0.subscription',
            'must be opt_in or opt_out',
          ),
        },
      },
    ],
  ),
];

const CONSENT_TOKEN = 'AbMDWMVtg3ys2_JvWxUltlED9XPlFlepKtaoIHTp_AKO2vI3TqwrntpzDLKToWrePKDBkLixsPWFa2M';
const contactNotFound = plunkErrorResponse(
  'No contact with this id in the project',
  'CONTACT_NOT_FOUND',
  404,
  'Contact not found',
);
const consentSettingsExample = {
  projectId: PROJECT_ID,
  displayName: 'Acme News',
  logoUrl: 'https://acme.example/logo.png',
  updatedAt: AT,
  previousSecretExpiresAt: null,
};

const consentOperations: OperationSpec[] = [
  ...resourceOperations(
    {
      path: '/contacts/{id}',
      tags: ['Consent'],
      parameters: [pathIdParam('id', 'The contact’s id', CONTACT_ID)],
      responses: { 401: plunkUnauthorized, 404: contactNotFound },
    },
    [
      {
        method: 'post',
        subpath: '/confirmation',
        operationId: 'requestConfirmation',
        summary: 'Start a double opt-in: the confirmation link to send',
        description:
          'Marks an unsubscribed contact `pending` and returns its confirmation link (7 days). roster sends no ' +
          'email: send the link yourself. The page’s POST subscribes the contact, then redirects to `redirectUrl` ' +
          '(http or https) when given. Records `contact.confirmation_requested`.',
        body: {
          schema: 'RosterRequestConfirmationBody',
          example: { redirectUrl: 'https://app.example.com/welcome' },
        },
        responses: {
          201: {
            description: 'The confirmation link',
            schema: 'RosterConfirmation',
            example: {
              url: `https://lists.example.com/confirm/${CONSENT_TOKEN}`,
              token: CONSENT_TOKEN,
              expiresAt: LATER,
            },
          },
          400: plunkFieldError(
            'A redirect URL that is not http or https',
            'redirectUrl',
            'must be an http or https URL',
          ),
        },
      },
      {
        method: 'get',
        subpath: '/unsubscribe-headers',
        operationId: 'getUnsubscribeHeaders',
        summary: 'The RFC 8058 headers of an email to the contact',
        description:
          'Add both headers to each email: mail providers then offer one-click unsubscribe (a POST of ' +
          '`List-Unsubscribe=One-Click` to the link). `topic_id`: unsubscribe from that topic only.',
        parameters: [
          {
            name: 'topic_id',
            in: 'query',
            description: 'A topic of the project: the link unsubscribes from it only',
            schema: z.uuid(),
            example: TOPIC_ID,
          },
        ],
        responses: {
          200: {
            description: 'The headers',
            schema: 'RosterUnsubscribeHeaders',
            example: {
              'List-Unsubscribe': `<https://lists.example.com/unsubscribe/${CONSENT_TOKEN}>`,
              'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            },
          },
          400: plunkFieldError('A topic id that is not a UUID', 'topicId', 'must be a topic id'),
        },
      },
      {
        method: 'get',
        subpath: '/consent',
        operationId: 'getConsentStatus',
        summary: 'The contact’s double opt-in state',
        responses: {
          200: {
            description: 'The state',
            schema: 'RosterConsentStatus',
            example: { status: 'confirmed', requestedAt: AT, confirmedAt: LATER },
          },
        },
      },
      {
        method: 'get',
        subpath: '/events',
        operationId: 'listContactEvents',
        summary: 'The contact’s events, newest first (its activity timeline)',
        description:
          'Tracked events and the events roster records: every subscription change (`contact.subscribed`, ' +
          '`contact.unsubscribed`, `contact.topics_changed`, `contact.confirmation_requested`, `contact.confirmed`) ' +
          'with its `source` and, over HTTP, `clientAddress`: the consent record.',
        parameters: [
          {
            name: 'limit',
            in: 'query',
            description: 'At most this many (1 to 100, default 100)',
            schema: z.int().min(1).max(100),
            example: 50,
          },
        ],
        responses: {
          200: {
            description: 'The events',
            schema: 'RosterContactEventList',
            example: {
              data: [
                {
                  id: '0193a1b2-7f00-7000-8000-000000000001',
                  projectId: PROJECT_ID,
                  contactId: CONTACT_ID,
                  name: 'contact.unsubscribed',
                  data: { source: 'unsubscribe_link', clientAddress: '203.0.113.7' },
                  createdAt: AT,
                },
              ],
            },
          },
          400: plunkFieldError('A limit out of range', 'limit', 'must be an integer from 1 to 100'),
        },
      },
    ],
  ),
  {
    method: 'get',
    path: '/consent',
    operationId: 'getConsentSettings',
    summary: 'How the public consent pages show the project',
    tags: ['Consent'],
    responses: {
      200: { description: 'The settings', schema: 'RosterConsentSettings', example: consentSettingsExample },
      401: plunkUnauthorized,
    },
  },
  {
    method: 'patch',
    path: '/consent',
    operationId: 'updateConsentSettings',
    summary: 'Change the pages’ name and logo',
    tags: ['Consent'],
    body: {
      schema: 'RosterConsentSettingsBody',
      example: { displayName: 'Acme News', logoUrl: 'https://acme.example/logo.png' },
    },
    responses: {
      200: { description: 'The settings', schema: 'RosterConsentSettings', example: consentSettingsExample },
      400: plunkFieldError('A logo that is not an http(s) URL', 'logoUrl', 'must be an http or https URL'),
      401: plunkUnauthorized,
    },
  },
  {
    method: 'post',
    path: '/consent/rotate-secret',
    operationId: 'rotateConsentSecret',
    summary: 'Rotate the links’ signing secret',
    description:
      'New links use a new secret; links made with the previous one keep working for `overlapMs` (default 30 days), then stop.',
    tags: ['Consent'],
    body: { schema: 'RosterRotateConsentSecretBody', example: { overlapMs: 86400000 }, required: false },
    responses: {
      200: {
        description: 'The settings',
        schema: 'RosterConsentSettings',
        example: { ...consentSettingsExample, previousSecretExpiresAt: LATER },
      },
      400: plunkFieldError('A negative overlap', 'overlapMs', 'must not be negative'),
      401: plunkUnauthorized,
    },
  },
];

const propertyOperations = rosterResourceOperations({
  path: '/properties',
  tag: 'Properties',
  param: pathIdParam('idOrKey', 'The property’s id or its key', 'plan'),
  notFound: propertyNotFound,
  schema: 'RosterProperty',
  example: propertyExample,
  list: {
    operationId: 'listProperties',
    summary: 'List the project’s declared contact properties',
    schema: 'RosterPropertyList',
    found: 'The properties',
  },
  create: {
    operationId: 'createProperty',
    summary: 'Declare a contact property',
    description:
      'From then on every write of `data.<key>` (any API, CSV import, bulk, track) must give a value of `type`. ' +
      'Existing values are not checked. `key`: 1 to 50 letters, digits and underscores.',
    body: {
      schema: 'RosterCreatePropertyBody',
      example: { key: 'plan', type: 'string', fallbackValue: 'free' },
    },
    created: { description: 'The new property', schema: 'RosterProperty', example: propertyExample },
    errors: {
      400: plunkFieldError(
        'A missing or invalid field',
        'key',
        'must contain only letters (a-z, A-Z), digits and underscores',
      ),
      409: plunkErrorResponse(
        'The project already declares this key',
        'CONFLICT',
        409,
        'A contact property with key "plan" already exists',
      ),
    },
  },
  get: { operationId: 'getProperty', summary: 'A declared property', found: 'The property' },
  update: {
    operationId: 'updateProperty',
    summary: 'Change a property’s fallback value',
    description: 'Only `fallbackValue` changes (a value of the property’s type; null clears it).',
    body: { schema: 'RosterUpdatePropertyBody', example: { fallbackValue: 'starter' } },
    updated: {
      description: 'The property as changed',
      schema: 'RosterProperty',
      example: { ...propertyExample, fallbackValue: 'starter' },
    },
    errors: {
      400: plunkFieldError(
        'A fallback value of another type',
        'fallbackValue',
        'must be a string: the property plan is declared as string',
      ),
    },
  },
  remove: {
    operationId: 'deleteProperty',
    summary: 'Delete a property’s declaration (contacts keep their values)',
    errors: {
      409: plunkErrorResponse(
        'A segment’s filter uses `data.<key>`: change or delete the segment first',
        'CONFLICT',
        409,
        `The contact property plan is used by the filter of segment "Pro" (${SEGMENT_ID}): change or delete it first`,
      ),
    },
  },
});

const rosterOpenApiDocument = cachedDocument('/roster', (serverUrl) =>
  buildDocument({
    title: 'roster: management API',
    version: '0.1.0',
    description:
      'roster’s own routes beside the providers’ APIs: the key’s project, its API keys, an import’s row ' +
      'counts while it runs, the project’s recent jobs, the contacts list and export with every filter ' +
      'together, topics and each contact’s subscriptions, declared contact properties, signed webhooks (Standard Webhooks), suppressions and personal data. Secret keys as Bearer tokens; errors in Plunk’s envelope.',
    serverUrl,
    tags: [
      { name: 'Project', description: 'The project the key belongs to' },
      { name: 'Keys', description: 'API keys of the project' },
      { name: 'Imports', description: 'CSV imports started with `POST /contacts/import`' },
      { name: 'Jobs', description: 'The project’s recent imports and bulk jobs' },
      {
        name: 'Contacts',
        description: 'The contacts list and export with every filter together (what the dashboard uses)',
      },
      {
        name: 'Consent',
        description:
          'Double opt-in links, one-click unsubscribe headers (RFC 8058), a contact’s events (the consent record) and the public pages’ settings',
      },
      {
        name: 'Topics',
        description:
          'Kinds of email a contact opts in to or out of, and each contact’s subscriptions (the default applied)',
      },
      {
        name: 'Properties',
        description: 'Declared contact properties: a key of the contacts’ data with an enforced type',
      },
      {
        name: 'Audit',
        description:
          'The audit log: administrative actions (keys, webhooks, bulk deletes and unsubscribes, exports, imports, ' +
          'topics and properties) with time, actor, target and detail. Append-only: there is no write route',
      },
      {
        name: 'Webhooks',
        description:
          'Endpoints that receive change events, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, ' +
          '`webhook-signature`), with their deliveries and attempts',
      },
      ...suppressionTags,
      ...migrationTags,
    ],
    requests: {
      RosterCreateKeyBody: { schema: createKeySchema },
      RosterImportForm: { schema: rosterImportForm },
      RosterCreateWebhookBody: { schema: createWebhookEndpointSchema },
      RosterUpdateWebhookBody: { schema: updateWebhookEndpointSchema },
      RosterRotateWebhookSecretBody: { schema: rotateWebhookSecretSchema },
      RosterReplayWebhookBody: { schema: replayWebhookSchema },
      RosterCreateTopicBody: { schema: createTopicSchema },
      RosterUpdateTopicBody: { schema: updateTopicSchema },
      RosterSetContactTopicsBody: { schema: setContactTopicsBody },
      RosterCreatePropertyBody: { schema: createPropertySchema },
      RosterUpdatePropertyBody: { schema: updatePropertySchema },
      RosterRequestConfirmationBody: { schema: requestConfirmationSchema },
      RosterConsentSettingsBody: { schema: consentSettingsSchema },
      RosterRotateConsentSecretBody: { schema: rotateConsentSecretSchema },
      ...suppressionRequests,
      ...migrationRequests,
    },
    schemas: {
      RosterProject: described(rosterProjectSchema, 'A project'),
      RosterOverview: described(rosterOverviewSchema, 'The project’s numbers over its last days'),
      RosterKey: described(rosterKeySchema, 'An API key as listed (never the key itself)'),
      RosterCreatedKey: described(rosterCreatedKeySchema, 'A new API key, with the key shown once'),
      RosterKeyList: described(rosterKeyListSchema, 'The project’s API keys, oldest first'),
      RosterImport: described(rosterImportSchema, 'An import job with its row counts'),
      RosterJob: described(rosterJobSchema, 'A job with its state and counts'),
      RosterJobPage: described(rosterJobPageSchema, 'A page of jobs, newest first'),
      RosterContactPage: described(
        plunkContactPageSchema,
        'A page of contacts in Plunk’s format (`total` on the first page)',
      ),
      RosterContactExport: described(rosterExportSchema, 'Every matching contact in Unosend’s format'),
      RosterWebhook: described(webhookEndpointSchema, 'A webhook endpoint (without its secret)'),
      RosterCreatedWebhook: described(webhookCreatedSchema, 'A webhook endpoint with its secret'),
      RosterWebhookList: described(webhookListSchema, 'The project’s endpoints, oldest first'),
      RosterWebhookSecret: described(webhookSecretSchema, 'The signing secrets of an endpoint'),
      RosterWebhookDelivery: described(webhookDeliverySchema, 'One event sent to one endpoint'),
      RosterWebhookDeliveryPage: described(webhookDeliveryPageSchema, 'A page of deliveries, newest first'),
      RosterWebhookAttemptList: described(
        webhookAttemptListSchema,
        'A delivery’s HTTP attempts, oldest first',
      ),
      RosterWebhookTest: described(webhookTestSchema, 'A test delivery and its one attempt'),
      RosterWebhookReplay: described(webhookReplaySchema, 'How many deliveries were queued again'),
      RosterTopic: described(topicSchema, 'A topic'),
      RosterTopicList: described(topicListSchema, 'The project’s topics, newest first'),
      RosterContactTopicList: described(
        contactTopicListSchema,
        'Every topic of the project with the contact’s effective subscription, newest topic first',
      ),
      RosterAuditEntry: described(auditEntrySchema, 'One administrative action'),
      RosterAuditPage: described(auditPageSchema, 'A page of audit entries, newest first'),
      RosterProperty: described(propertySchema, 'A declared contact property'),
      RosterPropertyList: described(propertyListSchema, 'The project’s declared properties, newest first'),
      RosterConfirmation: described(confirmationSchema, 'A confirmation link to send to the contact'),
      RosterUnsubscribeHeaders: described(unsubscribeHeadersSchema, 'The RFC 8058 headers of one email'),
      RosterConsentStatus: described(consentStatusSchema, 'A contact’s double opt-in state'),
      RosterContactEventList: described(contactEventListSchema, 'A contact’s events, newest first'),
      RosterConsentSettings: described(consentSettingsViewSchema, 'How the consent pages show the project'),
      ...suppressionSchemas,
      PlunkError: plunkErrorComponent,
    },
    operations: [
      {
        method: 'get',
        path: '/audit',
        operationId: 'listAudit',
        summary: 'The project’s audit log, newest first',
        description:
          '`actor` is `key:<key id>` (an API key), `dashboard:<key id>` (a dashboard session), `host` (the host ' +
          'application’s sign-in) or `cli`. Entries older than the retention (`--audit-retention-days`, 365 by ' +
          'default) are deleted.',
        tags: ['Audit'],
        parameters: [
          {
            name: 'limit',
            in: 'query',
            description: 'Page size, 1–500 (default 100)',
            schema: z.string(),
            example: '100',
          },
          {
            name: 'cursor',
            in: 'query',
            description: 'The `cursor` of the previous page (older entries)',
            schema: z.string(),
          },
          {
            name: 'since',
            in: 'query',
            description: 'Only entries at or after this ISO 8601 time',
            schema: z.string(),
            example: AT,
          },
          {
            name: 'action',
            in: 'query',
            description: 'Only this action',
            schema: z.string(),
            example: 'key.revoked',
          },
        ],
        responses: {
          200: {
            description: 'A page of entries',
            schema: 'RosterAuditPage',
            example: {
              data: [
                {
                  id: '0193a1b2-7f00-7a15-8b67-89abcdef0123',
                  projectId: '0193a1b2-6000-7a00-8b00-0c0d0e0f1011',
                  createdAt: AT,
                  actor: `key:${KEY_ID}`,
                  action: 'webhook.deleted',
                  target: WEBHOOK_ID,
                  detail: null,
                },
              ],
              cursor: null,
              hasMore: false,
            },
          },
          400: plunkFieldError(
            'A bad `since`, `limit` or `cursor`',
            'since',
            'must be an ISO 8601 date-time',
          ),
          401: unauthorized,
        },
      },
      ...topicOperations,
      ...propertyOperations,
      ...consentOperations,
      ...suppressionOperations,
      ...migrationOperations,
      {
        method: 'get',
        path: '/project',
        operationId: 'getProject',
        summary: 'The project of the key',
        tags: ['Project'],
        responses: {
          200: {
            description: 'The project',
            schema: 'RosterProject',
            example: { id: PROJECT_ID, name: 'default', createdAt: AT },
          },
          401: unauthorized,
        },
      },
      {
        method: 'get',
        path: '/keys',
        operationId: 'listKeys',
        summary: 'List the project’s API keys',
        tags: ['Keys'],
        responses: {
          200: {
            description: 'The keys, revoked ones too',
            schema: 'RosterKeyList',
            example: { data: [keyExample] },
          },
          401: unauthorized,
        },
      },
      {
        method: 'post',
        path: '/keys',
        operationId: 'createKey',
        summary: 'Create an API key',
        description:
          'The answer holds the whole key, the only time it is visible: roster keeps a SHA-256 hash.',
        tags: ['Keys'],
        body: { schema: 'RosterCreateKeyBody', example: { prefix: 'sk_' }, required: false },
        responses: {
          201: {
            description: 'The new key',
            schema: 'RosterCreatedKey',
            example: { ...keyExample, key: 'sk_4d2c0b9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e9f3a' },
          },
          400: plunkErrorResponse(
            'A prefix that is not lowercase letters or digits ending in `_`',
            'VALIDATION_ERROR',
            400,
            'prefix: must be lowercase letters or digits',
            [{ field: 'prefix', message: 'must be lowercase letters or digits ending in "_", e.g. sk_' }],
          ),
          401: unauthorized,
        },
      },
      {
        method: 'delete',
        path: '/keys/{id}',
        operationId: 'revokeKey',
        summary: 'Revoke an API key',
        description: 'Requests with the key are refused at once (within a second in other server processes).',
        tags: ['Keys'],
        parameters: [pathIdParam('id', 'The key’s id', KEY_ID)],
        responses: {
          204: { description: 'Revoked' },
          404: plunkErrorResponse(
            'No active key with this id in the project (also for another project’s key)',
            'API_KEY_NOT_FOUND',
            404,
            'API key not found',
          ),
          401: unauthorized,
        },
      },
      {
        method: 'post',
        path: '/imports',
        operationId: 'startImport',
        summary: 'Import a CSV of contacts, as a background job (reads back `GET /contacts/export`)',
        description:
          'Upload the CSV as the multipart/form-data field `file`. It is stored durably, then imported by a ' +
          'job: poll `GET /imports/{jobId}`. Reads the CSV that `GET /contacts/export` writes as the same ' +
          'contacts: `email`; `subscribed` (Yes/No, true/false, 1/0); `first_name` / `last_name` (also ' +
          '`firstName`, `first name`, any case) set the names; `data.<key>` columns are stored under `<key>`, ' +
          'its case kept; its `audience` and `created_at` columns are not stored; any other column is stored ' +
          'under its lowercased name. Data values are stored as text, trimmed. Each row is an upsert. An ' +
          'optional text field `audience_id` puts every imported contact in that audience. An optional text field ' +
          '`preset` (`mailchimp`, `listmonk`) reads another tool’s export instead (docs/moving-to-roster.md).',
        tags: ['Imports'],
        body: { schema: 'RosterImportForm', mediaType: 'multipart/form-data' },
        responses: {
          202: {
            description: 'The import is queued',
            schema: 'RosterImport',
            example: {
              id: JOB_ID,
              state: 'waiting',
              progress: 0,
              rows: { total: 0, created: 0, updated: 0, failed: 0, suppressed: 0 },
              errors: [],
              createdAt: AT,
              updatedAt: AT,
            },
          },
          400: plunkErrorResponse(
            'No `file` part (or another file field), a header line without an email column, or an unknown `preset`',
            'VALIDATION_ERROR',
            400,
            'Validation failed',
            [{ field: 'file', message: 'is required: send the CSV as the multipart field "file"' }],
          ),
          401: unauthorized,
          413: plunkErrorResponse(
            'The file is over the server’s import limit (`limits.maxImportBytes`)',
            'PAYLOAD_TOO_LARGE',
            413,
            'The file is larger than the limit of 52428800 bytes',
          ),
        },
      },
      {
        method: 'get',
        path: '/imports/{jobId}',
        operationId: 'getImport',
        summary: 'An import’s state and row counts',
        description: 'While the job runs, `rows` counts the rows of the batches committed so far.',
        tags: ['Imports'],
        parameters: [jobIdParam],
        responses: {
          200: {
            description: 'The import',
            schema: 'RosterImport',
            example: {
              id: JOB_ID,
              state: 'completed',
              progress: 100,
              rows: { total: 3, created: 1, updated: 1, failed: 1, suppressed: 0 },
              errors: [{ row: 4, email: 'not-an-email', error: 'Invalid email' }],
              createdAt: AT,
              updatedAt: LATER,
            },
          },
          404: plunkErrorResponse(
            'No import job with this id in the project',
            'JOB_NOT_FOUND',
            404,
            'Job not found',
          ),
          401: unauthorized,
        },
      },
      {
        method: 'get',
        path: '/overview',
        operationId: 'getOverview',
        summary: 'The project’s contacts, jobs and webhook health over its last days',
        description:
          'What the dashboard’s Overview charts: contacts and subscribed contacts at the end of each UTC day, ' +
          'contacts added (by an import or otherwise) and removed per day, imports and bulk jobs per day, and ' +
          'each webhook endpoint’s deliveries by status. Read from daily counts kept with every contact write, ' +
          'so it does not scan the contacts.',
        tags: ['Project'],
        parameters: [
          {
            name: 'days',
            in: 'query',
            description: `How many days, today included (1 to ${MAX_OVERVIEW_DAYS}, default ${DEFAULT_OVERVIEW_DAYS})`,
            schema: z.number().int().min(1).max(MAX_OVERVIEW_DAYS),
            example: 7,
          },
        ],
        responses: {
          200: {
            description: 'The overview',
            schema: 'RosterOverview',
            example: {
              days: 1,
              from: '2026-03-01',
              to: '2026-03-01',
              contacts: { total: 1200, subscribed: 1100 },
              daily: [
                {
                  day: '2026-03-01',
                  total: 1200,
                  subscribed: 1100,
                  added: 40,
                  removed: 2,
                  imported: 30,
                  api: 10,
                },
              ],
              jobs: [{ day: '2026-03-01', imports: 1, bulk: 0, failed: 0 }],
              webhooks: [],
            },
          },
          400: plunkFieldError('`days` out of range', 'days', `must be from 1 to ${MAX_OVERVIEW_DAYS}`),
          401: unauthorized,
        },
      },
      {
        method: 'get',
        path: '/jobs',
        operationId: 'listJobs',
        summary: 'The project’s recent jobs, newest first',
        description:
          'Imports, bulk jobs and migrations (or the types in `type`), in keyset pages. Finished jobs are kept for ' +
          '`jobs.retentionMs` (7 days by default). While a job runs, `summary` counts the work committed so far.',
        tags: ['Jobs'],
        parameters: [
          ...keysetPageParams,
          {
            name: 'type',
            in: 'query',
            description: 'Comma-separated job types (default `import,import.local,bulk,migrate`)',
            schema: z.string(),
            example: 'import,bulk',
          },
        ],
        responses: {
          200: {
            description: 'A page of jobs',
            schema: 'RosterJobPage',
            example: { data: [jobExample], cursor: null, hasMore: false },
          },
          400: plunkFieldError(
            'A `limit` out of range or a `cursor` that is not a job of the project',
            'limit',
            'must be an integer from 1 to 100',
          ),
          401: unauthorized,
        },
      },
      {
        method: 'get',
        path: '/jobs/{id}',
        operationId: 'getJob',
        summary: 'One job with its state and counts',
        tags: ['Jobs'],
        parameters: [pathIdParam('id', 'The job id', JOB_ID)],
        responses: {
          200: { description: 'The job', schema: 'RosterJob', example: jobExample },
          404: plunkErrorResponse(
            'No job with this id in the project',
            'JOB_NOT_FOUND',
            404,
            'Job not found',
          ),
          401: unauthorized,
        },
      },
      {
        method: 'get',
        path: '/contacts',
        operationId: 'listFilteredContacts',
        summary: 'List contacts with search, subscription, audience and segment filters together',
        description:
          'Keyset pages as Plunk’s `GET /contacts`, with every filter combinable: the dashboard’s table.',
        tags: ['Contacts'],
        parameters: [
          ...contactFilterParams,
          {
            name: 'sort',
            in: 'query',
            description: '`createdAt` (default) or `email`',
            schema: z.enum(['createdAt', 'email']),
            example: 'createdAt',
          },
          {
            name: 'dir',
            in: 'query',
            description: '`desc` (default) or `asc`',
            schema: z.enum(['asc', 'desc']),
            example: 'desc',
          },
          ...keysetPageParams,
        ],
        responses: {
          200: {
            description: 'A page of contacts',
            schema: 'RosterContactPage',
            example: { data: [contactExample], cursor: null, hasMore: false, total: 1 },
          },
          400: plunkFieldError(
            'A parameter out of its range, named in `errors`',
            'subscribed',
            'must be true or false',
          ),
          404: segmentNotFound,
          401: unauthorized,
        },
      },
      {
        method: 'get',
        path: '/contacts/export',
        operationId: 'exportFilteredContacts',
        summary: 'Export the contacts matching the filters as CSV or JSON',
        description:
          'Streams every match, newest first, in the format of Unosend’s `GET /v1/contacts/export` (CSV cells ' +
          "that a spreadsheet would run as formulas get a leading `'`).",
        tags: ['Contacts'],
        parameters: [exportFormatParam('json'), ...contactFilterParams],
        responses: {
          200: exportResponse(
            'RosterContactExport',
            { data: [exportExample] },
            'email,first_name,last_name,subscribed,audience,created_at,data.plan\n' +
              `"ada@example.com","Ada","Lovelace","Yes","Newsletter","${AT}","pro"\n`,
          ),
          400: plunkFieldError(
            'A parameter out of its range, named in `errors`',
            'format',
            'must be one of csv, json',
          ),
          404: segmentNotFound,
          401: unauthorized,
        },
      },
      ...rosterResourceOperations({
        path: '/webhooks',
        tag: 'Webhooks',
        param: webhookIdParam,
        notFound: webhookNotFound,
        schema: 'RosterWebhook',
        example: endpointExample,
        list: {
          operationId: 'listWebhooks',
          summary: 'List the project’s webhook endpoints',
          schema: 'RosterWebhookList',
          found: 'The endpoints',
        },
        create: {
          operationId: 'createWebhook',
          summary: 'Create a webhook endpoint',
          description:
            'Event types: `contact.created`, `contact.updated`, `contact.deleted`, `contact.subscribed`, ' +
            '`contact.unsubscribed`, `import.completed`, `import.failed`, `bulk.completed`, ' +
            '`segment.<slug>.entry|exit`, or the patterns `segment.*`, `segment.*.entry`, `segment.<slug>.*` and `*`. ' +
            'Targets on private, loopback and link-local addresses are refused unless the server allows them ' +
            '(`--allow-private-webhook-targets`). The answer holds the signing secret.',
          body: {
            schema: 'RosterCreateWebhookBody',
            example: {
              url: 'https://crm.example.com/hooks/roster',
              description: 'CRM sync',
              eventTypes: ['contact.created', 'contact.updated', 'contact.deleted'],
            },
          },
          created: {
            description: 'The new endpoint with its secret',
            schema: 'RosterCreatedWebhook',
            example: { ...endpointExample, secret: SECRET },
          },
          errors: {
            400: plunkErrorResponse(
              'A missing or invalid field (unknown event type, non-HTTP or private URL, ...)',
              'VALIDATION_ERROR',
              400,
              'eventTypes.0: unknown event type "contact.exploded"',
              [{ field: 'eventTypes.0', message: 'unknown event type "contact.exploded"' }],
            ),
          },
        },
        get: { operationId: 'getWebhook', summary: 'A webhook endpoint', found: 'The endpoint' },
        update: {
          operationId: 'updateWebhook',
          summary: 'Change a webhook endpoint',
          description:
            '`enabled: true` re-enables an endpoint roster disabled after it failed for 24 h; `enabled: false` ' +
            'disables it and fails its pending deliveries (replay them later with `POST /webhooks/{id}/replay`).',
          body: { schema: 'RosterUpdateWebhookBody', example: { enabled: true } },
          updated: {
            description: 'The endpoint as changed',
            schema: 'RosterWebhook',
            example: endpointExample,
          },
          errors: { 400: plunkFieldError('An invalid field', 'enabled', 'must be a boolean') },
        },
        remove: { operationId: 'deleteWebhook', summary: 'Delete a webhook endpoint with its deliveries' },
        more: [
          {
            method: 'get',
            subpath: '/secret',
            operationId: 'getWebhookSecret',
            summary: 'The endpoint’s signing secrets',
            responses: {
              200: {
                description: 'The current secret, and the previous one while it still signs',
                schema: 'RosterWebhookSecret',
                example: { secret: SECRET, previousSecret: null, previousSecretExpiresAt: null },
              },
            },
          },
          {
            method: 'post',
            subpath: '/rotate-secret',
            operationId: 'rotateWebhookSecret',
            summary: 'Give the endpoint a new secret',
            description:
              'The previous secret keeps signing beside the new one (two `v1,` signatures in `webhook-signature`) ' +
              'for `overlapMs` (default 24 h), so receivers can switch without losing a delivery.',
            body: {
              schema: 'RosterRotateWebhookSecretBody',
              example: { overlapMs: 86_400_000 },
              required: false,
            },
            responses: {
              200: {
                description: 'The endpoint with its new secret',
                schema: 'RosterCreatedWebhook',
                example: {
                  ...endpointExample,
                  previousSecretExpiresAt: '2026-11-24T19:40:00.000Z',
                  secret: SECRET,
                },
              },
              400: plunkFieldError('An invalid `overlapMs`', 'overlapMs', 'must be at least 0'),
            },
          },
          {
            method: 'post',
            subpath: '/test',
            operationId: 'testWebhook',
            summary: 'Send a signed test event now',
            description:
              'Sends `{"type":"webhook.test",...}` to the endpoint (even a disabled one) and answers with the ' +
              'outcome of that one attempt; it is not retried.',
            responses: {
              200: {
                description:
                  'The test delivery and its attempt (the attempt may have failed: see `statusCode` and `error`)',
                schema: 'RosterWebhookTest',
                example: {
                  delivery: {
                    ...deliveryExample,
                    eventType: 'webhook.test',
                    body: `{"type":"webhook.test","timestamp":"${AT}","data":{"endpointId":"${WEBHOOK_ID}","message":"A test event from roster"}}`,
                  },
                  attempt: attemptExample,
                },
              },
            },
          },
          {
            method: 'post',
            subpath: '/replay',
            operationId: 'replayWebhookDeliveries',
            summary: 'Send again every finished delivery since a time',
            description:
              'Queues again (same `webhook-id` and body, fresh retry schedule) every succeeded or failed delivery ' +
              `created at or after \`since\`, at most ${spacedThousands(MAX_WEBHOOK_REPLAY)}.`,
            body: { schema: 'RosterReplayWebhookBody', example: { since: AT, status: 'failed' } },
            responses: {
              202: { description: 'Queued', schema: 'RosterWebhookReplay', example: { replayed: 12 } },
              400: plunkFieldError(
                `A missing or invalid \`since\`, or more than ${spacedThousands(MAX_WEBHOOK_REPLAY)} deliveries`,
                'since',
                'is required',
              ),
              409: plunkErrorResponse(
                'The endpoint is disabled: enable it first',
                'CONFLICT',
                409,
                'The endpoint is disabled: enable it before replaying',
              ),
            },
          },
          {
            method: 'get',
            subpath: '/deliveries',
            operationId: 'listWebhookDeliveries',
            summary: 'The endpoint’s deliveries, newest first',
            parameters: [
              {
                name: 'limit',
                in: 'query',
                description: `Page size, 1 to ${MAX_WEBHOOK_DELIVERY_PAGE} (default 50)`,
                schema: z.int().min(1).max(MAX_WEBHOOK_DELIVERY_PAGE),
                example: 50,
              },
              {
                name: 'cursor',
                in: 'query',
                description: 'The `nextCursor` of the previous page',
                schema: z.string(),
                example: DELIVERY_ID,
              },
              {
                name: 'status',
                in: 'query',
                description: 'Only deliveries with this status',
                schema: z.enum(WEBHOOK_DELIVERY_STATUSES),
                example: 'failed',
              },
            ],
            responses: {
              200: {
                description: 'A page of deliveries',
                schema: 'RosterWebhookDeliveryPage',
                example: { data: [deliveryExample], nextCursor: null },
              },
              400: plunkFieldError('An invalid `limit`, `status` or `cursor`', 'limit', 'must be at least 1'),
            },
          },
        ],
      }),
      ...resourceOperations(
        {
          path: '/webhooks/{id}/deliveries/{deliveryId}',
          tags: ['Webhooks'],
          parameters: [webhookIdParam, deliveryIdParam],
          responses: { 401: unauthorized, 404: deliveryNotFound },
        },
        [
          {
            method: 'get',
            operationId: 'getWebhookDelivery',
            summary: 'One delivery',
            responses: {
              200: { description: 'The delivery', schema: 'RosterWebhookDelivery', example: deliveryExample },
            },
          },
          {
            method: 'get',
            subpath: '/attempts',
            operationId: 'listWebhookDeliveryAttempts',
            summary: 'A delivery’s attempts',
            description:
              `Status, latency and the first ${MAX_RESPONSE_EXCERPT_BYTES / 1024} KB of the answer of each attempt, ` +
              `oldest first (the latest ${MAX_WEBHOOK_ATTEMPTS_LISTED}).`,
            responses: {
              200: {
                description: 'The attempts',
                schema: 'RosterWebhookAttemptList',
                example: { data: [attemptExample] },
              },
            },
          },
          {
            method: 'post',
            subpath: '/replay',
            operationId: 'replayWebhookDelivery',
            summary: 'Send one delivery again',
            description: 'Same `webhook-id` and body, new timestamp and signature, fresh retry schedule.',
            responses: {
              202: {
                description: 'Queued again',
                schema: 'RosterWebhookDelivery',
                example: { ...deliveryExample, status: 'pending', nextAttemptAt: LATER, finishedAt: null },
              },
              409: plunkErrorResponse(
                'The delivery is still pending, or the endpoint is disabled',
                'CONFLICT',
                409,
                'The delivery is still pending: it will be sent',
              ),
            },
          },
        ],
      ),
    ],
  }),
);

/** The OpenAPI 3.1 document of roster's management API (`createRosterRouter`, served at `/roster`). */
export function rosterOpenApi(options: Pick<OpenApiOptions, 'serverUrl'> = {}): JsonObject {
  return rosterOpenApiDocument(options);
}
