import type { Contact, ContactPage, FieldIssue } from '@roster/core';
import { isRosterError } from '@roster/core';
import type { Response } from 'express';
import type { HttpError } from '../errors.js';

/** Plunk's contact object. First/last name and audience are Unosend fields and are not shown here. */
export function toPlunkContact(contact: Contact) {
  return {
    id: contact.id,
    email: contact.email,
    subscribed: contact.subscribed,
    data: contact.data,
    projectId: contact.projectId,
    createdAt: contact.createdAt,
    updatedAt: contact.updatedAt,
  };
}

/** A page of `GET /contacts` (Plunk's, and roster's own): `total` only when it was counted. */
export function toPlunkContactPage(page: ContactPage) {
  return {
    data: page.data.map(toPlunkContact),
    cursor: page.cursor,
    hasMore: page.hasMore,
    ...(page.total === undefined ? {} : { total: page.total }),
  };
}

function plunkErrorCode(error: HttpError): string {
  switch (error.code) {
    case 'validation_failed':
    case 'invalid_cursor':
    case 'malformed_json':
      return 'VALIDATION_ERROR';
    case 'unauthorized':
      return error.reason === 'invalid_key' ? 'INVALID_API_KEY' : 'UNAUTHORIZED';
    case 'forbidden':
      return 'FORBIDDEN';
    case 'not_found':
      return error.resource ? `${error.resource.toUpperCase()}_NOT_FOUND` : 'NOT_FOUND';
    case 'route_not_found':
      return 'NOT_FOUND';
    case 'conflict':
      return 'CONFLICT';
    case 'payload_too_large':
      return 'PAYLOAD_TOO_LARGE';
    case 'job_failed':
      return 'JOB_FAILED';
    case 'rate_limited':
      return 'RATE_LIMIT_EXCEEDED';
    case 'internal':
      return 'INTERNAL_SERVER_ERROR';
  }
}

/** `error.details` of Plunk's envelope: a reused Idempotency-Key's first request, or a 429's wait. */
export type PlunkErrorDetails =
  | { key: string; originalRequest: string; originalRequestAt: string; originalStatusCode: number | null }
  | { retryAfter: number };

/** Plunk's error envelope. `errors` lists field problems when there are any. */
export function toPlunkErrorBody(error: HttpError) {
  const details = (
    error.retryAfterSeconds === undefined ? undefined : { retryAfter: error.retryAfterSeconds }
  ) as PlunkErrorDetails | undefined;
  return {
    success: false as const,
    error: {
      code: plunkErrorCode(error),
      message: error.message,
      statusCode: error.status,
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
      ...(error.issues.length > 0 ? { errors: error.issues } : {}),
      ...(details === undefined ? {} : { details }),
    },
    timestamp: new Date().toISOString(),
  };
}

/**
 * Plunk's 409 for a reused Idempotency-Key: its envelope, with the first request's details (never
 * a replay of its answer).
 */
export function toPlunkKeyReusedBody(
  holder: Extract<PlunkErrorDetails, { key: string }>,
  requestId?: string | undefined,
) {
  return {
    success: false as const,
    error: {
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: 'This Idempotency-Key has already been used for another request',
      statusCode: 409,
      ...(requestId === undefined ? {} : { requestId }),
      details: holder,
      suggestion: 'Generate a new Idempotency-Key for each distinct request.',
    },
    timestamp: new Date().toISOString(),
  };
}

/** Plunk answers `/v1/*` validation errors with 422 (zod and `reserved_event`); a bad Idempotency-Key is a 400. */
export function adjustTrackError(error: HttpError, path: string): HttpError {
  if (!path.startsWith('/v1/')) return error;
  if (error.code !== 'validation_failed') return error;
  if (error.issues.some((issue) => issue.field === 'Idempotency-Key')) return error;
  return { ...error, status: 422 };
}

/**
 * Plunk's flat error body (`{"error": "<message>"}`, its OpenAPI `LegacyError`), which Plunk's
 * controller sends for the cases it validates by hand: bulk payloads, a missing CSV file, unknown
 * job ids, a missing email.
 */
export function sendFlatError(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}

/** The first problem of a `validation_failed` error, as one line naming the field. */
export function flatMessage(error: { message: string; details: { issues?: FieldIssue[] } }): string {
  const issue = error.details.issues?.[0];
  return issue ? `${issue.field}: ${issue.message}` : error.message;
}

/** Runs `work`; a `validation_failed` (or `not_found`) from core is answered in Plunk's flat shape. */
export async function flatOn(
  res: Response,
  codes: Partial<Record<'validation_failed' | 'not_found', { status: number; message?: string }>>,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (isRosterError(error) && (error.code === 'validation_failed' || error.code === 'not_found')) {
      const flat = codes[error.code];
      if (flat) return sendFlatError(res, flat.status, flat.message ?? flatMessage(error));
    }
    throw error;
  }
}
