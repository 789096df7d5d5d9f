import type { ConsentPurpose } from './consent-tokens.js';

/** What a verified link names. */
export interface ConsentLink {
  purpose: ConsentPurpose;
  projectId: string;
  contactId: string;
  topicId: string | null;
  /** ISO 8601; null: the link never expires. */
  expiresAt: string | null;
}

export interface ConfirmationRequest {
  /** The page the person opens to confirm (`<publicUrl>/confirm/<token>`). */
  url: string;
  token: string;
  /** ISO 8601: 7 days after the request. */
  expiresAt: string;
}

export interface ConfirmResult {
  projectId: string;
  contactId: string;
  /** False when the contact was already confirmed and subscribed (nothing changed). */
  changed: boolean;
  /** The request's `redirectUrl`, when it gave one. */
  redirectUrl: string | null;
}

/** The RFC 8058 headers of one outgoing email. */
export interface UnsubscribeHeaders {
  'List-Unsubscribe': string;
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click';
}

export interface UnsubscribeResult {
  projectId: string;
  contactId: string;
  topicId: string | null;
  /** False when the contact no longer exists (the answer is the same: nothing is left to send to). */
  found: boolean;
}

/** A contact's double opt-in state. */
export interface ConsentStatus {
  /** `none`: the contact never took part in a double opt-in. */
  status: 'none' | 'pending' | 'confirmed';
  requestedAt: string | null;
  confirmedAt: string | null;
}

/** How the public pages show a project. */
export interface ConsentSettings {
  projectId: string;
  /** Shown on the pages instead of the project's name (null: the project's name). */
  displayName: string | null;
  logoUrl: string | null;
  /** When the settings (or the signing secret) last changed. */
  updatedAt: string;
  /** Until when the previous secret still verifies links, or null. */
  previousSecretExpiresAt: string | null;
}

/** What the public pages show a person (a preference page's content). */
export interface PreferencesView {
  /** The name the pages show (the display name, else the project's name). */
  projectName: string;
  logoUrl: string | null;
  /** Partly masked, e.g. `a***@e***.com`. */
  maskedEmail: string;
  subscribed: boolean;
  /** Every public topic with the contact's effective choice. */
  topics: { id: string; name: string; description: string | null; subscribed: boolean }[];
  /** The preference page's token (the same link, whatever link led here). */
  token: string;
}

/** How a project shows on a page opened from a link whose contact may be gone. */
export interface ConsentBranding {
  projectName: string;
  logoUrl: string | null;
}
