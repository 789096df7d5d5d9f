import { WEBHOOK_EVENT_TYPES, type WebhookDelivery, type WebhookEndpoint } from '../wire.js';

// The JSON shapes and lists the management API answers with live in the import-free `wire.ts`
// (`@roster/core/wire`, shared with the dashboard app); re-exported here beside the types.
export {
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_EVENT_TYPES,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookEndpoint,
  type WebhookEventType,
  type WebhookTestResult,
} from '../wire.js';

/** The type of the event `sendTest` sends. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

/** Most endpoints per project. */
export const MAX_WEBHOOK_ENDPOINTS = 50;
/** Longest response body excerpt kept per attempt, in bytes (UTF-8). */
export const MAX_RESPONSE_EXCERPT_BYTES = 1024;

const SEGMENT_SLUG = '[a-z0-9_]+(?:-[a-z0-9_]+)*';
const SEGMENT_EVENT = new RegExp(`^segment\\.(?:${SEGMENT_SLUG}|\\*)(?:\\.(?:entry|exit|\\*))?$`);

/**
 * True for what an endpoint may list in `eventTypes`: a known type, `*` (every event),
 * `segment.<slug>.entry|exit`, or a segment pattern with `*` for the slug and/or the kind
 * (`segment.*.entry`, `segment.vip.*`, `segment.*`).
 */
export function isWebhookEventPattern(value: string): boolean {
  if (value === '*') return true;
  if ((WEBHOOK_EVENT_TYPES as readonly string[]).includes(value)) return true;
  if (!SEGMENT_EVENT.test(value)) return false;
  // `segment.<slug>` alone names no event: it needs `.entry`, `.exit` or `.*`, unless the slug is `*`.
  return value === 'segment.*' || value.split('.').length === 3;
}

/** True when an endpoint subscribed to `patterns` receives an event of `type`. */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  for (const pattern of patterns) {
    if (pattern === '*' || pattern === type) return true;
    if (!pattern.includes('*') || !type.startsWith('segment.')) continue;
    const [, slug, kind] = type.split('.');
    const [, pSlug, pKind] = pattern.split('.');
    if ((pSlug === '*' || pSlug === slug) && (pKind === undefined || pKind === '*' || pKind === kind))
      return true;
  }
  return false;
}

/** A new endpoint, with its secret (also readable later with `secret()`). */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  /** `whsec_` + base64 of 24 random bytes: the key receivers verify signatures with. */
  secret: string;
}

export interface WebhookSecret {
  /** The current secret. */
  secret: string;
  /** The previous secret while it still signs (after a rotation), else null. */
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
}

export interface WebhookDeliveryPage {
  data: WebhookDelivery[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
