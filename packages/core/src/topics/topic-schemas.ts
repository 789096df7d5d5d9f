import { z } from 'zod';
import { descriptionSchema as textDescription, nameSchema as textName } from '../text-rules.js';
import { TOPIC_SUBSCRIPTIONS, TOPIC_VISIBILITIES } from './topic-types.js';

/** Longest topic name (Resend's limit). */
export const MAX_TOPIC_NAME_LENGTH = 50;
/** Longest topic description (Resend's limit). */
export const MAX_TOPIC_DESCRIPTION_LENGTH = 200;
/** Most topics in one project (so a contact's topics are always one bounded answer). */
export const MAX_TOPICS = 1000;

const nameSchema = textName(MAX_TOPIC_NAME_LENGTH);
const descriptionSchema = textDescription(MAX_TOPIC_DESCRIPTION_LENGTH).nullish();
export const topicSubscriptionSchema = z.enum(TOPIC_SUBSCRIPTIONS, { error: 'must be opt_in or opt_out' });
const visibilitySchema = z.enum(TOPIC_VISIBILITIES, { error: 'must be public or private' });

export const createTopicSchema = z.object({
  name: nameSchema,
  description: descriptionSchema,
  /** The subscription of contacts that have not chosen one. Required, and fixed once created. */
  defaultSubscription: topicSubscriptionSchema,
  /** @default 'private' */
  visibility: visibilitySchema.optional(),
});
export type CreateTopicInput = z.input<typeof createTopicSchema>;

/** `defaultSubscription` cannot change (as in Resend): sending it is an error naming it. */
export const updateTopicSchema = z.object({
  name: nameSchema.optional(),
  description: descriptionSchema,
  visibility: visibilitySchema.optional(),
  defaultSubscription: z
    .undefined({ error: 'cannot be changed once the topic is created (delete and create the topic instead)' })
    .optional(),
});
export type UpdateTopicInput = z.input<typeof updateTopicSchema>;

/** A contact's explicit subscriptions to set: at most one entry per topic. */
export const setContactTopicsSchema = z
  .array(
    z.object({
      id: z
        .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
        .min(1, 'is required'),
      subscription: topicSubscriptionSchema,
    }),
    { error: 'must be an array of { id, subscription }' },
  )
  .max(MAX_TOPICS, `must contain at most ${MAX_TOPICS} topics`)
  .superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const id = item.id.toLowerCase();
      if (seen.has(id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `names topic ${item.id} twice` });
      seen.add(id);
    });
  });
export type SetContactTopicsInput = z.input<typeof setContactTopicsSchema>;
