import type { Contact } from '../contacts/contact-types.js';
import type { ContactEventView } from '../wire.js';

/**
 * An event recorded for a contact (`POST /v1/track`, or roster's own `segment.<slug>.entry|exit`):
 * the shape the management API answers with (`ContactEventView` of `@roster/core/wire`).
 */
export type ContactEvent = ContactEventView;

export interface TrackResult {
  contact: Contact;
  /** True when the email was new to the project. */
  created: boolean;
  /** Present (true) when the address is suppressed: the contact was written but stays unsubscribed. */
  suppressed?: true;
  event: ContactEvent;
}

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
