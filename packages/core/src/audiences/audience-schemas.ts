import { z } from 'zod';
import { isUuid } from '../ids.js';
import { checkText } from '../text-rules.js';

export const MAX_AUDIENCE_NAME_LENGTH = 256;
export const MAX_AUDIENCE_DESCRIPTION_LENGTH = 2000;

const nameSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_AUDIENCE_NAME_LENGTH, `must be at most ${MAX_AUDIENCE_NAME_LENGTH} characters`)
  .superRefine(checkText);

const descriptionSchema = z
  .string({ error: 'must be a string' })
  .max(MAX_AUDIENCE_DESCRIPTION_LENGTH, `must be at most ${MAX_AUDIENCE_DESCRIPTION_LENGTH} characters`)
  .superRefine(checkText);

export const createAudienceSchema = z.object({
  name: nameSchema,
  /** Free text; `null` or absent stores none. */
  description: descriptionSchema.nullish(),
});
export type CreateAudienceInput = z.input<typeof createAudienceSchema>;

export const updateAudienceSchema = z.object({
  name: nameSchema.optional(),
  /** `null` clears the description; absent leaves it unchanged. */
  description: descriptionSchema.nullish(),
});
export type UpdateAudienceInput = z.input<typeof updateAudienceSchema>;

/** An audience id as given by a caller: a UUID in canonical text form (stored lowercase). */
export const audienceIdSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .refine(isUuid, 'must be a UUID')
  .transform((value) => value.toLowerCase());
