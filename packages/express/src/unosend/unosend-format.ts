import type { Audience, AudienceWithCount, Contact, FieldIssue } from '@roster/core';
import type { HttpError } from '../errors.js';

/**
 * Unosend's wire format (snake_case). Core's names map to Unosend's in one place:
 * `firstName` → `first_name`, `data` → `metadata`, and so on.
 */

/** A contact as Unosend answers `POST /v1/contacts` (no `updated_at` there). */
export function toUnosendNewContact(contact: Contact & { suppressed?: true }) {
  return {
    id: contact.id,
    email: contact.email,
    first_name: contact.firstName,
    last_name: contact.lastName,
    audience_id: contact.audienceId,
    subscribed: contact.subscribed,
    metadata: contact.data ?? {},
    created_at: contact.createdAt,
    // roster: the address is suppressed, so the contact was created unsubscribed.
    ...(contact.suppressed ? { suppressed: contact.suppressed } : {}),
  };
}

/** A contact as Unosend answers get, list and update. */
export function toUnosendContact(contact: Contact) {
  return { ...toUnosendNewContact(contact), updated_at: contact.updatedAt };
}

export function toUnosendNewAudience(audience: Audience) {
  return {
    id: audience.id,
    name: audience.name,
    description: audience.description,
    created_at: audience.createdAt,
  };
}

export function toUnosendAudience(audience: AudienceWithCount) {
  return {
    id: audience.id,
    name: audience.name,
    description: audience.description,
    contacts_count: audience.contactsCount,
    created_at: audience.createdAt,
    updated_at: audience.updatedAt,
  };
}

/** Unosend's answer to `PATCH /v1/audiences/:id`. */
export function toUnosendUpdatedAudience(audience: Audience) {
  return {
    id: audience.id,
    name: audience.name,
    description: audience.description,
    updated_at: audience.updatedAt,
  };
}

// A Map, not an object literal: path parts are user-named keys (`metadata.__proto__`,
// `metadata.constructor`), which must never find an inherited `Object.prototype` member.
const WIRE_FIELDS: ReadonlyMap<string, string> = new Map([
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['audienceId', 'audience_id'],
  ['data', 'metadata'],
  ['contactIds', 'contact_ids'],
]);

/** A core field path (`contacts.2.firstName`) in Unosend's names (`contacts.2.first_name`). */
export function toWireField(field: string): string {
  return field
    .split('.')
    .map((part) => WIRE_FIELDS.get(part) ?? part)
    .join('.');
}

function unosendErrorType(error: HttpError): string {
  switch (error.code) {
    case 'validation_failed':
    case 'invalid_cursor':
      return 'validation_error';
    case 'malformed_json':
      return 'invalid_json';
    case 'unauthorized':
      return error.reason === 'missing' ? 'missing_api_key' : 'invalid_api_key';
    case 'forbidden':
      return 'insufficient_permissions';
    case 'not_found':
      return error.resource ? `${error.resource}_not_found` : 'not_found';
    case 'route_not_found':
      return 'not_found';
    case 'conflict':
      return error.resource ? `${error.resource}_already_exists` : 'conflict';
    case 'payload_too_large':
      return 'payload_too_large';
    case 'job_failed':
      return 'job_failed';
    case 'rate_limited':
      return 'rate_limit_exceeded';
    case 'internal':
      return 'internal_error';
  }
}

function describeIssues(issues: FieldIssue[]): string {
  return issues.map((issue) => `${toWireField(issue.field)}: ${issue.message}`).join('; ');
}

/**
 * Unosend's error envelope: `{"error":{"message","code":<HTTP status>,"type"}}`. Field problems
 * are named in the message with Unosend's field names.
 */
export function toUnosendErrorBody(error: HttpError) {
  const message =
    error.issues.length > 0 && (error.code === 'validation_failed' || error.code === 'invalid_cursor')
      ? describeIssues(error.issues)
      : error.message;
  return {
    error: {
      message,
      code: error.status,
      type: unosendErrorType(error),
      ...(error.requestId === undefined ? {} : { request_id: error.requestId }),
    },
  };
}
