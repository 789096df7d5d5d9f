import { z } from 'zod';

export const keyPrefixSchema = z
  .string()
  .regex(/^[a-z][a-z0-9]{0,15}_$/, 'must be lowercase letters or digits ending in "_", e.g. sk_');
export const apiKeySchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')
  .regex(/^\S+$/, 'must not contain whitespace');

/** The options of `keys.create`: errors name the `prefix` field. */
export const createKeySchema = z.object({ prefix: keyPrefixSchema.optional() });
