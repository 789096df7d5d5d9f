import { z } from 'zod';
import { emailSchema, MAX_PAGE_SIZE } from '../contacts/contact-schemas.js';

/** Longest `reason`. */
export const MAX_SUPPRESSION_REASON_LENGTH = 1000;
/** Most addresses in one `addMany` / `removeMany`. */
export const MAX_SUPPRESSION_BATCH = 1000;

const originSchema = z.enum(['bounce', 'complaint', 'manual'], {
  error: 'must be bounce, complaint or manual',
});

export const addSuppressionSchema = z.object({
  email: emailSchema,
  /** @default 'manual' */
  origin: originSchema.optional(),
  reason: z
    .string({ error: 'must be a string' })
    .max(MAX_SUPPRESSION_REASON_LENGTH, `must be at most ${MAX_SUPPRESSION_REASON_LENGTH} characters`)
    .nullish(),
});
export type AddSuppressionInput = z.input<typeof addSuppressionSchema>;

export const listSuppressionsSchema = z.object({
  /** Only this origin. */
  origin: z
    .enum(['bounce', 'complaint', 'manual', 'erasure'], {
      error: 'must be bounce, complaint, manual or erasure',
    })
    .optional(),
  /** @default 20 */
  limit: z
    .int({ error: 'must be an integer' })
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .optional(),
  /** The `cursor` of the previous page (newest first). */
  cursor: z.string({ error: 'must be a string' }).optional(),
  /** Resend's `after`: the page after this suppression id (newest first). Same as `cursor`. */
  after: z.string({ error: 'must be a string' }).optional(),
  /** Resend's `before`: the page before this suppression id. */
  before: z.string({ error: 'must be a string' }).optional(),
});
export type ListSuppressionsInput = z.input<typeof listSuppressionsSchema>;

export const emailListSchema = z.object({
  emails: z
    .array(emailSchema, { error: 'must be an array of email addresses' })
    .min(1, 'must not be empty')
    .max(MAX_SUPPRESSION_BATCH, `must have at most ${MAX_SUPPRESSION_BATCH} entries`),
});

const secretSchema = z
  .string({ error: 'must be a string' })
  .regex(/^whsec_[A-Za-z0-9+/=]{8,}$/, 'must be a Resend signing secret (whsec_ followed by base64)');
const credentialSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

/** Bounce webhooks' credentials: null removes one, absent leaves it. */
export const configureInboundSchema = z.object({
  resendSecret: secretSchema.nullish(),
  postmark: z
    .object(
      {
        username: credentialSchema.refine((v) => !v.includes(':'), 'must not contain ":"'),
        password: credentialSchema,
      },
      {
        error: 'must be an object with username and password',
      },
    )
    .nullish(),
});
export type ConfigureInboundInput = z.input<typeof configureInboundSchema>;
