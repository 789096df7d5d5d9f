import { createHmac, randomBytes } from 'node:crypto';

/** Prefix of webhook secrets (Standard Webhooks). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Random bytes in a new secret (Standard Webhooks asks for 24 to 64). */
const SECRET_BYTES = 24;

/** A new secret: `whsec_` + base64 of 24 random bytes. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The HMAC key of a secret: the base64-decoded part after `whsec_`. */
function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(6) : secret, 'base64');
}

/**
 * One Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`
 * keyed by the decoded secret.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The headers of one attempt: `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` with one space-separated `v1,` signature per secret (the current one first,
 * then a rotated-out one still in its overlap window).
 */
export function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => signWebhook(secret, id, timestamp, body)).join(' '),
  };
}
