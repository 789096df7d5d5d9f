import {
  BULK_OPERATIONS,
  bulkApplySchema,
  bulkCreateContactsSchema,
  contactDataSchema,
  createAudienceSchema,
  createContactSchema,
  updateAudienceSchema,
  updateContactSchema,
} from '@roster/core/schemas';
import { z } from 'zod';
import { UNOSEND_DEFAULT_LIMIT, UNOSEND_MAX_LIMIT } from '../unosend/router.js';
import {
  type toUnosendAudience,
  type toUnosendContact,
  type toUnosendErrorBody,
  type toUnosendNewAudience,
  type toUnosendNewContact,
  type toUnosendUpdatedAudience,
  toWireField,
} from '../unosend/unosend-format.js';
import type { OpenApiLimits, OpenApiOptions } from './document.js';
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
  dataListSchema,
  exportFormatParam,
  exportResponse,
  JOB_ID,
  LATER,
  pathIdParam,
} from './examples.js';

// ---- wire formats -------------------------------------------------------------------------------
// The bodies the Unosend router renders, each tied to the function that renders it by a
// compile-time check, and to the real server by packages/express/test/openapi.test.ts.

export const unosendNewContactSchema = z.object({
  suppressed: z
    .literal(true)
    .optional()
    .describe('roster: the address is suppressed, so the contact was created unsubscribed'),
  id: z.uuid(),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  audience_id: z.string().nullable(),
  subscribed: z.boolean(),
  metadata: contactDataSchema,
  created_at: z.iso.datetime(),
});

export const unosendContactSchema = unosendNewContactSchema.extend({ updated_at: z.iso.datetime() });

export const unosendNewAudienceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  created_at: z.iso.datetime(),
});

export const unosendAudienceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  contacts_count: z.int().min(0),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export const unosendUpdatedAudienceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  updated_at: z.iso.datetime(),
});

export const unosendErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    code: z.int(),
    type: z.string(),
    /** roster's addition: the request's id, as in the `X-Request-Id` header. */
    request_id: z.string().optional(),
  }),
});

const deletedSchema = z.object({ id: z.string(), deleted: z.literal(true) });
const importDoneSchema = z.object({
  data: z.object({
    id: z.uuid(),
    status: z.literal('completed'),
    imported: z.int().min(0),
    duplicates: z.int().min(0),
    errors: z.int().min(0),
    total: z.int().min(0),
    errorDetails: z.array(z.object({ row: z.int().min(1), email: z.string(), error: z.string() })).max(10),
  }),
});
const importRunningSchema = z.object({
  data: z.object({ id: z.uuid(), status: z.enum(['waiting', 'active']), progress: z.int().min(0).max(100) }),
});
const contactListSchema = dataListSchema(unosendContactSchema);
const audienceListSchema = dataListSchema(unosendAudienceSchema);
const emailCheckSchema = z.object({ email: z.string(), valid: z.boolean(), reason: z.string().optional() });
const bulkCreatedSchema = z.object({ created: z.int().min(0), skipped: z.int().min(0), message: z.string() });
const bulkAppliedSchema = z.object({
  operation: z.enum(BULK_OPERATIONS),
  affected: z.int().min(0),
  skipped: z.int().min(0),
  message: z.string(),
});

assertSameType<z.output<typeof unosendNewContactSchema>, ReturnType<typeof toUnosendNewContact>>(true);
assertSameType<z.output<typeof unosendContactSchema>, ReturnType<typeof toUnosendContact>>(true);
assertSameType<z.output<typeof unosendNewAudienceSchema>, ReturnType<typeof toUnosendNewAudience>>(true);
assertSameType<z.output<typeof unosendAudienceSchema>, ReturnType<typeof toUnosendAudience>>(true);
assertSameType<z.output<typeof unosendUpdatedAudienceSchema>, ReturnType<typeof toUnosendUpdatedAudience>>(
  true,
);
assertSameType<z.output<typeof unosendErrorSchema>, ReturnType<typeof toUnosendErrorBody>>(true);

// ---- request bodies: core's schemas under Unosend's field names ---------------------------------

/** The same zod object with its keys in Unosend's names (`firstName` → `first_name`, `data` → `metadata`). */
function wireNames<S extends z.ZodRawShape>(schema: z.ZodObject<S>): z.ZodObject {
  return z.object(
    Object.fromEntries(Object.entries(schema.shape).map(([key, value]) => [toWireField(key), value])),
  );
}

/** Unosend accepts `unsubscribed` as the inverse of `subscribed` (checked by the router). */
const unsubscribedField = {
  unsubscribed: z
    .boolean()
    .optional()
    .describe('The inverse of `subscribed`; if both are given they must agree.'),
};

const createContactBody = wireNames(createContactSchema).extend(unsubscribedField);
const updateContactBody = wireNames(updateContactSchema.omit({ dataMode: true })).extend(unsubscribedField);
/** `POST /v1/contacts/import`: the CSV travels in the JSON body (the router's fields, not a core schema). */
const importBody = z.object({
  file: z
    .string()
    .describe(
      'The CSV, as text or base64; its header line needs an `email` column. `first_name` / `last_name` ' +
        '(also `firstName`, `first name`, any case) fill the names (an empty cell keeps the stored name); ' +
        '`subscribed` sets the subscription; every other column goes into `metadata`',
    ),
  format: z.literal('csv').optional().describe('Only `csv`'),
  audience_id: createContactSchema.shape.audienceId.describe(
    'Every imported contact, created or updated, is put in this audience of the project (404 if there is none)',
  ),
});
const validateEmailBody = z.object({
  email: z.string().describe('Any text: the answer says whether it is a valid address'),
});

function bulkBodies(maxIds: number) {
  const { audienceId, contacts } = bulkCreateContactsSchema.shape;
  const entry = wireNames(contacts.element).extend(unsubscribedField);
  return {
    // The same array (its size limits and messages) with entries under Unosend's names.
    create: z.object({
      audience_id: audienceId,
      contacts: z.array(entry).check(...((contacts.def.checks ?? []) as z.core.$ZodCheck<unknown[]>[])),
    }),
    apply: wireNames(bulkApplySchema(maxIds)),
  };
}

// ---- examples -------------------------------------------------------------------------------------

const CONTACT_ID = '0193a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b';
const AUDIENCE_ID = '0193a1b2-5500-7d01-9e02-0f1a2b3c4d5e';

const newContactExample = {
  id: CONTACT_ID,
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: 'Lovelace',
  audience_id: AUDIENCE_ID,
  subscribed: true,
  metadata: { plan: 'pro' },
  created_at: AT,
};
const contactExample = { ...newContactExample, updated_at: AT };
const audienceExample = {
  id: AUDIENCE_ID,
  name: 'Newsletter',
  description: 'Monthly product news',
  contacts_count: 1,
  created_at: AT,
  updated_at: AT,
};

/** A response in Unosend's error envelope. */
const unosendError = (description: string, type: string, code: number, message: string) => ({
  description,
  schema: 'UnosendError',
  example: { error: { message, code, type } },
});

const unauthorized = unosendError(
  'No `Authorization: Bearer <key>` header (`missing_api_key`), a public `pk_` key, or an unknown or revoked key (`invalid_api_key`)',
  'invalid_api_key',
  401,
  'Invalid API key',
);
const validation = (message: string) =>
  unosendError(
    'Malformed JSON (`invalid_json`), or a missing or invalid field, named in the message (`validation_error`)',
    'validation_error',
    400,
    message,
  );
const contactNotFound = unosendError(
  'No contact with this id in the project',
  'contact_not_found',
  404,
  'Contact not found',
);
const audienceNotFound = unosendError(
  'No audience with this id in the project',
  'audience_not_found',
  404,
  'Audience not found',
);
const importDoneExample = {
  data: {
    id: JOB_ID,
    status: 'completed',
    imported: 1,
    duplicates: 1,
    errors: 1,
    total: 3,
    errorDetails: [{ row: 4, email: 'not-an-email', error: 'Invalid email' }],
  },
};
const importFailed = unosendError(
  'The import job failed (e.g. an empty file)',
  'job_failed',
  422,
  'Import failed: The CSV file is empty',
);
const idParam = (what: string, example: string) => pathIdParam('id', `The ${what} id`, example);
const audienceFilterParam = {
  name: 'audience_id',
  in: 'query' as const,
  description: 'Only contacts of this audience',
  schema: z.string(),
};
const integerQuery = (name: string, description: string, example?: number) => ({
  name,
  in: 'query' as const,
  description,
  schema: z.int(),
  ...(example === undefined ? {} : { example }),
});

function operations(limits: OpenApiLimits): OperationSpec[] {
  return [
    {
      method: 'post',
      path: '/contacts',
      operationId: 'createContact',
      summary: 'Create a contact',
      description:
        'Emails are trimmed, lowercased and unique per project: an email already in the project is a 409 and ' +
        'the existing contact is left as it is. `subscribed` defaults to true.',
      tags: ['Contacts'],
      body: {
        schema: 'UnosendCreateContactBody',
        example: {
          email: 'ada@example.com',
          first_name: 'Ada',
          last_name: 'Lovelace',
          audience_id: AUDIENCE_ID,
          metadata: { plan: 'pro' },
        },
      },
      responses: {
        201: { description: 'The created contact', schema: 'UnosendNewContact', example: newContactExample },
        400: validation('email: must be a valid email address'),
        401: unauthorized,
        404: audienceNotFound,
        409: unosendError(
          'The email is already used by a contact of the project',
          'contact_already_exists',
          409,
          'Contact with this email already exists',
        ),
      },
    },
    {
      method: 'get',
      path: '/contacts',
      operationId: 'listContacts',
      summary: 'List contacts, newest first',
      description:
        'Offset pages: `limit` and `offset`, or `per_page` and `page` (1-based). An unknown `audience_id` gives an empty list.',
      tags: ['Contacts'],
      parameters: [
        integerQuery(
          'limit',
          `Page size: default ${UNOSEND_DEFAULT_LIMIT}, larger values are treated as ${UNOSEND_MAX_LIMIT}`,
          UNOSEND_DEFAULT_LIMIT,
        ),
        integerQuery('per_page', 'Alias of `limit`'),
        integerQuery('offset', 'Contacts to skip', 0),
        integerQuery('page', 'Page number from 1 (used when `offset` is absent)'),
        audienceFilterParam,
      ],
      responses: {
        200: {
          description: 'A page of contacts',
          schema: 'UnosendContactList',
          example: { data: [contactExample] },
        },
        400: validation('limit: must be an integer'),
        401: unauthorized,
      },
    },
    {
      method: 'get',
      path: '/contacts/export',
      operationId: 'exportContacts',
      summary: 'Export every contact as CSV or JSON',
      description:
        'Streams all contacts (or an audience’s), newest first. CSV columns: ' +
        '`email,first_name,last_name,subscribed,audience,created_at`, every cell quoted, subscribed as Yes/No.',
      tags: ['Contacts'],
      parameters: [exportFormatParam('csv'), audienceFilterParam],
      responses: {
        200: exportResponse(
          'UnosendContactList',
          { data: [contactExample] },
          'email,first_name,last_name,subscribed,audience,created_at\n' +
            `"ada@example.com","Ada","Lovelace","Yes","Newsletter","${AT}"\n`,
        ),
        400: validation('format: must be csv or json'),
        401: unauthorized,
      },
    },
    {
      method: 'post',
      path: '/contacts/validate',
      operationId: 'validateEmail',
      summary: 'Check an email address (syntax and obvious typos; no network)',
      tags: ['Contacts'],
      body: { schema: 'UnosendValidateEmailBody', example: { email: 'ada@gmial.com' } },
      responses: {
        200: {
          description: 'Whether the address is valid, and why not',
          schema: 'UnosendEmailCheck',
          example: {
            email: 'ada@gmial.com',
            valid: false,
            reason: 'Possible typo: did you mean ada@gmail.com?',
          },
        },
        400: validation('email: is required'),
        401: unauthorized,
      },
    },
    {
      method: 'post',
      path: '/contacts/bulk',
      operationId: 'bulkContacts',
      summary: 'Create many contacts, or apply one operation to many',
      description:
        'With `contacts`: creates up to 1000 contacts (existing emails are skipped and left as they are). ' +
        'With `operation` and `contact_ids`: subscribes, unsubscribes, deletes or moves (to `audience_id`, ' +
        'null removes from the audience) up to 1000 contacts; unknown ids are skipped, and contacts already ' +
        'in the asked state count as affected.',
      tags: ['Contacts'],
      body: {
        schema: 'UnosendBulkBody',
        example: { operation: 'unsubscribe', contact_ids: [CONTACT_ID] },
      },
      responses: {
        200: {
          description: 'What was done',
          schema: 'UnosendBulkResult',
          example: {
            operation: 'unsubscribe',
            affected: 1,
            skipped: 0,
            message: 'Successfully unsubscribed 1 contact(s)',
          },
        },
        400: validation('contact_ids.0: must be a UUID'),
        401: unauthorized,
        404: unosendError(
          'No id is a contact of the project, or the audience is unknown',
          'contact_not_found',
          404,
          'No valid contacts found',
        ),
      },
    },
    {
      method: 'post',
      path: '/contacts/import',
      operationId: 'importContacts',
      summary: 'Import contacts from a CSV',
      description:
        'The CSV is stored and imported by a durable background job. If the job finishes within a few ' +
        'seconds the answer is its outcome (200); otherwise a 202 with the job id to poll at ' +
        '`GET /contacts/import/{id}`. Each row is an upsert: `duplicates` counts rows whose email existed ' +
        '(their data merged); `errors` counts rejected rows (the first 10 in `errorDetails`). With `audience_id`, ' +
        'every imported contact (created or updated) is put in that audience.',
      tags: ['Contacts'],
      body: {
        schema: 'UnosendImportBody',
        example: { file: 'email,plan\nada@example.com,pro\n', format: 'csv' },
      },
      responses: {
        200: {
          description: 'The import finished',
          schema: 'UnosendImportDone',
          example: importDoneExample,
        },
        202: {
          description: 'The import is still running: poll it',
          schema: 'UnosendImportRunning',
          example: { data: { id: JOB_ID, status: 'waiting', progress: 0 } },
        },
        400: validation('file: is required'),
        401: unauthorized,
        404: audienceNotFound,
        413: unosendError(
          `The CSV is over the import limit (${limits.maxImportBytes} bytes)`,
          'payload_too_large',
          413,
          `The file is larger than the limit of ${limits.maxImportBytes} bytes`,
        ),
        422: importFailed,
      },
    },
    {
      method: 'get',
      path: '/contacts/import/{id}',
      operationId: 'getImport',
      summary: 'Poll a CSV import',
      tags: ['Contacts'],
      parameters: [idParam('import job', JOB_ID)],
      responses: {
        200: { description: 'The import finished', schema: 'UnosendImportDone', example: importDoneExample },
        202: {
          description: 'The import is still running',
          schema: 'UnosendImportRunning',
          example: { data: { id: JOB_ID, status: 'active', progress: 40 } },
        },
        401: unauthorized,
        404: unosendError('No import job with this id in the project', 'job_not_found', 404, 'Job not found'),
        422: importFailed,
      },
    },
    ...resourceOperations(
      {
        path: '/contacts/{id}',
        tags: ['Contacts'],
        parameters: [idParam('contact', CONTACT_ID)],
        responses: { 401: unauthorized, 404: contactNotFound },
      },
      [
        {
          method: 'get',
          operationId: 'getContact',
          summary: 'Get a contact',
          responses: {
            200: { description: 'The contact', schema: 'UnosendContact', example: contactExample },
          },
        },
        {
          method: 'patch',
          operationId: 'updateContact',
          summary: 'Update a contact',
          description:
            'Changes only the given fields. `metadata` replaces the stored metadata whole; `null` clears it. ' +
            '`audience_id: null` takes the contact out of its audience. A new email another contact has is a 409.',
          body: {
            schema: 'UnosendUpdateContactBody',
            example: { first_name: 'Augusta', metadata: { plan: 'team' } },
          },
          responses: {
            200: {
              description: 'The updated contact',
              schema: 'UnosendContact',
              example: {
                ...contactExample,
                first_name: 'Augusta',
                metadata: { plan: 'team' },
                updated_at: LATER,
              },
            },
            400: validation('subscribed: must be a boolean'),
            409: unosendError(
              'The new email is already used by another contact of the project',
              'contact_already_exists',
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
            200: {
              description: 'Deleted',
              schema: 'UnosendDeleted',
              example: { id: CONTACT_ID, deleted: true },
            },
          },
        },
      ],
    ),
    {
      method: 'post',
      path: '/audiences',
      operationId: 'createAudience',
      summary: 'Create an audience',
      tags: ['Audiences'],
      body: {
        schema: 'UnosendCreateAudienceBody',
        example: { name: 'Newsletter', description: 'Monthly product news' },
      },
      responses: {
        201: {
          description: 'The created audience',
          schema: 'UnosendNewAudience',
          example: {
            id: AUDIENCE_ID,
            name: 'Newsletter',
            description: 'Monthly product news',
            created_at: AT,
          },
        },
        400: validation('name: is required'),
        401: unauthorized,
      },
    },
    {
      method: 'get',
      path: '/audiences',
      operationId: 'listAudiences',
      summary: 'List audiences, newest first, with their contact counts',
      tags: ['Audiences'],
      responses: {
        200: {
          description: 'Every audience',
          schema: 'UnosendAudienceList',
          example: { data: [audienceExample] },
        },
        401: unauthorized,
      },
    },
    ...resourceOperations(
      {
        path: '/audiences/{id}',
        tags: ['Audiences'],
        parameters: [idParam('audience', AUDIENCE_ID)],
        responses: { 401: unauthorized, 404: audienceNotFound },
      },
      [
        {
          method: 'get',
          operationId: 'getAudience',
          summary: 'Get an audience',
          responses: {
            200: { description: 'The audience', schema: 'UnosendAudience', example: audienceExample },
          },
        },
        {
          method: 'patch',
          operationId: 'updateAudience',
          summary: 'Rename an audience or change its description',
          body: { schema: 'UnosendUpdateAudienceBody', example: { name: 'Product news' } },
          responses: {
            200: {
              description: 'The updated audience',
              schema: 'UnosendUpdatedAudience',
              example: {
                id: AUDIENCE_ID,
                name: 'Product news',
                description: 'Monthly product news',
                updated_at: LATER,
              },
            },
            400: validation('name: must not be empty'),
          },
        },
        {
          method: 'delete',
          operationId: 'deleteAudience',
          summary: 'Delete an audience (its contacts stay, without an audience)',
          responses: {
            200: {
              description: 'Deleted',
              schema: 'UnosendDeleted',
              example: { id: AUDIENCE_ID, deleted: true },
            },
          },
        },
      ],
    ),
  ];
}

/** Options of `unosendOpenApi`. */
export type UnosendOpenApiOptions = OpenApiOptions;

const unosendOpenApiDocument = cachedDocument('/v1', (serverUrl, limits) => {
  const maxIds = limits.maxBulkIds;
  const bulk = bulkBodies(maxIds);
  return buildDocument({
    title: 'roster: Unosend-compatible contacts and audiences API',
    version: '0.1.0',
    description:
      'The contacts and audiences API of Unosend, served by roster. Code using Unosend’s SDK works by ' +
      'changing only the base URL (`<server>/v1`) and the key. Every error body is JSON in Unosend’s envelope.',
    serverUrl,
    tags: [
      { name: 'Contacts', description: 'Contacts of the project the key belongs to' },
      { name: 'Audiences', description: 'Named lists; a contact is in at most one' },
    ],
    requests: {
      UnosendCreateContactBody: { schema: createContactBody },
      UnosendUpdateContactBody: { schema: updateContactBody },
      UnosendValidateEmailBody: { schema: validateEmailBody },
      UnosendImportBody: { schema: importBody },
      UnosendBulkBody: { schema: z.union([bulk.create, bulk.apply]) },
      UnosendCreateAudienceBody: { schema: createAudienceSchema },
      UnosendUpdateAudienceBody: { schema: updateAudienceSchema },
    },
    schemas: {
      UnosendNewContact: described(unosendNewContactSchema, 'A contact as created'),
      UnosendContact: described(unosendContactSchema, 'A contact'),
      UnosendContactList: described(contactListSchema, 'A list of contacts'),
      UnosendEmailCheck: described(emailCheckSchema, 'The outcome of an email check'),
      UnosendBulkResult: described(
        z.union([bulkCreatedSchema, bulkAppliedSchema]),
        'What a bulk request did',
      ),
      UnosendDeleted: described(deletedSchema, 'A deleted resource'),
      UnosendImportDone: described(importDoneSchema, 'A finished import'),
      UnosendImportRunning: described(importRunningSchema, 'An import still running'),
      UnosendNewAudience: described(unosendNewAudienceSchema, 'An audience as created'),
      UnosendAudience: described(unosendAudienceSchema, 'An audience with its contact count'),
      UnosendUpdatedAudience: described(unosendUpdatedAudienceSchema, 'An audience as updated'),
      UnosendAudienceList: described(audienceListSchema, 'A list of audiences'),
      UnosendError: described(unosendErrorSchema, 'Unosend’s error envelope'),
    },
    operations: operations(limits),
  });
});

/**
 * The OpenAPI 3.1 document of the Unosend-compatible API (`createUnosendRouter`). Request schemas
 * are core's zod schemas under Unosend's field names.
 */
export function unosendOpenApi(options: UnosendOpenApiOptions = {}): JsonObject {
  return unosendOpenApiDocument(options);
}
