import { z } from 'zod';

/**
 * A practical email syntax check: one `@`, a non-empty local part without spaces, a domain of
 * dot-separated labels with a TLD of 2+ letters. Input is trimmed and lowercased first.
 */
const EMAIL_RE =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const MAX_EMAIL_LENGTH = 254;

export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}

export function isValidEmail(normalised: string): boolean {
  return normalised.length <= MAX_EMAIL_LENGTH && EMAIL_RE.test(normalised);
}

export const emailSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .transform(normaliseEmail)
  .refine((value) => value.length > 0, 'is required')
  .refine((value) => value.length <= MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  .refine((value) => value.length === 0 || value.length > MAX_EMAIL_LENGTH || EMAIL_RE.test(value), {
    message: 'must be a valid email address',
  });

/** Custom data: a JSON object of top-level keys. */
export const contactDataSchema = z.record(z.string(), z.unknown(), { error: 'must be an object' });

export const subscribedSchema = z.boolean({ error: 'must be a boolean' });

export const upsertContactSchema = z.object({
  email: emailSchema,
  subscribed: subscribedSchema.optional(),
  data: contactDataSchema.nullish(),
  firstName: z.string({ error: 'must be a string' }).max(256).nullish(),
  lastName: z.string({ error: 'must be a string' }).max(256).nullish(),
});
export type UpsertContactInput = z.input<typeof upsertContactSchema>;

export const updateContactSchema = z.object({
  email: emailSchema.optional(),
  subscribed: subscribedSchema.optional(),
  /** Merged into the stored data (see `mergeRules`); `null` clears all data. */
  data: contactDataSchema.nullish(),
  /** `merge` (default, Plunk) or `replace` (Unosend's metadata). */
  dataMode: z.enum(['merge', 'replace']).optional(),
  firstName: z.string({ error: 'must be a string' }).max(256).nullish(),
  lastName: z.string({ error: 'must be a string' }).max(256).nullish(),
});
export type UpdateContactInput = z.input<typeof updateContactSchema>;

export const MAX_PAGE_SIZE = 100;

export const listContactsSchema = z.object({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().nullish(),
  search: z.string().max(MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`).nullish(),
  includeTotal: z.boolean().optional(),
});
export type ListContactsInput = z.input<typeof listContactsSchema>;
