import { SUPPRESSION_ORIGINS } from '@roster/core';
import { z } from 'zod';
import type { toResendImport } from '../resend/import-routes.js';
import type {
  toResendContact,
  toResendContactTopic,
  toResendErrorBody,
  toResendListedContact,
  toResendListedSegment,
  toResendProperty,
  toResendSegment,
  toResendTopic,
} from '../resend/resend-format.js';
import { RESEND_DEFAULT_LIMIT, RESEND_MAX_LIMIT } from '../resend/resend-params.js';
import type { toResendSuppression } from '../resend/suppression-routes.js';
import type { OpenApiOptions } from './document.js';
import {
  assertSameType,
  buildDocument,
  cachedDocument,
  type JsonObject,
  type OperationSpec,
  type ParameterSpec,
  type ResponseSpec,
} from './document.js';
import { pathIdParam } from './examples.js';

// ---- wire formats -------------------------------------------------------------------------------
// The bodies the Resend router renders, tied to the functions that render them by compile-time
// checks, and to the real server by packages/express/test/openapi.test.ts.

/** Resend's timestamps: `2025-10-17 16:47:14.626+00` (not ISO 8601). */
const resendTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+00$/);
const id = z.uuid();

export const resendListedContactSchema = z.object({
  id,
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  created_at: resendTime,
  unsubscribed: z.boolean(),
  properties: z.record(z.string(), z.unknown()),
});
export const resendContactSchema = resendListedContactSchema.extend({ object: z.literal('contact') });
export const resendListedSegmentSchema = z.object({ id, name: z.string(), created_at: resendTime });
export const resendSegmentSchema = resendListedSegmentSchema.extend({
  object: z.enum(['segment', 'audience']),
});
export const resendTopicSchema = z.object({
  object: z.literal('topic'),
  id,
  name: z.string(),
  description: z.string().nullable(),
  default_subscription: z.enum(['opt_in', 'opt_out']),
  created_at: resendTime,
});
export const resendContactTopicSchema = z.object({
  id,
  name: z.string(),
  description: z.string().nullable(),
  subscription: z.enum(['opt_in', 'opt_out']),
});
export const resendPropertySchema = z.object({
  object: z.literal('contact_property'),
  id,
  key: z.string(),
  type: z.enum(['string', 'number']),
  fallback_value: z.union([z.string(), z.number()]).nullable(),
  created_at: resendTime,
});
export const resendImportSchema = z.object({
  object: z.literal('contact_import'),
  id,
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  created_at: resendTime,
  completed_at: resendTime.nullable(),
  counts: z.object({
    total: z.int().min(0),
    created: z.int().min(0),
    updated: z.int().min(0),
    skipped: z.int().min(0),
    failed: z.int().min(0),
  }),
});
export const resendSuppressionSchema = z.object({
  object: z.literal('suppression'),
  id,
  email: z.string().nullable(),
  origin: z.enum(SUPPRESSION_ORIGINS),
  source_id: z.null(),
  created_at: resendTime,
});
export const resendErrorSchema = z.object({ statusCode: z.int(), message: z.string(), name: z.string() });

const list = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(item) });

assertSameType<z.output<typeof resendListedContactSchema>, ReturnType<typeof toResendListedContact>>(true);
assertSameType<z.output<typeof resendContactSchema>, ReturnType<typeof toResendContact>>(true);
assertSameType<z.output<typeof resendListedSegmentSchema>, ReturnType<typeof toResendListedSegment>>(true);
assertSameType<z.output<typeof resendSegmentSchema>, ReturnType<typeof toResendSegment>>(true);
assertSameType<z.output<typeof resendTopicSchema>, ReturnType<typeof toResendTopic>>(true);
assertSameType<z.output<typeof resendContactTopicSchema>, ReturnType<typeof toResendContactTopic>>(true);
assertSameType<z.output<typeof resendPropertySchema>, ReturnType<typeof toResendProperty>>(true);
assertSameType<z.output<typeof resendImportSchema>, ReturnType<typeof toResendImport>>(true);
assertSameType<z.output<typeof resendSuppressionSchema>, ReturnType<typeof toResendSuppression>>(true);
assertSameType<z.output<typeof resendErrorSchema>, ReturnType<typeof toResendErrorBody>>(true);

// ---- request bodies (Resend's snake_case; core validates them after translation) ------------------

const segmentRefs = z.array(z.union([z.string(), z.object({ id: z.string() })]));
const topicChoices = z.array(z.object({ id: z.string(), subscription: z.enum(['opt_in', 'opt_out']) }));
const contactFields = {
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
  unsubscribed: z.boolean().optional(),
  properties: z.record(z.string(), z.unknown()).nullable().optional(),
};
const createContactBody = z.object({
  email: z.string(),
  ...contactFields,
  segments: segmentRefs.optional(),
  topics: topicChoices.optional(),
});
const updateContactBody = z.object({ email: z.string().optional(), ...contactFields });
const nameBody = z.object({ name: z.string() });
const createTopicBody = z.object({
  name: z.string(),
  description: z.string().nullable().optional(),
  default_subscription: z.enum(['opt_in', 'opt_out']),
  visibility: z.enum(['public', 'private']).optional(),
});
const updateTopicBody = createTopicBody.omit({ default_subscription: true }).partial();
const contactTopicsBody = z.union([topicChoices, z.object({ topics: topicChoices })]);
const createPropertyBody = z.object({
  key: z.string(),
  type: z.enum(['string', 'number']),
  fallback_value: z.union([z.string(), z.number()]).nullable().optional(),
});
const updatePropertyBody = z.object({ fallback_value: z.union([z.string(), z.number()]).nullable() });
const importBody = z.object({
  file: z.string().describe('The CSV file'),
  column_map: z
    .string()
    .optional()
    .describe('JSON: `{email, first_name, last_name, unsubscribed, properties}`'),
  on_conflict: z.enum(['skip', 'upsert']).optional(),
  segments: z.string().optional().describe('JSON: `[{"id": "..."}]`'),
  topics: z.string().optional().describe('JSON: `[{"id": "...", "subscription": "opt_in"}]`'),
});
const suppressionBody = z.object({ email: z.string() });
const suppressionBatchAddBody = z.object({ emails: z.array(z.string()).min(1).max(1000) });
const suppressionBatchRemoveBody = z.union([
  z.object({ emails: z.array(z.string()).min(1).max(1000) }),
  z.object({ ids: z.array(z.string()).min(1).max(1000) }),
]);

// ---- examples ------------------------------------------------------------------------------------

const CONTACT_ID = '0193a1b2-7000-7c00-8000-00000000c0de';
const SEGMENT_ID = '0193a1b2-7000-7c00-8000-0000005e9000';
const TOPIC_ID = '0193a1b2-7000-7c00-8000-00000070b1c0';
const PROPERTY_ID = '0193a1b2-7000-7c00-8000-0000000b0b00';
const IMPORT_ID = '0193a1b2-7000-7c00-8000-000000001000';
const TIME = '2026-11-23 19:40:00.000+00';
const LISTED_CONTACT = {
  id: CONTACT_ID,
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: 'Lovelace',
  created_at: TIME,
  unsubscribed: false,
  properties: { plan: 'pro' },
};
const LISTED_SEGMENT = { id: SEGMENT_ID, name: 'Newsletter', created_at: TIME };
const TOPIC = {
  object: 'topic',
  id: TOPIC_ID,
  name: 'Product news',
  description: 'Monthly',
  default_subscription: 'opt_in',
  created_at: TIME,
};
const PROPERTY = {
  object: 'contact_property',
  id: PROPERTY_ID,
  key: 'plan',
  type: 'string',
  fallback_value: 'free',
  created_at: TIME,
};
const IMPORT = {
  object: 'contact_import',
  id: IMPORT_ID,
  status: 'completed',
  created_at: TIME,
  completed_at: TIME,
  counts: { total: 3, created: 2, updated: 0, skipped: 1, failed: 0 },
};
const SUPPRESSION_ID = '0193a1b2-7000-7c00-8000-000005b00000';
const SUPPRESSION = {
  object: 'suppression',
  id: SUPPRESSION_ID,
  email: 'ada@example.com',
  origin: 'manual',
  source_id: null,
  created_at: TIME,
};
const listOf = (item: unknown) => ({ object: 'list', has_more: false, data: [item] });

// ---- operations ----------------------------------------------------------------------------------

const contactRef = pathIdParam('id', 'The contact id, or its email', CONTACT_ID);
const pageParams: ParameterSpec[] = [
  {
    name: 'limit',
    in: 'query',
    description: `Items per page, 1 to ${RESEND_MAX_LIMIT} (default ${RESEND_DEFAULT_LIMIT})`,
    schema: z.string(),
    example: '20',
  },
  { name: 'after', in: 'query', description: 'The id after which the page starts', schema: z.string() },
  { name: 'before', in: 'query', description: 'The id before which the page ends', schema: z.string() },
];
const unauthorized: ResponseSpec = {
  description: 'No `Authorization: Bearer re_…` header',
  schema: 'ResendError',
  example: {
    statusCode: 401,
    message:
      'Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY',
    name: 'missing_api_key',
  },
};
const ok = (description: string, schema: string, example: unknown): ResponseSpec => ({
  description,
  schema,
  example,
});

function op(
  method: OperationSpec['method'],
  path: string,
  operationId: string,
  summary: string,
  tag: string,
  status: number,
  response: ResponseSpec,
  extra: Partial<OperationSpec> = {},
): OperationSpec {
  return {
    method,
    path,
    operationId,
    summary,
    tags: [tag],
    ...extra,
    responses: { [status]: response, 401: unauthorized, ...extra.responses },
  };
}

/** A resource Resend creates, lists, gets, updates and deletes (topics, contact properties). */
interface ResourceOperations {
  collection: string;
  tag: string;
  /** The resource in the operation ids: `create${one}`, `list${many}`, … */
  names: [one: string, many: string];
  /** The `{id}` of the item routes. */
  ref: ParameterSpec;
  /** What the create, update and delete answers name. */
  ids: { object: string; id: string };
  /** Of create, list, get, update and delete, in that order. */
  summaries: [string, string, string, string, string];
  /** The item (get) and a page of items (list). */
  item: { description: string; schema: string; list: string; example: unknown };
  create: { schema: string; example: unknown };
  update: { schema: string; example: unknown };
}

/** The five operations of a resource, in the order create, list, get, update, delete. */
function resourceOperations(r: ResourceOperations): OperationSpec[] {
  const [one, many] = r.names;
  const [create, list, get, update, remove] = r.summaries;
  const item = `${r.collection}/{id}`;
  return [
    op('post', r.collection, `create${one}`, create, r.tag, 201, ok('Created', 'ResendObjectId', r.ids), {
      body: r.create,
    }),
    op(
      'get',
      r.collection,
      `list${many}`,
      list,
      r.tag,
      200,
      ok('A page', r.item.list, listOf(r.item.example)),
      {
        parameters: pageParams,
      },
    ),
    op('get', item, `get${one}`, get, r.tag, 200, ok(r.item.description, r.item.schema, r.item.example), {
      parameters: [r.ref],
    }),
    op('patch', item, `update${one}`, update, r.tag, 200, ok('Updated', 'ResendObjectId', r.ids), {
      parameters: [r.ref],
      body: r.update,
    }),
    op(
      'delete',
      item,
      `delete${one}`,
      remove,
      r.tag,
      200,
      ok('Deleted', 'ResendObjectIdDeleted', { ...r.ids, deleted: true }),
      {
        parameters: [r.ref],
      },
    ),
  ];
}

function operations(): OperationSpec[] {
  const created = ok(
    'Created (or the existing contact); `suppressed: true` (roster) when the address is suppressed, so the contact is unsubscribed',
    'ResendContactCreated',
    { object: 'contact', id: CONTACT_ID },
  );
  const ops: OperationSpec[] = [
    op('post', '/contacts', 'createContact', 'Create a contact', 'Contacts', 201, created, {
      description:
        'An email already in the project answers 201 with its id (the contact is only added to the named segments).',
      body: {
        schema: 'ResendCreateContact',
        example: { email: 'ada@example.com', first_name: 'Ada', properties: { plan: 'pro' } },
      },
      responses: {
        404: {
          description: 'A named segment or topic does not exist (no contact is created)',
          schema: 'ResendError',
          example: { statusCode: 404, message: 'Segment not found', name: 'not_found' },
        },
      },
    }),
    op(
      'get',
      '/contacts',
      'listContacts',
      'List contacts, newest first',
      'Contacts',
      200,
      ok('A page', 'ResendContactList', listOf(LISTED_CONTACT)),
      {
        parameters: [
          ...pageParams,
          {
            name: 'segment_id',
            in: 'query',
            description: "Only this segment's contacts",
            schema: z.string(),
          },
        ],
      },
    ),
    op(
      'get',
      '/contacts/{id}',
      'getContact',
      'Get a contact by id or email',
      'Contacts',
      200,
      ok('The contact', 'ResendContact', { object: 'contact', ...LISTED_CONTACT }),
      {
        parameters: [contactRef],
        responses: {
          404: {
            description: 'No such contact',
            schema: 'ResendError',
            example: { statusCode: 404, message: 'Contact not found', name: 'not_found' },
          },
        },
      },
    ),
    op(
      'patch',
      '/contacts/{id}',
      'updateContact',
      'Update a contact',
      'Contacts',
      200,
      ok('Updated', 'ResendObjectId', { object: 'contact', id: CONTACT_ID }),
      {
        parameters: [contactRef],
        body: { schema: 'ResendUpdateContact', example: { unsubscribed: true } },
      },
    ),
    op(
      'delete',
      '/contacts/{id}',
      'deleteContact',
      'Delete a contact',
      'Contacts',
      200,
      ok('Deleted (also for a contact the project never had)', 'ResendContactDeleted', {
        object: 'contact',
        contact: CONTACT_ID,
        deleted: true,
      }),
      {
        parameters: [contactRef],
      },
    ),
    op(
      'get',
      '/contacts/{id}/segments',
      'listContactSegments',
      "A contact's segments",
      'Segments',
      200,
      ok('A page', 'ResendSegmentList', listOf(LISTED_SEGMENT)),
      {
        parameters: [contactRef, ...pageParams],
      },
    ),
    op(
      'post',
      '/contacts/{id}/segments/{segmentId}',
      'addContactSegment',
      'Add a contact to a segment',
      'Segments',
      201,
      ok('Added', 'ResendId', { id: SEGMENT_ID }),
      {
        parameters: [contactRef, pathIdParam('segmentId', 'The segment id', SEGMENT_ID)],
      },
    ),
    op(
      'delete',
      '/contacts/{id}/segments/{segmentId}',
      'removeContactSegment',
      'Remove a contact from a segment',
      'Segments',
      200,
      ok('Removed', 'ResendIdDeleted', { id: SEGMENT_ID, deleted: true }),
      {
        parameters: [contactRef, pathIdParam('segmentId', 'The segment id', SEGMENT_ID)],
      },
    ),
    op(
      'get',
      '/contacts/{id}/topics',
      'listContactTopics',
      "A contact's topic subscriptions",
      'Topics',
      200,
      ok(
        'Every topic with the subscription',
        'ResendContactTopicList',
        listOf({ id: TOPIC_ID, name: 'Product news', description: 'Monthly', subscription: 'opt_in' }),
      ),
      {
        parameters: [contactRef, ...pageParams],
      },
    ),
    op(
      'patch',
      '/contacts/{id}/topics',
      'updateContactTopics',
      "Set a contact's topic subscriptions",
      'Topics',
      200,
      ok('Set', 'ResendId', { id: CONTACT_ID }),
      {
        parameters: [contactRef],
        body: { schema: 'ResendContactTopics', example: [{ id: TOPIC_ID, subscription: 'opt_out' }] },
      },
    ),
    op(
      'post',
      '/contacts/imports',
      'createContactImport',
      'Import contacts from a CSV file',
      'Imports',
      201,
      ok('Queued', 'ResendObjectId', { object: 'contact_import', id: IMPORT_ID }),
      {
        description: "Runs as roster's durable import job; the file is stored before the answer.",
        body: { schema: 'ResendCreateImport', mediaType: 'multipart/form-data' },
      },
    ),
    op(
      'get',
      '/contacts/imports',
      'listContactImports',
      'List contact imports, newest first',
      'Imports',
      200,
      ok('A page', 'ResendImportList', listOf(IMPORT)),
      {
        parameters: [
          pageParams[0]!,
          pageParams[1]!,
          {
            name: 'status',
            in: 'query',
            description: 'Only imports with this status',
            schema: z.enum(['queued', 'in_progress', 'completed', 'failed']),
          },
        ],
      },
    ),
    op(
      'get',
      '/contacts/imports/{id}',
      'getContactImport',
      'Get a contact import',
      'Imports',
      200,
      ok('The import', 'ResendImport', IMPORT),
      {
        parameters: [pathIdParam('id', 'The import id', IMPORT_ID)],
      },
    ),
  ];
  for (const [collection, object, tag] of [
    ['/segments', 'segment', 'Segments'],
    ['/audiences', 'audience', 'Audiences'],
  ] as const) {
    const name = object === 'segment' ? 'Segment' : 'Audience';
    const segmentId = pathIdParam('id', `The ${object} id`, SEGMENT_ID);
    ops.push(
      op(
        'post',
        collection,
        `create${name}`,
        `Create a ${object}`,
        tag,
        201,
        ok('Created', 'ResendSegmentCreated', { object, id: SEGMENT_ID, name: 'Newsletter' }),
        {
          body: { schema: 'ResendName', example: { name: 'Newsletter' } },
        },
      ),
      op(
        'get',
        collection,
        `list${name}s`,
        `List ${object}s (static segments), newest first`,
        tag,
        200,
        ok('A page', 'ResendSegmentList', listOf(LISTED_SEGMENT)),
        { parameters: pageParams },
      ),
      op(
        'get',
        `${collection}/{id}`,
        `get${name}`,
        `Get a ${object}`,
        tag,
        200,
        ok(`The ${object}`, 'ResendSegment', { object, ...LISTED_SEGMENT }),
        { parameters: [segmentId] },
      ),
      op(
        'delete',
        `${collection}/{id}`,
        `delete${name}`,
        `Delete a ${object}`,
        tag,
        200,
        ok('Deleted', 'ResendObjectIdDeleted', { object, id: SEGMENT_ID, deleted: true }),
        { parameters: [segmentId] },
      ),
    );
  }
  const segmentId = pathIdParam('id', 'The segment id', SEGMENT_ID);
  ops.push(
    op(
      'get',
      '/segments/{id}/contacts',
      'listSegmentContacts',
      "A segment's contacts",
      'Segments',
      200,
      ok('A page', 'ResendContactList', listOf(LISTED_CONTACT)),
      { parameters: [segmentId, ...pageParams] },
    ),
  );
  const audienceId = pathIdParam('audienceId', 'The audience id', SEGMENT_ID);
  ops.push(
    op(
      'post',
      '/audiences/{audienceId}/contacts',
      'createAudienceContact',
      'Create a contact in an audience',
      'Audiences',
      201,
      created,
      {
        parameters: [audienceId],
        body: { schema: 'ResendCreateContact', example: { email: 'ada@example.com' } },
      },
    ),
    op(
      'get',
      '/audiences/{audienceId}/contacts',
      'listAudienceContacts',
      "An audience's contacts",
      'Audiences',
      200,
      ok('A page', 'ResendContactList', listOf(LISTED_CONTACT)),
      { parameters: [audienceId, ...pageParams] },
    ),
    op(
      'get',
      '/audiences/{audienceId}/contacts/{id}',
      'getAudienceContact',
      'Get a contact of an audience',
      'Audiences',
      200,
      ok('The contact', 'ResendContact', { object: 'contact', ...LISTED_CONTACT }),
      { parameters: [audienceId, contactRef] },
    ),
    op(
      'patch',
      '/audiences/{audienceId}/contacts/{id}',
      'updateAudienceContact',
      'Update a contact',
      'Audiences',
      200,
      ok('Updated', 'ResendObjectId', { object: 'contact', id: CONTACT_ID }),
      {
        parameters: [audienceId, contactRef],
        body: { schema: 'ResendUpdateContact', example: { first_name: 'Ada' } },
      },
    ),
    op(
      'delete',
      '/audiences/{audienceId}/contacts/{id}',
      'removeAudienceContact',
      'Remove a contact from an audience (the contact stays)',
      'Audiences',
      200,
      ok('Removed', 'ResendObjectIdDeleted', { object: 'contact', id: CONTACT_ID, deleted: true }),
      { parameters: [audienceId, contactRef] },
    ),
  );
  ops.push(
    ...resourceOperations({
      collection: '/topics',
      tag: 'Topics',
      names: ['Topic', 'Topics'],
      ref: pathIdParam('id', 'The topic id', TOPIC_ID),
      ids: { object: 'topic', id: TOPIC_ID },
      summaries: [
        'Create a topic',
        'List topics, newest first',
        'Get a topic',
        'Update a topic',
        'Delete a topic',
      ],
      item: { description: 'The topic', schema: 'ResendTopic', list: 'ResendTopicList', example: TOPIC },
      create: {
        schema: 'ResendCreateTopic',
        example: { name: 'Product news', default_subscription: 'opt_in' },
      },
      update: { schema: 'ResendUpdateTopic', example: { name: 'Digest' } },
    }),
    ...resourceOperations({
      collection: '/contact-properties',
      tag: 'Contact properties',
      names: ['ContactProperty', 'ContactProperties'],
      ref: pathIdParam('id', 'The property id, or its key', PROPERTY_ID),
      ids: { object: 'contact_property', id: PROPERTY_ID },
      summaries: [
        'Declare a contact property',
        'List contact properties',
        'Get a contact property',
        "Change a property's fallback value",
        'Delete a contact property',
      ],
      item: {
        description: 'The property',
        schema: 'ResendProperty',
        list: 'ResendPropertyList',
        example: PROPERTY,
      },
      create: {
        schema: 'ResendCreateProperty',
        example: { key: 'plan', type: 'string', fallback_value: 'free' },
      },
      update: { schema: 'ResendUpdateProperty', example: { fallback_value: 'trial' } },
    }),
  );
  const suppressionRef = pathIdParam('id', 'The suppression id, or its email', SUPPRESSION_ID);
  const invalid = (description: string, message: string): ResponseSpec => ({
    description,
    schema: 'ResendError',
    example: { statusCode: 422, message, name: 'validation_error' },
  });
  const suppressionNotFound: ResponseSpec = {
    description: 'No such suppression',
    schema: 'ResendError',
    example: { statusCode: 404, message: 'Suppression not found', name: 'not_found' },
  };
  ops.push(
    op(
      'post',
      '/suppressions',
      'createSuppression',
      'Suppress an address',
      'Suppressions',
      201,
      ok('Suppressed (or already suppressed: the existing entry)', 'ResendObjectId', {
        object: 'suppression',
        id: SUPPRESSION_ID,
      }),
      {
        description:
          'A subscribed contact with the address is unsubscribed; no write can subscribe it again.',
        body: { schema: 'ResendCreateSuppression', example: { email: 'ada@example.com' } },
        responses: { 422: invalid('Not an email address', '`email` must be a valid email address') },
      },
    ),
    op(
      'get',
      '/suppressions',
      'listSuppressions',
      'List suppressions, newest first',
      'Suppressions',
      200,
      ok('A page', 'ResendSuppressionList', listOf(SUPPRESSION)),
      {
        parameters: [
          ...pageParams,
          {
            name: 'origin',
            in: 'query',
            description:
              'Only entries of this origin (`erasure` is roster’s: an erased address, `email` null)',
            schema: z.enum(SUPPRESSION_ORIGINS),
          },
        ],
        responses: {
          422: invalid('An unknown origin', '`origin` must be one of bounce, complaint, manual, erasure'),
        },
      },
    ),
    op(
      'get',
      '/suppressions/{id}',
      'getSuppression',
      'Get a suppression by id or email',
      'Suppressions',
      200,
      ok('The suppression', 'ResendSuppression', SUPPRESSION),
      { parameters: [suppressionRef], responses: { 404: suppressionNotFound } },
    ),
    op(
      'delete',
      '/suppressions/{id}',
      'deleteSuppression',
      'Remove a suppression (the contact stays unsubscribed until a write subscribes it)',
      'Suppressions',
      200,
      ok('Removed', 'ResendObjectIdDeleted', { object: 'suppression', id: SUPPRESSION_ID, deleted: true }),
      { parameters: [suppressionRef], responses: { 404: suppressionNotFound } },
    ),
    op(
      'post',
      '/suppressions/batch/add',
      'addSuppressions',
      'Suppress up to 1000 addresses at once',
      'Suppressions',
      201,
      ok('Suppressed, in the order given', 'ResendSuppressionBatchAdded', {
        data: [{ object: 'suppression', id: SUPPRESSION_ID }],
      }),
      {
        description: 'All or nothing: one invalid address suppresses none.',
        body: { schema: 'ResendAddSuppressions', example: { emails: ['ada@example.com'] } },
        responses: {
          422: invalid(
            'An invalid address, or not 1 to 1000 of them',
            '`emails.0` must be a valid email address',
          ),
        },
      },
    ),
    op(
      'post',
      '/suppressions/batch/remove',
      'removeSuppressions',
      'Remove up to 1000 suppressions, by email or id',
      'Suppressions',
      200,
      ok(
        'Each reference with `deleted: false` when it named no suppression',
        'ResendSuppressionBatchRemoved',
        {
          data: [{ object: 'suppression', id: SUPPRESSION_ID, deleted: true }],
        },
      ),
      {
        body: { schema: 'ResendRemoveSuppressions', example: { emails: ['ada@example.com'] } },
        responses: {
          422: invalid(
            'Neither `emails` nor `ids` as 1 to 1000 strings',
            '`emails` must be a non-empty array of strings',
          ),
        },
      },
    ),
  );
  return ops;
}

const resendOpenApiDocument = cachedDocument('/resend', (serverUrl) =>
  buildDocument({
    title: 'roster: Resend-compatible contacts API',
    version: '0.1.0',
    description:
      'The contacts, segments (and legacy audiences), topics, contact properties, contact imports and suppressions API of ' +
      'Resend, served by roster. The official `resend` SDK works with `baseUrl` set to `<server>/resend` and a ' +
      '`re_` key. Every error body is `{statusCode, message, name}`.',
    serverUrl,
    tags: [
      { name: 'Contacts', description: 'Contacts by id or email' },
      { name: 'Segments', description: "Static segments (lists) and a contact's segments" },
      { name: 'Audiences', description: 'Legacy audiences: the same segments' },
      { name: 'Topics', description: 'Topics and contacts’ subscriptions' },
      { name: 'Contact properties', description: 'Declared, typed contact properties' },
      { name: 'Imports', description: 'CSV imports, run as durable jobs' },
      {
        name: 'Suppressions',
        description: 'Addresses no write can subscribe (bounces, complaints, by hand)',
      },
    ],
    requests: {
      ResendCreateContact: { schema: createContactBody },
      ResendUpdateContact: { schema: updateContactBody },
      ResendName: { schema: nameBody },
      ResendCreateTopic: { schema: createTopicBody },
      ResendUpdateTopic: { schema: updateTopicBody },
      ResendContactTopics: { schema: contactTopicsBody },
      ResendCreateProperty: { schema: createPropertyBody },
      ResendUpdateProperty: { schema: updatePropertyBody },
      ResendCreateImport: { schema: importBody },
      ResendCreateSuppression: { schema: suppressionBody },
      ResendAddSuppressions: { schema: suppressionBatchAddBody },
      ResendRemoveSuppressions: { schema: suppressionBatchRemoveBody },
    },
    schemas: {
      ResendContact: { schema: resendContactSchema },
      ResendContactList: { schema: list(resendListedContactSchema) },
      ResendContactDeleted: {
        schema: z.object({ object: z.literal('contact'), contact: z.string(), deleted: z.literal(true) }),
      },
      ResendObjectId: { schema: z.object({ object: z.string(), id }) },
      ResendContactCreated: {
        schema: z.object({ object: z.literal('contact'), id, suppressed: z.literal(true).optional() }),
      },
      ResendObjectIdDeleted: {
        schema: z.object({ object: z.string(), id: z.string(), deleted: z.literal(true) }),
      },
      ResendId: { schema: z.object({ id: z.string() }) },
      ResendIdDeleted: { schema: z.object({ id: z.string(), deleted: z.literal(true) }) },
      ResendSegmentCreated: {
        schema: z.object({ object: z.enum(['segment', 'audience']), id, name: z.string() }),
      },
      ResendSegment: { schema: resendSegmentSchema },
      ResendSegmentList: { schema: list(resendListedSegmentSchema) },
      ResendTopic: { schema: resendTopicSchema },
      ResendTopicList: { schema: list(resendTopicSchema) },
      ResendContactTopicList: { schema: list(resendContactTopicSchema) },
      ResendProperty: { schema: resendPropertySchema },
      ResendPropertyList: { schema: list(resendPropertySchema) },
      ResendImport: { schema: resendImportSchema },
      ResendImportList: { schema: list(resendImportSchema) },
      ResendSuppression: { schema: resendSuppressionSchema },
      ResendSuppressionList: { schema: list(resendSuppressionSchema) },
      ResendSuppressionBatchAdded: {
        schema: z.object({ data: z.array(z.object({ object: z.literal('suppression'), id })) }),
      },
      ResendSuppressionBatchRemoved: {
        schema: z.object({
          data: z.array(z.object({ object: z.literal('suppression'), id: z.string(), deleted: z.boolean() })),
        }),
      },
      ResendError: { schema: resendErrorSchema },
    },
    operations: operations(),
  }),
);

/** The OpenAPI 3.1 document of the Resend API (`createResendRouter`), served at `/openapi/resend.json`. */
export function resendOpenApi(options: Pick<OpenApiOptions, 'serverUrl'> = {}): JsonObject {
  return resendOpenApiDocument(options);
}
