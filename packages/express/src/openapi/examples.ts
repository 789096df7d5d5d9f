// Example values, and the parameter, response and list-schema builders the Plunk, roster and
// Unosend OpenAPI documents share (Resend's takes its path parameters from here too), so their
// examples and shapes agree with each other.

import { z } from 'zod';
import type { ParameterSpec, ResponseSpec } from './document.js';

export const PROJECT_ID = '0193a1b2-6f00-7a10-9c3e-2b4d6f8a0c1e';
export const JOB_ID = '0193a1b2-8000-7abc-9def-0123456789ab';
export const AT = '2026-11-23T19:40:00.000Z';
export const LATER = '2026-11-23T19:45:12.345Z';

/** Plunk's error envelope as an example (roster's own routes answer with it too). */
export function plunkErrorExample(code: string, statusCode: number, message: string, errors?: object[]) {
  return {
    success: false,
    error: { code, message, statusCode, ...(errors ? { errors } : {}) },
    timestamp: AT,
  };
}

/** A 400 in Plunk's envelope whose `errors` name one field: `field: message`. */
export function plunkFieldError(description: string, field: string, message: string) {
  return plunkErrorResponse(description, 'VALIDATION_ERROR', 400, `${field}: ${message}`, [
    { field, message },
  ]);
}

/** The 401 of every route behind `Authorization: Bearer sk_...`. */
export const plunkUnauthorized = {
  description: 'No `Authorization: Bearer <key>` header, a public `pk_` key, or an unknown or revoked key',
  schema: 'PlunkError',
  example: plunkErrorExample('INVALID_API_KEY', 401, 'Invalid API key'),
};

/** A response in Plunk's error envelope (with `errors` when given). */
export function plunkErrorResponse(
  description: string,
  code: string,
  statusCode: number,
  message: string,
  errors?: object[],
) {
  return { description, schema: 'PlunkError', example: plunkErrorExample(code, statusCode, message, errors) };
}

/** A path parameter holding an id: a string on the wire (an id that is not a UUID is simply not found). */
export function pathIdParam(name: string, description: string, example: string): ParameterSpec {
  return { name, in: 'path', description, schema: z.string(), example };
}

/** The `{jobId}` of routes that poll a job queued by a 202 (Plunk's and roster's imports). */
export const jobIdParam = pathIdParam('jobId', 'The job id from the 202 answer', JOB_ID);

/** `{"data": [...]}`: a whole list (roster's and Unosend's lists). */
export function dataListSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item) });
}

/** A keyset page: `cursor` (the last item's, for the next page) is null on the last page. */
export function keysetPageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), cursor: z.string().nullable(), hasMore: z.boolean() });
}

/** The `format` of a contacts export (roster's and Unosend's): CSV unless `json`. */
export function exportFormatParam(example: 'csv' | 'json'): ParameterSpec {
  return {
    name: 'format',
    in: 'query',
    description: '`csv` (default) or `json`',
    schema: z.enum(['csv', 'json']),
    example,
  };
}

/** The 200 of a contacts export: `csv` its example of the CSV, `example` of the JSON body of `schema`. */
export function exportResponse(schema: string, example: unknown, csv: string): ResponseSpec {
  return {
    description: 'The contacts: `text/csv` by default, `{"data": [...]}` with `format=json`',
    schema,
    example,
    content: { 'text/csv': { schema: { type: 'string' }, example: csv } },
  };
}
