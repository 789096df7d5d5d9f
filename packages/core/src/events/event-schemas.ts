import { z } from 'zod';
import { contactDataSchema, emailSchema, subscribedSchema } from '../contacts/contact-schemas.js';
import { checkText } from '../text-rules.js';

/** Longest event name accepted. */
export const MAX_EVENT_NAME_LENGTH = 255;

export const trackEventSchema = z.object({
  event: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'is required')
    .max(MAX_EVENT_NAME_LENGTH, `must be at most ${MAX_EVENT_NAME_LENGTH} characters`)
    .superRefine(checkText),
  email: emailSchema,
  /** Applied to a new contact (default true) and, unless `preserveExistingSubscription`, to an existing one. */
  subscribed: subscribedSchema.optional(),
  /** Apply `subscribed` only when this call creates the contact (double opt-in). @default false */
  preserveExistingSubscription: z.boolean({ error: 'must be a boolean' }).optional(),
  /** Merged into the contact's data with the usual rules; stored whole on the event. */
  data: contactDataSchema.nullish(),
});
export type TrackEventInput = z.input<typeof trackEventSchema>;

export const listEventsSchema = z.object({
  /** @default 100 */
  limit: z.number().int().min(1).max(1000).optional(),
  /** Only events with this name. */
  name: z.string().min(1).max(MAX_EVENT_NAME_LENGTH).superRefine(checkText).optional(),
});
export type ListEventsInput = z.input<typeof listEventsSchema>;
