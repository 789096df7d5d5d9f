export const BULK_OPERATIONS = ['subscribe', 'unsubscribe', 'delete', 'move'] as const;
export type BulkOperation = (typeof BULK_OPERATIONS)[number];

export interface BulkOutcome {
  operation: BulkOperation;
  /** Number of distinct ids asked for. */
  requested: number;
  /** Contacts actually changed (or deleted). */
  affected: number;
  /** Contacts found but already in the requested state. */
  unchanged: number;
  /** Ids that are malformed, unknown or belong to another project. They were not touched. */
  notFound: string[];
  /** A subscribe's contacts whose address is suppressed: left unsubscribed (counted in `unchanged`). */
  suppressed: number;
}

/** The result a bulk job stores (the shape Plunk's bulk status answers with). */
export interface BulkJobResult {
  operation: BulkOperation;
  totalRequested: number;
  successCount: number;
  unchangedCount: number;
  failureCount: number;
  /** A subscribe's contacts left unsubscribed because their address is suppressed (in `unchangedCount`); absent when none. */
  suppressedCount?: number;
  errors: { contactId: string; error: string }[];
}

export const BULK_JOB_TYPE = 'bulk';

/** The operations a query-mode bulk job can run (Plunk's). */
export const BULK_QUERY_OPERATIONS = ['subscribe', 'unsubscribe', 'delete'] as const;
export type BulkQueryOperation = (typeof BULK_QUERY_OPERATIONS)[number];

/** The contacts a query-mode bulk job acts on: every match of `filter` except `excludeIds`. */
export interface BulkQuerySelector {
  filter: {
    /** Lowercased substring of the email. */
    search?: string;
    subscribed?: boolean;
  };
  excludeIds: string[];
}

export interface BulkJobPayload {
  operation: BulkOperation;
  /** The listed contacts (ids mode); empty in query mode. */
  contactIds: string[];
  audienceId?: string | null;
  /** Query mode: every contact of the project matching the selector. */
  query?: BulkQuerySelector;
}
