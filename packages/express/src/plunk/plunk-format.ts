import type { Contact, ContactPage } from '@roster/core';
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
      ...(error.issues.length > 0 ? { errors: error.issues } : {}),
      ...(details === undefined ? {} : { details }),
    },
    timestamp: new Date().toISOString(),
  };
}
