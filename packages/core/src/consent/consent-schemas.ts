import { z } from 'zod';
import { isUuid } from '../ids.js';
import { checkText, isHttpUrl } from '../text-rules.js';

/** An http(s) URL (where a page sends the person, or a logo), at most 2000 characters. */
export const httpUrlSchema = z
  .string({ error: 'must be a string' })
  .max(2000, 'must be at most 2000 characters')
  .refine(isHttpUrl, 'must be an http or https URL');

export const requestConfirmationSchema = z.object({
  /** Where the confirmation page sends the person after confirming (http or https). */
  redirectUrl: httpUrlSchema.nullish(),
});
export type RequestConfirmationInput = z.input<typeof requestConfirmationSchema>;

export const unsubscribeHeadersSchema = z.object({
  /** Unsubscribe from this topic only (a topic of the project). */
  topicId: z.string({ error: 'must be a topic id' }).refine(isUuid, 'must be a topic id').nullish(),
});
export type UnsubscribeHeadersInput = z.input<typeof unsubscribeHeadersSchema>;

/** 30 days: how long a rotated-out secret keeps verifying links. */
export const DEFAULT_CONSENT_SECRET_OVERLAP_MS = 30 * 86_400_000;

export const rotateConsentSecretSchema = z.object({
  /** How long the previous secret keeps verifying links. @default 30 days */
  overlapMs: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(365 * 86_400_000, 'must be at most a year')
    .optional(),
});
export type RotateConsentSecretInput = z.input<typeof rotateConsentSecretSchema>;

export const consentSettingsSchema = z.object({
  /** Shown on the public pages instead of the project's name; null: the project's name. */
  displayName: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .superRefine(checkText)
    .nullish(),
  /** An image shown at the top of the public pages (http or https); null: none. */
  logoUrl: httpUrlSchema.nullish(),
});
export type ConsentSettingsInput = z.input<typeof consentSettingsSchema>;

export const MAX_PREFERENCE_TOPICS = 1000;

export const savePreferencesSchema = z.object({
  /** The global subscription (false: unsubscribed from everything). */
  subscribed: z.boolean({ error: 'must be a boolean' }),
  /** Each public topic's choice (topics not named keep theirs). */
  topics: z
    .array(
      z.object({
        id: z.string({ error: 'must be a topic id' }).max(100),
        subscribed: z.boolean({ error: 'must be a boolean' }),
      }),
    )
    .max(MAX_PREFERENCE_TOPICS, `must hold at most ${MAX_PREFERENCE_TOPICS} topics`)
    .optional(),
});
export type SavePreferencesInput = z.input<typeof savePreferencesSchema>;
