import { z } from 'zod';
import { clipText } from '../errors.js';
import { checkText } from '../text-rules.js';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '../wire.js';
import { isWebhookEventPattern } from './webhook-types.js';
import { hasEmptyAuthority } from './webhook-url.js';

/** Longest endpoint URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** Longest endpoint description accepted. */
export const MAX_WEBHOOK_DESCRIPTION_LENGTH = 500;
/** Most event types (and patterns) one endpoint lists. */
export const MAX_WEBHOOK_EVENT_TYPES = 100;

const urlSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, 'is required')
  .max(MAX_WEBHOOK_URL_LENGTH, `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      ctx.addIssue({ code: 'custom', message: 'must use http:// or https://' });
    else if (hasEmptyAuthority(value) || url.hostname.replace(/\.$/, '') === '')
      ctx.addIssue({ code: 'custom', message: 'must name a host after http:// or https://' });
    else if (url.username !== '' || url.password !== '')
      ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' });
    else if (url.hash !== '') ctx.addIssue({ code: 'custom', message: 'must not contain a #fragment' });
  });

const descriptionSchema = z
  .string({ error: 'must be a string' })
  .max(MAX_WEBHOOK_DESCRIPTION_LENGTH, `must be at most ${MAX_WEBHOOK_DESCRIPTION_LENGTH} characters`)
  .superRefine(checkText);

const eventTypesSchema = z
  .array(z.string({ error: 'must be a string' }), {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of event types'),
  })
  .min(1, 'must list at least one event type')
  .max(MAX_WEBHOOK_EVENT_TYPES, `must list at most ${MAX_WEBHOOK_EVENT_TYPES} event types`)
  .superRefine((types, ctx) => {
    types.forEach((type, i) => {
      if (!isWebhookEventPattern(type)) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `unknown event type "${clipText(type, 100)}" (known: ${WEBHOOK_EVENT_TYPES.join(', ')}, segment.<slug>.entry|exit, segment.*, *)`,
        });
      }
    });
  })
  .transform((types) => [...new Set(types)]);

export const createWebhookEndpointSchema = z.strictObject({
  url: urlSchema,
  description: descriptionSchema.nullish(),
  /** Types (or patterns) of the events to receive. */
  eventTypes: eventTypesSchema,
  /** @default true */
  enabled: z.boolean({ error: 'must be a boolean' }).optional(),
});
export type CreateWebhookEndpointInput = z.input<typeof createWebhookEndpointSchema>;

export const updateWebhookEndpointSchema = z.strictObject({
  url: urlSchema.optional(),
  description: descriptionSchema.nullish(),
  eventTypes: eventTypesSchema.optional(),
  /** Re-enables an endpoint disabled after repeated failure (or disables one). */
  enabled: z.boolean({ error: 'must be a boolean' }).optional(),
});
export type UpdateWebhookEndpointInput = z.input<typeof updateWebhookEndpointSchema>;

export const rotateWebhookSecretSchema = z.strictObject({
  /**
   * How long the previous secret keeps signing beside the new one, in ms (0: stop at once).
   * @default `webhooks.secretOverlapMs` (24 hours)
   */
  overlapMs: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must be at least 0')
    .max(7 * 86_400_000, 'must be at most 604800000 (7 days)')
    .optional(),
});
export type RotateWebhookSecretInput = z.input<typeof rotateWebhookSecretSchema>;

/** Largest page of deliveries. */
export const MAX_WEBHOOK_DELIVERY_PAGE = 100;

export const listWebhookDeliveriesSchema = z.strictObject({
  /** @default 50 */
  limit: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_WEBHOOK_DELIVERY_PAGE, `must be at most ${MAX_WEBHOOK_DELIVERY_PAGE}`)
    .optional(),
  /** The `nextCursor` of the previous page (newest first). */
  cursor: z.string({ error: 'must be a string' }).max(100, 'is not a valid cursor').optional(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES, { error: 'must be pending, succeeded or failed' }).optional(),
});
export type ListWebhookDeliveriesInput = z.input<typeof listWebhookDeliveriesSchema>;

export const replayWebhookSchema = z.strictObject({
  /** Queue again every delivery of the endpoint created at or after this time (ISO 8601). */
  since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
  /** Only deliveries with this status (default: succeeded and failed; pending ones are on their way). */
  status: z.enum(['succeeded', 'failed'], { error: 'must be succeeded or failed' }).optional(),
});
export type ReplayWebhookInput = z.input<typeof replayWebhookSchema>;
