import { z } from 'zod';
import { contactDataSchema, emailSchema, subscribedSchema } from '../contacts/contact-schemas.js';
import type { Contact } from '../contacts/contact-types.js';
import { checkText } from '../text-rules.js';

/** Longest event name accepted. */
export const MAX_EVENT_NAME_LENGTH = 255;

/** An event recorded for a contact (`POST /v1/track`, or roster's own `segment.<slug>.entry|exit`). */
export interface ContactEvent {
  id: string;
  projectId: string;
  contactId: string;
  name: string;
  /** The data as sent, transient `{value, persistent: false}` wrappers included; null when none. */
  data: Record<string, unknown> | null;
  createdAt: string;
}

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

export interface TrackResult {
  contact: Contact;
  /** True when the email was new to the project. */
  created: boolean;
  /** Present (true) when the address is suppressed: the contact was written but stays unsubscribed. */
  suppressed?: true;
  event: ContactEvent;
}

export const listEventsSchema = z.object({
  /** @default 100 */
  limit: z.number().int().min(1).max(1000).optional(),
  /** Only events with this name. */
  name: z.string().min(1).max(MAX_EVENT_NAME_LENGTH).superRefine(checkText).optional(),
});
export type ListEventsInput = z.input<typeof listEventsSchema>;

/** The contact events roster records for consent (see `consent/`): reserved like the flips. */
export const CONSENT_EVENT_NAMES: readonly string[] = [
  'contact.confirmation_requested',
  'contact.confirmed',
  'contact.topics_changed',
];

/**
 * Names roster (like Plunk) records itself and refuses from callers: `email.*`,
 * `contact.subscribed`, `contact.unsubscribed`, the consent events (`CONSENT_EVENT_NAMES`), and
 * `segment.<slug>.entry|exit`.
 */
export function isReservedEventName(name: string): boolean {
  return (
    name.startsWith('email.') ||
    name === 'contact.subscribed' ||
    name === 'contact.unsubscribed' ||
    CONSENT_EVENT_NAMES.includes(name) ||
    (name.startsWith('segment.') && (name.endsWith('.entry') || name.endsWith('.exit')))
  );
}
