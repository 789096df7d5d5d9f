import type { Contact, ContactProperty, ContactTopic, FieldIssue, Segment, Topic } from '@roster/core';
import type { HttpError } from '../errors.js';

/**
 * Resend's wire format (snake_case), as its API answers (see the recordings in `resend/resend-node`):
 * `object` discriminators, `created_at` in Resend's own timestamp format, `unsubscribed` the inverse
 * of roster's `subscribed`, a contact's `data` as its `properties`.
 */

/** Resend's timestamp format: `2025-10-17 16:47:14.626+00` (PostgreSQL's text form), not ISO 8601. */
export function toResendTime(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '+00');
}

/** A contact as Resend lists it. */
export function toResendListedContact(contact: Contact) {
  return {
    id: contact.id,
    email: contact.email,
    first_name: contact.firstName,
    last_name: contact.lastName,
    created_at: toResendTime(contact.createdAt),
    unsubscribed: !contact.subscribed,
    properties: contact.data ?? {},
  };
}

/** A contact as Resend answers `GET /contacts/{id_or_email}`. */
export function toResendContact(contact: Contact) {
  return { object: 'contact' as const, ...toResendListedContact(contact) };
}

export function toResendSegment(segment: Segment, object: 'segment' | 'audience' = 'segment') {
  return { object, id: segment.id, name: segment.name, created_at: toResendTime(segment.createdAt) };
}

export function toResendListedSegment(segment: Segment) {
  return { id: segment.id, name: segment.name, created_at: toResendTime(segment.createdAt) };
}

export function toResendTopic(topic: Topic) {
  return {
    object: 'topic' as const,
    id: topic.id,
    name: topic.name,
    description: topic.description,
    default_subscription: topic.defaultSubscription,
    created_at: toResendTime(topic.createdAt),
  };
}

export function toResendContactTopic(topic: ContactTopic) {
  return { id: topic.id, name: topic.name, description: topic.description, subscription: topic.subscription };
}

export function toResendProperty(property: ContactProperty) {
  return {
    object: 'contact_property' as const,
    id: property.id,
    key: property.key,
    type: property.type,
    fallback_value: property.fallbackValue,
    created_at: toResendTime(property.createdAt),
  };
}

/** Resend's list envelope. */
export function resendList<T>(data: T[], hasMore: boolean) {
  return { object: 'list' as const, has_more: hasMore, data };
}

// A Map, not an object literal: path parts are user-named keys (`properties.__proto__`).
const WIRE_FIELDS: ReadonlyMap<string, string> = new Map([
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['data', 'properties'],
  ['subscribed', 'unsubscribed'],
  ['defaultSubscription', 'default_subscription'],
  ['fallbackValue', 'fallback_value'],
  ['cursor', 'after'],
]);

/** A core field path (`data.seats`) in Resend's names (`properties.seats`): only its first part is renamed. */
export function toWireField(field: string): string {
  // Only the first part is a core name; the rest are user-named keys (`data.cursor` is `properties.cursor`).
  const [first = '', ...rest] = field.split('.');
  return [WIRE_FIELDS.get(first) ?? first, ...rest].join('.');
}

/**
 * The one table from a classified error to Resend's status and error `name` (Resend's documented
 * names: validation_error, missing_required_field, missing_api_key, invalid_api_key, not_found, ...).
 */
export const RESEND_ERRORS = {
  validation_failed: { status: 422, name: 'validation_error' },
  invalid_cursor: { status: 422, name: 'invalid_parameter' },
  malformed_json: { status: 400, name: 'validation_error' },
  unauthorized: { status: 401, name: 'missing_api_key' },
  forbidden: { status: 403, name: 'invalid_access' },
  not_found: { status: 404, name: 'not_found' },
  route_not_found: { status: 404, name: 'not_found' },
  conflict: { status: 409, name: 'validation_error' },
  payload_too_large: { status: 413, name: 'validation_error' },
  job_failed: { status: 422, name: 'application_error' },
  rate_limited: { status: 429, name: 'rate_limit_exceeded' },
  internal: { status: 500, name: 'internal_server_error' },
} as const satisfies Record<HttpError['code'], { status: number; name: string }>;

const RESOURCE_NAMES: ReadonlyMap<string, string> = new Map([
  ['contact', 'Contact'],
  ['segment', 'Segment'],
  ['topic', 'Topic'],
  ['property', 'Contact property'],
  ['contact_property', 'Contact property'],
  ['job', 'Contact import'],
  ['import', 'Contact import'],
  ['suppression', 'Suppression'],
]);

function describeIssues(issues: FieldIssue[]): string {
  return issues.map((issue) => `\`${toWireField(issue.field)}\` ${issue.message}`).join('; ');
}

/** The status and `name` Resend answers for an error (see `RESEND_ERRORS`). */
export function resendErrorOf(error: HttpError): { status: number; name: string; message: string } {
  if (error.code === 'unauthorized' && error.reason !== 'missing') {
    return { status: 403, name: 'invalid_api_key', message: 'API key is invalid' };
  }
  if (error.code === 'unauthorized') {
    return {
      status: 401,
      name: 'missing_api_key',
      message:
        'Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY',
    };
  }
  if (error.code === 'validation_failed' && error.issues.length > 0) {
    const missing = error.issues.filter((issue) => issue.message === 'is required');
    if (missing.length === error.issues.length) {
      return {
        status: 422,
        name: 'missing_required_field',
        message: `Missing ${missing.map((issue) => `\`${toWireField(issue.field)}\``).join(', ')} field.`,
      };
    }
  }
  const entry = RESEND_ERRORS[error.code];
  // An unsupported body encoding keeps its 415.
  const status = error.code === 'validation_failed' && error.status === 415 ? 415 : entry.status;
  let message = error.message;
  if ((error.code === 'validation_failed' || error.code === 'invalid_cursor') && error.issues.length > 0) {
    message = describeIssues(error.issues);
  } else if (error.code === 'not_found' && error.resource) {
    message = `${RESOURCE_NAMES.get(error.resource) ?? error.resource} not found`;
  } else if (error.code === 'route_not_found') {
    message = 'The requested endpoint does not exist.';
  }
  return { status, name: entry.name, message };
}

/** Resend's error body: `{"statusCode","message","name"}`. */
export function toResendErrorBody(error: HttpError) {
  const { status, name, message } = resendErrorOf(error);
  return { statusCode: status, message, name };
}
