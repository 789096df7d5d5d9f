import { type ApiKeyInfo, type CreatedApiKey, createKeySchema } from '@roster/core';
import { z } from 'zod';
import type { toImportView } from '../roster/router.js';
import {
  assertSameType,
  buildDocument,
  cachedDocument,
  type JsonObject,
  type OpenApiOptions,
} from './document.js';
import { plunkErrorSchema } from './plunk.js';

// ---- wire formats (tied to the types the router answers by the compile-time checks below) ------

const rosterProjectSchema = z.object({ id: z.uuid(), name: z.string(), createdAt: z.iso.datetime() });

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
const rosterKeyListSchema = z.object({ data: z.array(rosterKeySchema) });

const rosterImportSchema = z.object({
  id: z.uuid(),
  state: z.enum(['waiting', 'active', 'completed', 'failed']),
  progress: z.int().min(0).max(100),
  rows: z.object({
    total: z.int().min(0),
    created: z.int().min(0),
    updated: z.int().min(0),
    failed: z.int().min(0),
  }),
  errors: z.array(z.object({ row: z.int().min(1), email: z.string(), error: z.string() })),
  failedReason: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

assertSameType<z.output<typeof rosterKeySchema>, ApiKeyInfo>(true);
assertSameType<z.output<typeof rosterCreatedKeySchema>, CreatedApiKey>(true);
assertSameType<z.output<typeof rosterImportSchema>, ReturnType<typeof toImportView>>(true);

// ---- examples ---------------------------------------------------------------------------------------

const PROJECT_ID = '0193a1b2-6f00-7a10-9c3e-2b4d6f8a0c1e';
const KEY_ID = '0193a1b2-9a00-7b11-8c22-3d44e55f6a7b';
const JOB_ID = '0193a1b2-8000-7abc-9def-0123456789ab';
const AT = '2026-11-23T19:40:00.000Z';
const LATER = '2026-11-23T19:45:12.345Z';

function errorExample(code: string, statusCode: number, message: string, errors?: object[]) {
  return {
    success: false,
    error: { code, message, statusCode, ...(errors ? { errors } : {}) },
    timestamp: AT,
  };
}
const unauthorized = {
  description: 'No `Authorization: Bearer <key>` header, a public `pk_` key, or an unknown or revoked key',
  schema: 'PlunkError',
  example: errorExample('INVALID_API_KEY', 401, 'Invalid API key'),
};
const keyExample = {
  id: KEY_ID,
  projectId: PROJECT_ID,
  prefix: 'sk_',
  lastFour: '9f3a',
  createdAt: AT,
  revokedAt: null,
};

const rosterOpenApiDocument = cachedDocument('/roster', (serverUrl) =>
  buildDocument({
    title: 'roster: management API',
    version: '0.1.0',
    description:
      'roster’s own routes beside the providers’ APIs: the key’s project, its API keys, and an import’s row ' +
      'counts while it runs. Secret keys as Bearer tokens; errors in Plunk’s envelope.',
    serverUrl,
    tags: [
      { name: 'Project', description: 'The project the key belongs to' },
      { name: 'Keys', description: 'API keys of the project' },
      { name: 'Imports', description: 'CSV imports started with `POST /contacts/import`' },
    ],
    requests: { RosterCreateKeyBody: { schema: createKeySchema } },
    schemas: {
      RosterProject: { schema: rosterProjectSchema, description: 'A project' },
      RosterKey: { schema: rosterKeySchema, description: 'An API key as listed (never the key itself)' },
      RosterCreatedKey: {
        schema: rosterCreatedKeySchema,
        description: 'A new API key, with the key shown once',
      },
      RosterKeyList: { schema: rosterKeyListSchema, description: 'The project’s API keys, oldest first' },
      RosterImport: { schema: rosterImportSchema, description: 'An import job with its row counts' },
      PlunkError: { schema: plunkErrorSchema, description: 'Plunk’s error envelope' },
    },
    operations: [
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
          400: {
            description: 'A prefix that is not lowercase letters or digits ending in `_`',
            schema: 'PlunkError',
            example: errorExample('VALIDATION_ERROR', 400, 'prefix: must be lowercase letters or digits', [
              { field: 'prefix', message: 'must be lowercase letters or digits ending in "_", e.g. sk_' },
            ]),
          },
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
        parameters: [
          { name: 'id', in: 'path', description: 'The key’s id', schema: z.string(), example: KEY_ID },
        ],
        responses: {
          204: { description: 'Revoked' },
          404: {
            description: 'No active key with this id in the project (also for another project’s key)',
            schema: 'PlunkError',
            example: errorExample('API_KEY_NOT_FOUND', 404, 'API key not found'),
          },
          401: unauthorized,
        },
      },
      {
        method: 'get',
        path: '/imports/{jobId}',
        operationId: 'getImport',
        summary: 'An import’s state and row counts',
        description: 'While the job runs, `rows` counts the rows of the batches committed so far.',
        tags: ['Imports'],
        parameters: [
          {
            name: 'jobId',
            in: 'path',
            description: 'The job id from the 202 answer',
            schema: z.string(),
            example: JOB_ID,
          },
        ],
        responses: {
          200: {
            description: 'The import',
            schema: 'RosterImport',
            example: {
              id: JOB_ID,
              state: 'completed',
              progress: 100,
              rows: { total: 3, created: 1, updated: 1, failed: 1 },
              errors: [{ row: 4, email: 'not-an-email', error: 'Invalid email' }],
              createdAt: AT,
              updatedAt: LATER,
            },
          },
          404: {
            description: 'No import job with this id in the project',
            schema: 'PlunkError',
            example: errorExample('JOB_NOT_FOUND', 404, 'Job not found'),
          },
          401: unauthorized,
        },
      },
    ],
  }),
);

/** The OpenAPI 3.1 document of roster's management API (`createRosterRouter`, served at `/roster`). */
export function rosterOpenApi(options: Pick<OpenApiOptions, 'serverUrl'> = {}): JsonObject {
  return rosterOpenApiDocument(options);
}
