export const BULK_OPERATIONS = ['subscribe', 'unsubscribe', 'delete', 'move'] as const;
export type BulkOperation = (typeof BULK_OPERATIONS)[number];

/** The default and largest number of ids one bulk call accepts (see `limits.maxBulkIds`). */
export const DEFAULT_MAX_BULK_IDS = 1000;

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
}

/** The result a bulk job stores (the shape Plunk's bulk status answers with). */
export interface BulkJobResult {
  operation: BulkOperation;
  totalRequested: number;
  successCount: number;
  unchangedCount: number;
  failureCount: number;
  errors: { contactId: string; error: string }[];
}

export const BULK_JOB_TYPE = 'bulk';

export interface BulkJobPayload {
  operation: BulkOperation;
  contactIds: string[];
  audienceId?: string | null;
}
