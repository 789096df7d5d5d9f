import type { BulkJobResult, ImportResult, JobState, JobStatusView } from '@roster/core';
import {
  BULK_OPERATIONS,
  bulkIdsSchema,
  bulkQuerySchema,
  contactDataSchema,
  createSegmentSchema,
  listContactsSchema,
  segmentMembersSchema,
  trackEventSchema,
  updateContactSchema,
  updateSegmentSchema,
  upsertContactSchema,
} from '@roster/core/schemas';
import { z } from 'zod';
import type { toPlunkContact, toPlunkErrorBody } from '../plunk/plunk-format.js';
import {
  assertSameType,
  buildDocument,
  cachedDocument,
  described,
  type JsonObject,
  type OperationSpec,
  resourceOperations,
} from './document.js';
import {
  AT,
  JOB_ID,
  jobIdParam,
  keysetPageSchema,
  LATER,
  PROJECT_ID,
  pathIdParam,
  plunkErrorExample,
  plunkErrorResponse,
  plunkFieldError,
  plunkUnauthorized,
} from './examples.js';

// ---- wire formats -------------------------------------------------------------------------------
// The bodies the Plunk router renders. Each is tied to the function that renders it by a
// compile-time check below, and to the real server by packages/express/test/openapi.test.ts.

const fieldIssueSchema = z.object({ field: z.string(), message: z.string(), code: z.string().optional() });

export const plunkContactSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  subscribed: z.boolean(),
  data: contactDataSchema.nullable(),
  projectId: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const plunkUpsertedContactSchema = plunkContactSchema.extend({
  _meta: z.object({
    isNew: z.boolean(),
    isUpdate: z.boolean(),
    suppressed: z
      .literal(true)
      .optional()
      .describe('roster: the address is suppressed, so the contact was written but stays unsubscribed'),
  }),
});

export const plunkContactPageSchema = keysetPageSchema(plunkContactSchema).extend({
  total: z.int().min(0).optional(),
});

export const plunkErrorSchema = z.object({
  success: z.literal(false),
  error: z.object({
    code: z.string(),
    message: z.string(),
    statusCode: z.int(),
    /** The request's id, as in the `X-Request-Id` header. */
    requestId: z.string().optional(),
    errors: z.array(fieldIssueSchema).optional(),
    /**
     * IDEMPOTENCY_KEY_REUSED: the first request that used the key. RATE_LIMIT_EXCEEDED: the
     * seconds to wait (also the `Retry-After` header).
     */
    details: z
      .union([
        z.object({
          key: z.string(),
          originalRequest: z.string(),
          originalRequestAt: z.string(),
          originalStatusCode: z.int().nullable(),
        }),
        z.object({ retryAfter: z.int().min(1) }),
      ])
      .optional(),
    suggestion: z.string().optional(),
  }),
  timestamp: z.iso.datetime(),
});

/** The `PlunkError` component: roster's own routes answer errors in Plunk's envelope too. */
export const plunkErrorComponent = described(plunkErrorSchema, 'Plunk’s error envelope');

/** Plunk's flat error body (its OpenAPI `LegacyError`), for the cases its controller checks by hand. */
export const plunkLegacyErrorSchema = z.object({ error: z.string() });

/** A 400 that is flat for the hand-checked case and the envelope for the others. */
export const plunkBadRequestSchema = z.union([plunkLegacyErrorSchema, plunkErrorSchema]);

export const plunkJobQueuedSchema = z.object({ message: z.string(), jobId: z.uuid() });

const jobStateSchema = z.enum(['waiting', 'active', 'completed', 'failed']);

const importResultSchema = z.object({
  totalRows: z.int().min(0),
  successCount: z.int().min(0),
  createdCount: z.int().min(0),
  updatedCount: z.int().min(0),
  failureCount: z.int().min(0),
  /** Only imports that skip existing contacts (Resend's `on_conflict: skip`) count skipped rows. */
  skippedCount: z.int().min(0).optional(),
  suppressedCount: z
    .int()
    .min(0)
    .optional()
    .describe('roster: rows applied whose address is suppressed (their contact stays unsubscribed)'),
  suppressionsAddedCount: z
    .int()
    .min(0)
    .optional()
    .describe('roster, a Mailchimp cleaned members file: addresses added to the suppression list'),
  errors: z.array(z.object({ row: z.int().min(1), email: z.string(), error: z.string() })),
});

const bulkResultSchema = z.object({
  operation: z.enum(BULK_OPERATIONS),
  totalRequested: z.int().min(0),
  successCount: z.int().min(0),
  unchangedCount: z.int().min(0),
  failureCount: z.int().min(0),
  suppressedCount: z
    .int()
    .min(0)
    .optional()
    .describe('roster, subscribe only: contacts left unsubscribed because their address is suppressed'),
  errors: z.array(z.object({ contactId: z.string(), error: z.string() })),
});

/** Plunk's job status: never the job's payload (e.g. the uploaded file). */
function jobStatusSchema<R extends z.ZodType>(result: R) {
  return z.object({
    id: z.uuid(),
    state: jobStateSchema,
    progress: z.int().min(0).max(100),
    result: result.nullable(),
    failedReason: z.string().optional(),
  });
}

export const plunkImportJobStatusSchema = jobStatusSchema(importResultSchema);
export const plunkBulkJobStatusSchema = jobStatusSchema(bulkResultSchema);

type PlunkJobStatus<R> = Pick<JobStatusView<R>, 'id' | 'state' | 'progress' | 'result' | 'failedReason'>;

assertSameType<z.output<typeof plunkContactSchema>, ReturnType<typeof toPlunkContact>>(true);
assertSameType<z.output<typeof jobStateSchema>, JobState>(true);
assertSameType<z.output<typeof importResultSchema>, ImportResult>(true);
assertSameType<z.output<typeof bulkResultSchema>, BulkJobResult>(true);
assertSameType<z.output<typeof plunkImportJobStatusSchema>, PlunkJobStatus<ImportResult>>(true);
assertSameType<z.output<typeof plunkBulkJobStatusSchema>, PlunkJobStatus<BulkJobResult>>(true);
assertSameType<z.output<typeof plunkErrorSchema>, ReturnType<typeof toPlunkErrorBody>>(true);

// ---- request bodies: core's schemas, limited to the fields the Plunk API passes on --------------

const plunkUpsertBody = upsertContactSchema.pick({ email: true, subscribed: true, data: true });
const plunkUpdateBody = updateContactSchema.pick({ email: true, subscribed: true, data: true });
function plunkBulkBody(maxIds: number) {
  return z.union([
    bulkIdsSchema(maxIds).extend({
      mode: z.literal('ids').describe('Act on the listed contacts'),
    }),
    bulkQuerySchema.omit({ operation: true }).extend({
      mode: z
        .literal('query')
        .describe('Act on every contact matching `filter` (all of them without one), except `excludeIds`'),
    }),
  ]);
}
/** The upload of `POST /contacts/import`: the router's multipart field, not a core schema. */
const plunkImportForm = z.object({
  file: z.string().meta({
    description:
      'The CSV file: a header line with an `email` column; an optional `subscribed` column; ' +
      'every other column becomes data',
    contentMediaType: 'text/csv',
  }),
});

// ---- examples -------------------------------------------------------------------------------------

const CONTACT_ID = '0193a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b';
const OLDER_ID = '0193a1b2-7a00-7b11-8c22-3d44e55f6a7b';

const contactExample = {
  id: CONTACT_ID,
  email: 'ada@example.com',
  subscribed: true,
  data: { plan: 'pro', seats: 3 },
  projectId: PROJECT_ID,
  createdAt: AT,
  updatedAt: AT,
};

const unauthorized = plunkUnauthorized;

const contactNotFound = plunkErrorResponse(
  'No contact with this id in the project (also for another project’s id)',
  'CONTACT_NOT_FOUND',
  404,
  'Contact not found',
);

const validationError = plunkFieldError(
  'Malformed JSON, or a field of the wrong type or an invalid email (named in `errors`)',
  'email',
  'must be a valid email address',
);

const jobNotFound = (message: string) => ({
  description: 'No job with this id in the project (or a job of the other kind): Plunk’s flat error',
  schema: 'PlunkLegacyError',
  example: { error: message },
});

const contactId = pathIdParam('id', 'The contact id (a UUIDv7: ids sort by creation time)', CONTACT_ID);

// ---- segments and events ------------------------------------------------------------------------

const conditionDoc = z
  .record(z.string(), z.unknown())
  .describe(
    'A FilterCondition tree: {logic: AND|OR, groups: [{filters: [{field, operator, value?, unit?}], conditions?}]}. ' +
      'Fields: email, subscribed, createdAt, updatedAt, data.<path>, event.<name> (or a bare event name with an ' +
      'event operator), segment.<id>. A bad node is a 400 naming its path, e.g. condition.groups[1].filters[0].operator.',
  );

export const plunkSegmentSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  type: z.enum(['DYNAMIC', 'STATIC']),
  condition: conditionDoc.nullable(),
  trackMembership: z.boolean(),
  memberCount: z.int().min(0),
  projectId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const plunkCreatedSegmentSchema = plunkSegmentSchema.extend({ project: z.object({ name: z.string() }) });
const plunkSegmentContactsSchema = z.object({
  data: z.array(plunkContactSchema),
  total: z.int().min(0),
  page: z.int().min(1),
  pageSize: z.int().min(1).max(100),
  totalPages: z.int().min(0),
});
const plunkCreateSegmentBody = createSegmentSchema.extend({ condition: conditionDoc.optional() }).strict();
const plunkUpdateSegmentBody = updateSegmentSchema.extend({ condition: conditionDoc.optional() }).strict();
const plunkTrackBody = trackEventSchema.strict();
const plunkTrackResultSchema = z.object({
  success: z.literal(true),
  data: z.object({
    contact: z.uuid(),
    event: z.uuid(),
    timestamp: z.string(),
    suppressed: z
      .literal(true)
      .optional()
      .describe('roster: the address is suppressed, so the contact stays unsubscribed'),
  }),
});
const legacyErrorSchema = plunkLegacyErrorSchema;
const SEGMENT_ID = '0193a1b2-8000-7abc-9def-00000000abcd';
const PRO = {
  logic: 'AND',
  groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
};
const segmentExample = {
  id: SEGMENT_ID,
  name: 'Pro users',
  description: null,
  type: 'DYNAMIC',
  condition: PRO,
  trackMembership: false,
  memberCount: 1,
  projectId: PROJECT_ID,
  createdAt: AT,
  updatedAt: AT,
};
const segmentIdParam = pathIdParam('id', 'The segment id', SEGMENT_ID);
const segmentNotFound = plunkErrorResponse(
  'No segment with this id in the project',
  'SEGMENT_NOT_FOUND',
  404,
  'Segment not found',
);

function segmentOperations(): OperationSpec[] {
  const tags = ['Segments'];
  return [
    {
      method: 'get',
      path: '/segments',
      operationId: 'listSegments',
      summary: 'List segments, newest first (a bare array, not paginated)',
      tags,
      responses: {
        200: {
          description: 'Every segment of the project',
          schema: 'PlunkSegmentList',
          example: [segmentExample],
        },
        401: unauthorized,
      },
    },
    {
      method: 'post',
      path: '/segments',
      operationId: 'createSegment',
      summary: 'Create a DYNAMIC (filter tree) or STATIC (member list) segment',
      description:
        'DYNAMIC segments need a `condition`; its matches are counted into `memberCount` (a cache, refreshed ' +
        'by a periodic job). STATIC segments ignore `condition` and start empty.',
      tags,
      body: { schema: 'PlunkCreateSegmentBody', example: { name: 'Pro users', condition: PRO } },
      responses: {
        201: {
          description: 'The segment',
          schema: 'PlunkCreatedSegment',
          example: { ...segmentExample, project: { name: 'default' } },
        },
        400: {
          description: 'Plunk’s flat error: no name, or no condition object for a DYNAMIC segment',
          schema: 'PlunkLegacyError',
          example: { error: 'Name is required' },
        },
        401: unauthorized,
      },
    },
    ...resourceOperations(
      { path: '/segments/{id}', tags, parameters: [segmentIdParam], responses: { 401: unauthorized } },
      [
        {
          method: 'get',
          operationId: 'getSegment',
          summary: 'Get a segment',
          responses: {
            200: { description: 'The segment', schema: 'PlunkSegment', example: segmentExample },
            404: segmentNotFound,
          },
        },
        {
          method: 'patch',
          operationId: 'updateSegment',
          summary: 'Update a segment (its type cannot change)',
          body: { schema: 'PlunkUpdateSegmentBody', example: { name: 'Pro customers' } },
          responses: {
            200: {
              description: 'The segment',
              schema: 'PlunkSegment',
              example: { ...segmentExample, name: 'Pro customers' },
            },
          },
        },
        {
          method: 'delete',
          operationId: 'deleteSegment',
          summary: 'Delete a segment',
          responses: { 204: { description: 'Deleted' } },
        },
        {
          method: 'get',
          subpath: '/contacts',
          operationId: 'listSegmentContacts',
          summary: 'A page of the segment’s contacts (`page`, `pageSize` at most 100)',
          parameters: [
            {
              name: 'page',
              in: 'query',
              description: 'Page number, from 1',
              schema: z.string(),
              example: '1',
            },
            {
              name: 'pageSize',
              in: 'query',
              description: 'Default 20, at most 100',
              schema: z.string(),
              example: '20',
            },
          ],
          responses: {
            200: {
              description: 'DYNAMIC: live matches, newest first; STATIC: members, latest entry first',
              schema: 'PlunkSegmentContacts',
              example: { data: [contactExample], total: 1, page: 1, pageSize: 20, totalPages: 1 },
            },
          },
        },
        {
          method: 'post',
          subpath: '/members',
          operationId: 'addSegmentMembers',
          summary: 'Add contacts to a STATIC segment by email',
          body: {
            schema: 'PlunkSegmentMembersBody',
            example: { emails: ['ada@example.com'], createMissing: true },
          },
          responses: {
            200: {
              description: '`added` counts every matched contact, members already included',
              schema: 'PlunkMembersAdded',
              example: { added: 1, created: 1, notFound: [] },
            },
          },
        },
        {
          method: 'delete',
          subpath: '/members',
          operationId: 'removeSegmentMembers',
          summary: 'Remove contacts from a STATIC segment by email (JSON body)',
          body: { schema: 'PlunkSegmentRemoveMembersBody', example: { emails: ['ada@example.com'] } },
          responses: {
            200: { description: 'Matched contacts', schema: 'PlunkMembersRemoved', example: { removed: 1 } },
          },
        },
        {
          method: 'post',
          subpath: '/compute',
          operationId: 'computeSegment',
          summary: 'Recompute a trackMembership segment now, recording segment.<slug>.entry|exit events',
          responses: {
            200: {
              description: 'Changes',
              schema: 'PlunkComputeResult',
              example: { added: 1, removed: 0, total: 1 },
            },
          },
        },
        {
          method: 'post',
          subpath: '/refresh',
          operationId: 'refreshSegment',
          summary: 'Recount memberCount now',
          responses: {
            200: { description: 'The new count', schema: 'PlunkRefreshResult', example: { memberCount: 1 } },
          },
        },
      ],
    ),
    {
      method: 'post',
      path: '/v1/track',
      operationId: 'trackEvent',
      summary: 'Track an event for a contact (public pk_ key only), creating the contact if needed',
      description:
        'Upserts the contact (new contacts are subscribed unless `subscribed: false`; an existing one keeps its ' +
        'subscription unless `subscribed` is given, or always with `preserveExistingSubscription`), merges ' +
        '`data`, and stores the event with its full data. A secret key is a 401. `Idempotency-Key` (1-255 ' +
        'printable ASCII) makes the request run once per project for 24 h: a reuse is a 409, a 4xx frees the key.',
      tags: ['Events'],
      body: {
        schema: 'PlunkTrackBody',
        example: { event: 'purchase', email: 'ada@example.com', data: { plan: 'pro' } },
      },
      responses: {
        200: {
          description: 'The contact and event ids',
          schema: 'PlunkTrackResult',
          example: { success: true, data: { contact: CONTACT_ID, event: JOB_ID, timestamp: AT } },
        },
        401: { ...unauthorized, description: 'No Bearer header, a secret key, or an unknown public key' },
        409: plunkErrorResponse(
          'The Idempotency-Key was already used in this project (not a replay)',
          'IDEMPOTENCY_KEY_REUSED',
          409,
          'This Idempotency-Key has already been used',
        ),
        422: plunkErrorResponse(
          'A reserved event name (`reserved_event`) or an invalid field',
          'VALIDATION_ERROR',
          422,
          'Event name "email.open" is reserved',
          [{ field: 'event', message: '"email.open" is a reserved event name', code: 'reserved_event' }],
        ),
        413: plunkErrorResponse(
          'The JSON body is over the public route’s limit (64 KiB by default, apart from the other routes’ limit)',
          'PAYLOAD_TOO_LARGE',
          413,
          'Request body is larger than the limit of 65536 bytes',
          [{ field: 'body', message: 'is too large' }],
        ),
        429: {
          description:
            'This client (address) sent more than its token bucket allows (100/s, burst 200 by default); ' +
            '`Retry-After` and `error.details.retryAfter` say how many seconds to wait',
          schema: 'PlunkError',
          example: {
            success: false,
            error: {
              code: 'RATE_LIMIT_EXCEEDED',
              message: 'Too many requests from this client: try again in 1 s',
              statusCode: 429,
              details: { retryAfter: 1 },
            },
            timestamp: AT,
          },
        },
      },
    },
  ];
}

// ---- operations ---------------------------------------------------------------------------------

function operations(limits: OpenApiLimits): OperationSpec[] {
  return [
    {
      method: 'get',
      path: '/contacts',
      operationId: 'listContacts',
      summary: 'List contacts, newest first by default',
      description:
        'Keyset pages: pass the returned `cursor` (the id of the page’s last contact) to get the next page; ' +
        'it is null on the last page. `total` (contacts matching `search` and `subscribed`) is only on the ' +
        'first page, when no cursor is given. Order: `sort` in `dir`, ties broken by id descending (Plunk’s ' +
        'order); every page seeks to its cursor, so deep pages cost what the first one costs. `search`, ' +
        '`subscribed`, `sort` and `dir` combine.',
      tags: ['Contacts'],
      parameters: [
        {
          name: 'limit',
          in: 'query',
          description:
            'Page size. Default 20; values above 100 are treated as 100; values below 1 or not a number as 20.',
          schema: listContactsSchema.shape.limit.unwrap(),
          example: 20,
        },
        {
          name: 'cursor',
          in: 'query',
          description: 'The `cursor` of the previous page. An unknown or malformed cursor is a 400.',
          schema: listContactsSchema.shape.cursor.unwrap().unwrap(),
        },
        {
          name: 'search',
          in: 'query',
          description: 'Only contacts whose email contains this text, in any case.',
          schema: listContactsSchema.shape.search.unwrap().unwrap(),
          example: 'example.com',
        },
        {
          name: 'email',
          in: 'query',
          description: 'Alias of `search`.',
          schema: listContactsSchema.shape.search.unwrap().unwrap(),
        },
        {
          name: 'subscribed',
          in: 'query',
          description:
            'Only subscribed (`true`) or unsubscribed (`false`) contacts. Any other value means no filter, as in Plunk.',
          schema: z.string(),
          example: 'true',
        },
        {
          name: 'sort',
          in: 'query',
          description:
            'The order: `createdAt` (default) or `email`. An unrecognised value falls back to `createdAt`, as in Plunk.',
          schema: z.string(),
          example: 'email',
        },
        {
          name: 'dir',
          in: 'query',
          description:
            'The direction of `sort`: `desc` (default) or `asc`. An unrecognised value falls back to `desc`, as in Plunk.',
          schema: z.string(),
          example: 'asc',
        },
      ],
      responses: {
        200: {
          description: 'A page of contacts',
          schema: 'PlunkContactPage',
          example: {
            data: [
              contactExample,
              {
                ...contactExample,
                id: OLDER_ID,
                email: 'grace@example.com',
                data: null,
                subscribed: false,
              },
            ],
            cursor: OLDER_ID,
            hasMore: true,
            total: 57,
          },
        },
        400: plunkErrorResponse(
          'An unknown or malformed cursor',
          'VALIDATION_ERROR',
          400,
          'Invalid cursor: it does not point at a contact of this project',
          [{ field: 'cursor', message: 'is not a valid cursor' }],
        ),
        401: unauthorized,
      },
    },
    {
      method: 'post',
      path: '/contacts',
      operationId: 'upsertContact',
      summary: 'Create a contact, or update the one with this email',
      description:
        'Emails are trimmed, lowercased and unique per project. On update, `data` is merged: top-level keys ' +
        'replace stored ones, `null` deletes a key, `""` is ignored, reserved keys (`id`, `email`, `plunk_id`, ' +
        '`plunk_email`, `unsubscribeUrl`, `subscribeUrl`, `manageUrl`) are dropped. `subscribed` defaults to ' +
        'true on create and is kept on update unless given.',
      tags: ['Contacts'],
      body: {
        schema: 'PlunkUpsertContactBody',
        example: { email: 'ada@example.com', subscribed: true, data: { plan: 'pro', seats: 3 } },
      },
      responses: {
        200: {
          description: 'The email existed: the contact was updated',
          schema: 'PlunkUpsertedContact',
          example: {
            ...contactExample,
            data: { plan: 'pro', seats: 5 },
            updatedAt: LATER,
            _meta: { isNew: false, isUpdate: true },
          },
        },
        201: {
          description: 'The contact was created',
          schema: 'PlunkUpsertedContact',
          example: { ...contactExample, _meta: { isNew: true, isUpdate: false } },
        },
        400: {
          ...validationError,
          description:
            'No `email` (missing, empty or null, or no JSON body): Plunk’s flat `{"error":"Email is required"}`. ' +
            'Malformed JSON, a field of the wrong type or an invalid email: the envelope, naming the field.',
          schema: 'PlunkBadRequest',
        },
        401: unauthorized,
        413: plunkErrorResponse(
          'The JSON body is over the limit (1 MB by default)',
          'PAYLOAD_TOO_LARGE',
          413,
          'Request body is larger than the limit of 1048576 bytes',
          [{ field: 'body', message: 'is too large' }],
        ),
      },
    },
    ...resourceOperations(
      {
        path: '/contacts/{id}',
        tags: ['Contacts'],
        parameters: [contactId],
        responses: { 401: unauthorized, 404: contactNotFound },
      },
      [
        {
          method: 'get',
          operationId: 'getContact',
          summary: 'Get a contact',
          responses: {
            200: { description: 'The contact', schema: 'PlunkContact', example: contactExample },
          },
        },
        {
          method: 'patch',
          operationId: 'updateContact',
          summary: 'Update a contact',
          description:
            'Changes only the given fields. `data` is merged as on upsert; `"data": null` clears it. A new email ' +
            'that another contact of the project has is a 409 and nothing changes.',
          body: {
            schema: 'PlunkUpdateContactBody',
            example: { subscribed: false, data: { seats: null, team: 'core' } },
          },
          responses: {
            200: {
              description: 'The updated contact',
              schema: 'PlunkContact',
              example: {
                ...contactExample,
                subscribed: false,
                data: { plan: 'pro', team: 'core' },
                updatedAt: LATER,
              },
            },
            400: validationError,
            409: plunkErrorResponse(
              'The new email is already used by another contact of the project',
              'CONFLICT',
              409,
              'A contact with this email already exists',
            ),
          },
        },
        {
          method: 'delete',
          operationId: 'deleteContact',
          summary: 'Delete a contact',
          responses: {
            204: { description: 'Deleted' },
          },
        },
      ],
    ),
    {
      method: 'post',
      path: '/contacts/import',
      operationId: 'importContacts',
      summary: 'Import contacts from a CSV file, as a background job',
      description:
        'Upload the CSV as the multipart/form-data field `file` (at most ' +
        `${limits.maxImportBytes} bytes). It is stored durably, then imported by a job: poll ` +
        '`GET /contacts/import/{jobId}`. The header line needs an `email` column; `subscribed` (true/false, ' +
        'yes/no, 1/0) sets the subscription; `first_name` / `last_name` (also `firstName`, `first name`, any ' +
        'case) set the names, an empty cell keeping the stored one; every other column becomes a data key. ' +
        'Each row is an upsert, ' +
        'so re-importing a file updates instead of duplicating.',
      tags: ['Jobs'],
      body: { schema: 'PlunkImportForm', mediaType: 'multipart/form-data' },
      responses: {
        202: {
          description: 'The import is queued',
          schema: 'PlunkJobQueued',
          example: { message: 'Import queued successfully', jobId: JOB_ID },
        },
        400: {
          description:
            'No `file` part: Plunk’s flat `{"error":"CSV file is required"}`. Another file field or a header line ' +
            'without an email column: the envelope, naming the field.',
          schema: 'PlunkBadRequest',
          example: plunkErrorExample(
            'VALIDATION_ERROR',
            400,
            'No file uploaded: send the CSV as the multipart/form-data field "file"',
            [{ field: 'file', message: 'is required (a multipart/form-data file field named "file")' }],
          ),
        },
        401: unauthorized,
        413: plunkErrorResponse(
          `The file is over the import limit (${limits.maxImportBytes} bytes)`,
          'PAYLOAD_TOO_LARGE',
          413,
          `The file is larger than the limit of ${limits.maxImportBytes} bytes`,
          [{ field: 'file', message: `must be at most ${limits.maxImportBytes} bytes` }],
        ),
      },
    },
    {
      method: 'get',
      path: '/contacts/import/{jobId}',
      operationId: 'getImportJob',
      summary: 'Poll a CSV import',
      description:
        '`result` is set once `state` is `completed`; `failedReason` is given when it is `failed`.',
      tags: ['Jobs'],
      parameters: [jobIdParam],
      responses: {
        200: {
          description: 'The job’s state',
          schema: 'PlunkImportJobStatus',
          example: {
            id: JOB_ID,
            state: 'completed',
            progress: 100,
            result: {
              totalRows: 3,
              successCount: 2,
              createdCount: 1,
              updatedCount: 1,
              failureCount: 1,
              errors: [{ row: 4, email: 'not-an-email', error: 'Invalid email' }],
            },
          },
        },
        401: unauthorized,
        404: jobNotFound('Import job not found'),
      },
    },
    ...BULK_ROUTES.map(
      ([operation, operationId]): OperationSpec => ({
        method: 'post',
        path: `/contacts/bulk-${operation}`,
        operationId,
        summary: `${operation.charAt(0).toUpperCase()}${operation.slice(1)} many contacts, as a background job`,
        description:
          `\`{"mode":"ids","contactIds":[...]}\`: up to ${limits.maxBulkIds} contact ids; ids that are unknown or ` +
          'another project’s are reported as failures in the result, never touched. ' +
          '`{"mode":"query","filter":{"search"?,"subscribed"?},"excludeIds"?:[...]}`: every contact of the project ' +
          'matching the filter (all without one), except up to 10000 excluded ids, not capped; the job walks them ' +
          'in batches, each committed with its progress, so it resumes after a crash. `totalRequested` is the ' +
          'number of matches when the job starts. Poll `GET /contacts/bulk/{jobId}`. Invalid bodies get Plunk’s ' +
          'flat `{"error": "<field>: <problem>"}`.',
        tags: ['Jobs'],
        body: { schema: 'PlunkBulkBody', example: { mode: 'ids', contactIds: [CONTACT_ID, OLDER_ID] } },
        responses: {
          202: {
            description: 'The operation is queued',
            schema: 'PlunkJobQueued',
            example: { message: `Bulk ${operation} queued successfully`, jobId: JOB_ID },
          },
          400: {
            description:
              'No or another `mode`, no ids, too many, an id that is not a UUID, a bad `filter` or `excludeIds`: ' +
              'Plunk’s flat error (malformed JSON keeps the envelope)',
            schema: 'PlunkBadRequest',
            example: { error: 'contactIds.0: must be a UUID' },
          },
          401: unauthorized,
        },
      }),
    ),
    {
      method: 'get',
      path: '/contacts/bulk/{jobId}',
      operationId: 'getBulkJob',
      summary: 'Poll a bulk operation',
      tags: ['Jobs'],
      parameters: [jobIdParam],
      responses: {
        200: {
          description: 'The job’s state',
          schema: 'PlunkBulkJobStatus',
          example: {
            id: JOB_ID,
            state: 'completed',
            progress: 100,
            result: {
              operation: 'unsubscribe',
              totalRequested: 2,
              successCount: 1,
              unchangedCount: 0,
              failureCount: 1,
              errors: [{ contactId: OLDER_ID, error: 'Contact not found' }],
            },
          },
        },
        401: unauthorized,
        404: jobNotFound('Bulk action job not found'),
      },
    },
  ];
}

const BULK_ROUTES = [
  ['subscribe', 'bulkSubscribeContacts'],
  ['unsubscribe', 'bulkUnsubscribeContacts'],
  ['delete', 'bulkDeleteContacts'],
] as const;

import type { OpenApiLimits, OpenApiOptions } from './document.js';

export type { OpenApiOptions };

const plunkOpenApiDocument = cachedDocument('/', (serverUrl, limits) => {
  return buildDocument({
    title: 'roster: Plunk-compatible contacts API',
    version: '0.1.0',
    description:
      'The contacts API of Plunk (useplunk.com), served by roster. Code written against Plunk works by ' +
      'changing only the base URL and the key. Every error body is JSON in Plunk’s envelope.',
    serverUrl,
    tags: [
      { name: 'Contacts', description: 'Contacts of the project the key belongs to' },
      { name: 'Jobs', description: 'CSV imports and bulk operations, run as durable background jobs' },
      { name: 'Segments', description: 'DYNAMIC (filter tree) and STATIC (member list) segments' },
      { name: 'Events', description: 'Events sent from apps and browsers with a public key' },
    ],
    requests: {
      PlunkUpsertContactBody: { schema: plunkUpsertBody },
      PlunkUpdateContactBody: { schema: plunkUpdateBody },
      PlunkImportForm: { schema: plunkImportForm },
      PlunkBulkBody: { schema: plunkBulkBody(limits.maxBulkIds) },
      PlunkCreateSegmentBody: { schema: plunkCreateSegmentBody },
      PlunkUpdateSegmentBody: { schema: plunkUpdateSegmentBody },
      PlunkSegmentMembersBody: { schema: segmentMembersSchema.strict() },
      PlunkSegmentRemoveMembersBody: { schema: segmentMembersSchema.pick({ emails: true }).strict() },
      PlunkTrackBody: { schema: plunkTrackBody },
    },
    schemas: {
      PlunkContact: described(plunkContactSchema, 'A contact'),
      PlunkUpsertedContact: described(
        plunkUpsertedContactSchema,
        'A contact, with whether the upsert created or updated it',
      ),
      PlunkContactPage: described(plunkContactPageSchema, 'A page of contacts'),
      PlunkJobQueued: described(plunkJobQueuedSchema, 'A queued background job'),
      PlunkImportJobStatus: described(plunkImportJobStatusSchema, 'The state of a CSV import'),
      PlunkBulkJobStatus: described(plunkBulkJobStatusSchema, 'The state of a bulk operation'),
      PlunkError: plunkErrorComponent,
      PlunkLegacyError: described(legacyErrorSchema, 'Plunk’s flat error of controller checks'),
      PlunkSegment: described(plunkSegmentSchema, 'A segment'),
      PlunkCreatedSegment: described(plunkCreatedSegmentSchema, 'A new segment'),
      PlunkSegmentList: described(z.array(plunkSegmentSchema), 'Segments'),
      PlunkSegmentContacts: described(plunkSegmentContactsSchema, 'A page of a segment’s contacts'),
      PlunkMembersAdded: {
        schema: z.object({ added: z.int().min(0), created: z.int().min(0), notFound: z.array(z.string()) }),
        description: 'Result of adding members',
      },
      PlunkMembersRemoved: {
        schema: z.object({ removed: z.int().min(0) }),
        description: 'Result of removing members',
      },
      PlunkComputeResult: {
        schema: z.object({ added: z.int().min(0), removed: z.int().min(0), total: z.int().min(0) }),
        description: 'Result of a membership computation',
      },
      PlunkRefreshResult: { schema: z.object({ memberCount: z.int().min(0) }), description: 'A recount' },
      PlunkTrackResult: described(plunkTrackResultSchema, 'A tracked event'),
      PlunkBadRequest: described(
        plunkBadRequestSchema,
        'A 400: Plunk’s flat error for the hand-checked case, else the envelope',
      ),
    },
    operations: [...operations(limits), ...segmentOperations()],
  });
});

/**
 * The OpenAPI 3.1 document of the Plunk-compatible API (`createPlunkRouter`). Request schemas are
 * generated from core's zod schemas, so the document says what the server validates.
 */
export function plunkOpenApi(options: OpenApiOptions = {}): JsonObject {
  return plunkOpenApiDocument(options);
}
