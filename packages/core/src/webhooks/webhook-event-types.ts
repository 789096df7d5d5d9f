/**
 * Change events a webhook endpoint can subscribe to (besides `segment.<slug>.entry|exit`, see
 * `isWebhookEventPattern`). `webhook.test` is what `sendTest` sends; it needs no subscription.
 * This module imports nothing, so the dashboard app takes the list from here too.
 */
export const WEBHOOK_EVENT_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.subscribed',
  'contact.unsubscribed',
  'import.completed',
  'import.failed',
  'bulk.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
