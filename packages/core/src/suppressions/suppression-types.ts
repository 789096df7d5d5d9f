import type { SuppressionRow } from '../db/schema.js';

export const SUPPRESSION_ORIGINS = ['bounce', 'complaint', 'manual', 'erasure'] as const;
/** Why an address is suppressed: a hard bounce, a spam complaint, by hand, or left by an erasure. */
export type SuppressionOrigin = (typeof SUPPRESSION_ORIGINS)[number];

/** An address of a project that no write can make subscribed. */
export interface Suppression {
  id: string;
  projectId: string;
  /** The address (normalised), or null for an erasure: only a keyed hash of it is kept. */
  email: string | null;
  origin: SuppressionOrigin;
  reason: string | null;
  createdAt: string;
}

export interface SuppressionPage {
  data: Suppression[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
  hasMore: boolean;
}

/** The result of `suppressions.add`. */
export interface AddSuppressionResult {
  suppression: Suppression;
  /** False when the address was already suppressed (the existing entry is returned, unchanged). */
  created: boolean;
  /** True when a subscribed contact with that address was unsubscribed by this call. */
  unsubscribed: boolean;
}

/** Where bounces and complaints come from: the credentials roster checks (see `suppressions.configureInbound`). */
export interface InboundSettings {
  /** A Resend webhook signing secret (`whsec_…`) is set; the secret itself is never read back. */
  resend: boolean;
  /** Postmark's basic auth user name, or null when Postmark is not configured. */
  postmarkUser: string | null;
}

export function rowToSuppression(row: SuppressionRow): Suppression {
  return {
    id: row.id,
    projectId: row.project_id,
    email: row.email,
    origin: row.origin,
    reason: row.reason,
    createdAt: row.created_at,
  };
}
