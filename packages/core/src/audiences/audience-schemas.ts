import { z } from 'zod';
import { isUuid } from '../ids.js';
import { descriptionSchema as textDescription, nameSchema as textName } from '../text-rules.js';

export const MAX_AUDIENCE_NAME_LENGTH = 256;
export const MAX_AUDIENCE_DESCRIPTION_LENGTH = 2000;

const nameSchema = textName(MAX_AUDIENCE_NAME_LENGTH, 'must not be empty');
const descriptionSchema = textDescription(MAX_AUDIENCE_DESCRIPTION_LENGTH);

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
