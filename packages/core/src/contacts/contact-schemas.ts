import { z } from 'zod';
import { audienceIdSchema } from '../audiences/audience-schemas.js';
import { checkData, checkText } from '../text-rules.js';
import { setContactTopicsSchema } from '../topics/topic-schemas.js';

import {
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  normaliseEmail,
  validateContactFields,
} from './contact-fields.js';

export const MAX_PAGE_SIZE = 100;

export const emailSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .transform(normaliseEmail)
  .superRefine((email, ctx) => {
    for (const { problem } of validateContactFields({ email })) {
      ctx.addIssue({ code: 'custom', message: EMAIL_MESSAGES[problem] });
    }
  });

const EMAIL_MESSAGES = {
  missing: 'is required',
  too_long: `must be at most ${MAX_EMAIL_LENGTH} characters`,
  invalid: 'must be a valid email address',
} as const;

/** Custom data: a JSON object of top-level keys. */
export const contactDataSchema = z.preprocess(
  (value, ctx) => {
    // Checked on the input itself: the parsed record is a copy that would already lack `__proto__`.
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      checkData(value as Record<string, unknown>, ctx);
    }
    return value;
  },
  z.record(z.string(), z.unknown(), { error: 'must be an object' }),
);

/** A first or last name. */
export const contactNameSchema = z
  .string({ error: 'must be a string' })
  .superRefine((name, ctx) => {
    if (validateContactFields({ firstName: name }).length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_NAME_LENGTH} characters` });
    }
  })
  .superRefine(checkText);

export const subscribedSchema = z.boolean({ error: 'must be a boolean' });

/**
 * The fields every contact write (upsert, update, create) ends with: the names, and the audience of
 * the project the contact is put in (`not_found` if there is none; `null` takes it out).
 */
const namesAndAudience = {
  firstName: contactNameSchema.nullish(),
  lastName: contactNameSchema.nullish(),
  audienceId: audienceIdSchema.nullish(),
};

/**
 * Double opt-in: a new contact is stored `pending` (not subscribed) until it confirms through
 * `consent.requestConfirmation`'s link. On an existing contact it changes nothing when the contact
 * is subscribed (a confirmed contact is never downgraded), else marks it pending again.
 */
export const pendingSchema = z.boolean({ error: 'must be a boolean' });

export const upsertContactSchema = z.object({
  email: emailSchema,
  subscribed: subscribedSchema.optional(),
  pending: pendingSchema.optional(),
  data: contactDataSchema.nullish(),
  ...namesAndAudience,
});
export type UpsertContactInput = z.input<typeof upsertContactSchema>;

export const updateContactSchema = z.object({
  email: emailSchema.optional(),
  subscribed: subscribedSchema.optional(),
  /** Merged into the stored data (see `toDataPatch` in contact-data.ts); `null` clears all data. */
  data: contactDataSchema.nullish(),
  /**
   * `merge` (default, Plunk), `replace` (Unosend's metadata, after the data rules) or `verbatim`
   * (replaced exactly as given, null values included: `roster migrate`).
   */
  dataMode: z.enum(['merge', 'replace', 'verbatim']).optional(),
  ...namesAndAudience,
});
export type UpdateContactInput = z.input<typeof updateContactSchema>;

/** Most segments one create may name. */
export const MAX_CREATE_SEGMENTS = 100;

/** A new contact; an email already in the project is a `conflict` (see `contacts.create`). */
export const createContactSchema = z.object({
  email: emailSchema,
  /** @default true */
  subscribed: subscribedSchema.optional(),
  /** Stored pending (not subscribed) until confirmed (see `pendingSchema`). */
  pending: pendingSchema.optional(),
  /**
   * Stored after the data rules (`toDataPatch`: null and "" values, transient values and reserved
   * keys are dropped), or exactly as given with `dataMode: 'verbatim'`.
   */
  data: contactDataSchema.nullish(),
  /** `rules` (default, Plunk's) or `verbatim` (Unosend stores metadata as sent, nulls included). */
  dataMode: z.enum(['rules', 'verbatim']).optional(),
  ...namesAndAudience,
  /**
   * STATIC segments the new contact joins, written in the same transaction as the contact: an
   * unknown one is `not_found` (resource `segment`), a dynamic one `validation_failed` naming
   * `segmentIds.<i>`, and then nothing is created.
   */
  segmentIds: z
    .array(z.string({ error: 'must be a segment id' }), { error: 'must be an array of segment ids' })
    .max(MAX_CREATE_SEGMENTS, `must contain at most ${MAX_CREATE_SEGMENTS} segments`)
    .optional(),
  /**
   * The new contact's explicit topic subscriptions, written in the same transaction: an unknown
   * topic is `not_found` (resource `topic`), and then nothing is created.
   */
  topics: setContactTopicsSchema.optional(),
});
export type CreateContactInput = z.input<typeof createContactSchema>;

export const MAX_BULK_CREATE = 1000;

export const bulkCreateContactsSchema = z.object({
  /** Every created contact goes into this audience of the project. */
  audienceId: audienceIdSchema.nullish(),
  /** How every entry's `data` is stored (see `createContactSchema`). @default 'rules' */
  dataMode: z.enum(['rules', 'verbatim']).optional(),
  contacts: z
    .array(
      createContactSchema.omit({
        audienceId: true,
        dataMode: true,
        pending: true,
        segmentIds: true,
        topics: true,
      }),
      { error: 'must be an array' },
    )
    .min(1, 'must contain at least one contact')
    .max(MAX_BULK_CREATE, `must contain at most ${MAX_BULK_CREATE} contacts`),
});
export type BulkCreateContactsInput = z.input<typeof bulkCreateContactsSchema>;

/** Largest offset `listOffset` accepts: deeper pages should use the keyset `list`. */
export const MAX_LIST_OFFSET = 10_000_000;

export const listOffsetSchema = z.object({
  /** @default 50 */
  limit: z
    .number({ error: 'must be an integer' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .optional(),
  /** @default 0 */
  offset: z
    .number({ error: 'must be an integer' })
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(MAX_LIST_OFFSET, `must be at most ${MAX_LIST_OFFSET}`)
    .optional(),
  /** Only contacts in this audience (an unknown audience gives an empty page). */
  audienceId: audienceIdSchema.nullish(),
});
export type ListOffsetInput = z.input<typeof listOffsetSchema>;

/** A search of the contacts: only those whose email contains it (case-insensitive). */
const contactSearchSchema = z
  .string()
  .max(MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  .superRefine(checkText)
  .nullish();

export const CONTACT_SORTS = ['createdAt', 'email'] as const;
export const SORT_DIRECTIONS = ['asc', 'desc'] as const;

export const listContactsSchema = z.object({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().nullish(),
  search: contactSearchSchema,
  /** Only subscribed (true) or unsubscribed (false) contacts. */
  subscribed: subscribedSchema.nullish(),
  /** @default 'createdAt' */
  sort: z.enum(CONTACT_SORTS, { error: `must be one of ${CONTACT_SORTS.join(', ')}` }).nullish(),
  /** @default 'desc' */
  dir: z.enum(SORT_DIRECTIONS, { error: `must be one of ${SORT_DIRECTIONS.join(', ')}` }).nullish(),
  includeTotal: z.boolean().optional(),
  /** Only contacts in this audience (an audience the project does not have matches nothing). */
  audienceId: audienceIdSchema.nullish(),
  /**
   * Only contacts matching this Plunk filter tree (`{logic, groups}`, see `FilterCondition`);
   * checked by the filter engine, which names a bad node's path under `filter`.
   */
  filter: z.unknown().optional(),
});
export type ListContactsInput = z.input<typeof listContactsSchema>;

export const streamContactsSchema = z.object({
  /** Only contacts in this audience. */
  audienceId: audienceIdSchema.nullish(),
  search: contactSearchSchema,
  /** Only subscribed (true) or unsubscribed (false) contacts. */
  subscribed: subscribedSchema.nullish(),
  /** Only contacts matching this Plunk filter tree (as `list`'s `filter`). */
  filter: z.unknown().optional(),
  /** Contacts read per query. @default 1000 */
  batchSize: z.number().int().min(1).max(10_000).optional(),
});
export type StreamContactsInput = z.input<typeof streamContactsSchema>;
