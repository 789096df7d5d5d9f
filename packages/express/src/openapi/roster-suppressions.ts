import { addSuppressionSchema, configureInboundSchema } from '@roster/core/schemas';
import { z } from 'zod';
import { described, type OperationSpec, resourceOperations } from './document.js';
import {
  AT,
  keysetPageSchema,
  PROJECT_ID,
  pathIdParam,
  plunkErrorResponse,
  plunkFieldError,
  plunkUnauthorized,
} from './examples.js';

/** The management API's suppressions, bounce-webhook credentials and personal-data routes. */

const SUPPRESSION_ID = '019a7d1e-8e5f-7f70-8b12-4d5e6f708192';

const suppressionSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  email: z.string().nullable().describe('The address; null for an erasure (only a keyed hash of it is kept)'),
  origin: z.enum(['bounce', 'complaint', 'manual', 'erasure']),
  reason: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
const suppressionExample = {
  id: SUPPRESSION_ID,
  projectId: PROJECT_ID,
  email: 'gone@example.com',
  origin: 'manual',
  reason: 'Asked by phone',
  createdAt: AT,
};
const addResultSchema = z.object({
  suppression: suppressionSchema,
  created: z.boolean().describe('False when the address was already suppressed (the entry is unchanged)'),
  unsubscribed: z.boolean().describe('True when a subscribed contact with the address was unsubscribed'),
});
const inboundSettingsSchema = z.object({
  resend: z.boolean().describe('A Resend signing secret is set (never read back)'),
  postmarkUser: z.string().nullable().describe('Postmark’s basic auth user, or null'),
});
const emailBody = z.object({ email: z.string() });
const countsSchema = z.int().min(0);
const erasureReportSchema = z.object({
  projectId: z.uuid(),
  contactDeleted: z.boolean(),
  events: countsSchema,
  segmentMemberships: countsSchema,
  topicSubscriptions: countsSchema,
  changesDeleted: countsSchema,
  changesScrubbed: countsSchema,
  webhookDeliveriesDeleted: countsSchema,
  webhookDeliveriesScrubbed: countsSchema,
  webhookAttemptsScrubbed: countsSchema,
  jobsScrubbed: countsSchema,
  importErrorRows: countsSchema,
  idempotencyRecordsDeleted: countsSchema,
  otherEventsScrubbed: countsSchema,
  suppressionsReplaced: countsSchema,
  suppression: suppressionSchema,
});
const personalDataSchema = z.object({
  exportedAt: z.iso.datetime(),
  projectId: z.uuid(),
  email: z.string(),
  contact: z.record(z.string(), z.unknown()).nullable(),
  audience: z.object({ id: z.string(), name: z.string() }).nullable(),
  events: z.array(z.record(z.string(), z.unknown())),
  segments: z.array(z.record(z.string(), z.unknown())),
  topics: z.array(z.record(z.string(), z.unknown())),
  suppressions: z.array(suppressionSchema),
  changes: z.array(z.record(z.string(), z.unknown())),
  webhookDeliveries: z.array(z.record(z.string(), z.unknown())),
  importErrors: z.array(z.record(z.string(), z.unknown())),
  jobs: z.array(z.record(z.string(), z.unknown())),
  idempotencyRecords: z.array(z.record(z.string(), z.unknown())),
});

const suppressionNotFound = plunkErrorResponse(
  'No such suppression',
  'SUPPRESSION_NOT_FOUND',
  404,
  'Suppression not found',
);

export const suppressionRequests = {
  RosterAddSuppressionBody: { schema: addSuppressionSchema },
  RosterInboundSettingsBody: { schema: configureInboundSchema },
  RosterEmailBody: { schema: emailBody },
};

export const suppressionSchemas = {
  RosterSuppression: described(suppressionSchema, 'An address no write can make subscribed'),
  RosterSuppressionPage: described(
    keysetPageSchema(suppressionSchema),
    'A page of suppressions, newest first',
  ),
  RosterAddSuppressionResult: described(addResultSchema, 'The entry, and what adding it did'),
  RosterInboundSettings: described(inboundSettingsSchema, 'Which bounce webhooks are configured'),
  RosterPersonalData: described(personalDataSchema, 'Everything roster stores about one address'),
  RosterErasureReport: described(erasureReportSchema, 'What an erasure removed, and the suppression it left'),
};

export const suppressionTags = [
  {
    name: 'Suppressions',
    description:
      'Addresses that no write of any API can make subscribed, fed by hand and by bounce and complaint webhooks',
  },
  { name: 'Personal data', description: 'Export and erasure of everything roster stores about one address' },
];

const emailExample = { email: 'ada@example.com' };

export const suppressionOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/suppressions',
    operationId: 'listSuppressions',
    summary: 'List the project’s suppressions',
    tags: ['Suppressions'],
    parameters: [
      {
        name: 'origin',
        in: 'query',
        description: '`bounce`, `complaint`, `manual` or `erasure`',
        schema: z.string(),
      },
      {
        name: 'limit',
        in: 'query',
        description: 'Page size, 1–100 (default 20)',
        schema: z.string(),
        example: '20',
      },
      { name: 'cursor', in: 'query', description: 'The `cursor` of the previous page', schema: z.string() },
    ],
    responses: {
      200: {
        description: 'A page, newest first',
        schema: 'RosterSuppressionPage',
        example: { data: [suppressionExample], cursor: null, hasMore: false },
      },
      401: plunkUnauthorized,
    },
  },
  {
    method: 'post',
    path: '/suppressions',
    operationId: 'addSuppression',
    summary: 'Suppress an address (and unsubscribe its contact)',
    description:
      '`origin` defaults to `manual`. An address already listed keeps its entry (200, `created: false`).',
    tags: ['Suppressions'],
    body: {
      schema: 'RosterAddSuppressionBody',
      example: { email: 'gone@example.com', reason: 'Asked by phone' },
    },
    responses: {
      201: {
        description: 'Suppressed',
        schema: 'RosterAddSuppressionResult',
        example: { suppression: suppressionExample, created: true, unsubscribed: true },
      },
      200: {
        description: 'Already suppressed',
        schema: 'RosterAddSuppressionResult',
        example: { suppression: suppressionExample, created: false, unsubscribed: false },
      },
      400: plunkFieldError('A missing or invalid field', 'email', 'must be a valid email address'),
      401: plunkUnauthorized,
    },
  },
  ...resourceOperations(
    {
      path: '/suppressions/{idOrEmail}',
      tags: ['Suppressions'],
      parameters: [pathIdParam('idOrEmail', 'The suppression’s id or the address', SUPPRESSION_ID)],
      responses: { 401: plunkUnauthorized, 404: suppressionNotFound },
    },
    [
      {
        method: 'get',
        operationId: 'getSuppression',
        summary: 'A suppression, by id or address (also an erasure, by its address)',
        responses: {
          200: { description: 'The entry', schema: 'RosterSuppression', example: suppressionExample },
        },
      },
      {
        method: 'delete',
        operationId: 'removeSuppression',
        summary: 'Remove a suppression: later writes may subscribe the address again',
        responses: { 204: { description: 'Removed' } },
      },
    ],
  ),
  {
    method: 'get',
    path: '/inbound-settings',
    operationId: 'getInboundSettings',
    summary: 'Which bounce and complaint webhooks are configured',
    tags: ['Suppressions'],
    responses: {
      200: {
        description: 'The settings',
        schema: 'RosterInboundSettings',
        example: { resend: true, postmarkUser: 'roster' },
      },
      401: plunkUnauthorized,
    },
  },
  {
    method: 'put',
    path: '/inbound-settings',
    operationId: 'setInboundSettings',
    summary: 'Set the credentials of the bounce and complaint webhooks',
    description:
      '`resendSecret`: the signing secret (`whsec_…`) of the Resend webhook that posts to ' +
      '`/inbound/resend/{projectId}`; `postmark`: the basic auth of Postmark’s webhook at ' +
      '`/inbound/postmark/{projectId}`. null removes one; absent leaves it.',
    tags: ['Suppressions'],
    body: {
      schema: 'RosterInboundSettingsBody',
      example: { postmark: { username: 'roster', password: 'a long random password' } },
    },
    responses: {
      200: {
        description: 'The settings',
        schema: 'RosterInboundSettings',
        example: { resend: false, postmarkUser: 'roster' },
      },
      400: plunkFieldError(
        'An invalid field',
        'resendSecret',
        'must be a Resend signing secret (whsec_ followed by base64)',
      ),
      401: plunkUnauthorized,
    },
  },
  {
    method: 'post',
    path: '/personal-data/export',
    operationId: 'exportPersonalData',
    summary: 'Everything roster stores about one address, as one JSON document',
    tags: ['Personal data'],
    body: { schema: 'RosterEmailBody', example: emailExample },
    responses: {
      200: {
        description: 'The document',
        schema: 'RosterPersonalData',
        example: {
          exportedAt: AT,
          projectId: PROJECT_ID,
          email: 'ada@example.com',
          contact: null,
          audience: null,
          events: [],
          segments: [],
          topics: [],
          suppressions: [],
          changes: [],
          webhookDeliveries: [],
          importErrors: [],
          jobs: [],
          idempotencyRecords: [],
        },
      },
      400: plunkFieldError('A missing or invalid email', 'email', 'must be a valid email address'),
      401: plunkUnauthorized,
    },
  },
  {
    method: 'post',
    path: '/personal-data/erase',
    operationId: 'erasePersonalData',
    summary: 'Erase one address: its contact and every trace, leaving a hashed erasure suppression',
    tags: ['Personal data'],
    body: { schema: 'RosterEmailBody', example: emailExample },
    responses: {
      200: {
        description: 'What was removed',
        schema: 'RosterErasureReport',
        example: {
          projectId: PROJECT_ID,
          contactDeleted: true,
          events: 2,
          segmentMemberships: 1,
          topicSubscriptions: 0,
          changesDeleted: 3,
          changesScrubbed: 0,
          webhookDeliveriesDeleted: 1,
          webhookDeliveriesScrubbed: 0,
          webhookAttemptsScrubbed: 0,
          jobsScrubbed: 0,
          importErrorRows: 0,
          idempotencyRecordsDeleted: 0,
          otherEventsScrubbed: 0,
          suppressionsReplaced: 0,
          suppression: { ...suppressionExample, email: null, origin: 'erasure', reason: null },
        },
      },
      400: plunkFieldError('A missing or invalid email', 'email', 'must be a valid email address'),
      401: plunkUnauthorized,
    },
  },
];
