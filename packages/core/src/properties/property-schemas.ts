import { z } from 'zod';
import { PROPERTY_TYPES } from './property-types.js';

/** Longest property key (Resend's limit). */
export const MAX_PROPERTY_KEY_LENGTH = 50;
/** Most properties one project may declare. */
export const MAX_PROPERTIES = 1000;
/** Longest string fallback value. */
export const MAX_PROPERTY_FALLBACK_LENGTH = 2000;

/** Resend's key rule: 1 to 50 characters, only ASCII letters, digits and underscores. */
export const PROPERTY_KEY_PATTERN = /^[A-Za-z0-9_]+$/;

export const propertyKeySchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, 'must not be empty')
  .max(MAX_PROPERTY_KEY_LENGTH, `must be at most ${MAX_PROPERTY_KEY_LENGTH} characters`)
  .regex(PROPERTY_KEY_PATTERN, 'must contain only letters (a-z, A-Z), digits and underscores');

const fallbackSchema = z
  .union(
    [
      z
        .string()
        .max(MAX_PROPERTY_FALLBACK_LENGTH, `must be at most ${MAX_PROPERTY_FALLBACK_LENGTH} characters`),
      z.number().finite(),
    ],
    { error: 'must be a string or a number' },
  )
  .nullish();

export const createPropertySchema = z
  .object({
    key: propertyKeySchema,
    type: z.enum(PROPERTY_TYPES, {
      error: (issue) => (issue.input === undefined ? 'is required' : 'must be "string" or "number"'),
    }),
    /** A value of `type`, or null / absent for none. */
    fallbackValue: fallbackSchema,
  })
  .superRefine((value, ctx) => {
    const fallback = value.fallbackValue;
    if (fallback !== null && fallback !== undefined && typeof fallback !== value.type) {
      ctx.addIssue({
        code: 'custom',
        path: ['fallbackValue'],
        message: `must be a ${value.type}: the property is declared as ${value.type}`,
      });
    }
  });
export type CreatePropertyInput = z.input<typeof createPropertySchema>;

/** Only the fallback value changes (as Resend): `key` and `type` are fixed once created. */
export const updatePropertySchema = z.object({
  /** A value of the property's type; null clears it. */
  fallbackValue: fallbackSchema,
});
export type UpdatePropertyInput = z.input<typeof updatePropertySchema>;
