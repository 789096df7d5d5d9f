import type { TopicSubscription } from '../topics/topic-types.js';
import type { ImportPreset, MailchimpStatus } from './import-presets.js';
import type { ImportColumnMap, ImportOnConflict } from './import-schemas.js';
import type { ZipEntry } from './zip-entries.js';

/** One CSV row that could not be imported. `row` is the 1-based line of the file (the header is line 1). */
export interface ImportRowError {
  row: number;
  /** The row's email cell as read; a NUL or a lone surrogate in it shows as U+FFFD. */
  email: string;
  error: string;
}

/** The outcome of an import job. */
export interface ImportResult {
  /** Data rows read (the header and rows with every cell empty are not counted). */
  totalRows: number;
  /** Rows applied: `createdCount + updatedCount`. */
  successCount: number;
  /** Contacts that did not exist before. */
  createdCount: number;
  /** Rows that updated an existing contact (a repeated email counts as an update). */
  updatedCount: number;
  /** Rows rejected, e.g. for an invalid email; every one is counted. */
  failureCount: number;
  /**
   * Rows left alone because their contact already existed (imports with `onConflict: 'skip'`
   * only; absent otherwise).
   */
  skippedCount?: number;
  /**
   * Rows applied whose address is suppressed (see `roster.suppressions`): their contact was written
   * but left unsubscribed. Absent when there were none.
   */
  suppressedCount?: number;
  /**
   * A Mailchimp cleaned members file (`preset: 'mailchimp'`): addresses added to the suppression
   * list (origin `bounce`, reason "Mailchimp: cleaned"); a dry run counts those it would add.
   * Addresses already listed are not counted. Absent for other imports.
   */
  suppressionsAddedCount?: number;
  /** The first `MAX_KEPT_IMPORT_ERRORS` rejected rows. */
  errors: ImportRowError[];
}

export const MAX_KEPT_IMPORT_ERRORS = 1000;

/** Where an import job reads its CSV: a file stored in the database, or a file on disk (CLI). */
export type ImportSource =
  | { kind: 'stored'; fileId: string; name: string | null; size: number }
  | { kind: 'path'; path: string; size: number; mtimeMs: number }
  /**
   * One CSV inside a ZIP archive on disk (a Mailchimp audience export), read in place: `size` is
   * the entry's uncompressed size, `fileSize` and `mtimeMs` the archive's (checked unchanged).
   */
  | { kind: 'zip'; path: string; entry: ZipEntry; size: number; fileSize: number; mtimeMs: number };

export interface ImportJobPayload {
  source: ImportSource;
  /**
   * Every imported contact (created or updated) is put in this audience of the job's project.
   * Absent or null: contacts keep their audience (new ones have none). If the audience is deleted
   * before the job is done, the job fails (see `importJobDefinition`).
   */
  audienceId?: string | null;
  /** Name columns (`first_name`, `lastName`, ...) fill the contact's names instead of `data`. */
  nameColumns?: boolean;
  /** Lowercased header names whose columns are not stored (a `data.<name>` column still is). */
  skipColumns?: string[];
  /** The header name (any case) of the column read as the email, instead of `email`. */
  emailColumn?: string;
  /** `data.<key>:<type>` headers are typed columns (see `CsvDataType`); absent for imports before them. */
  typedColumns?: boolean;
  /** Read the header by this column map (see `ImportColumnMap`) instead of the options above. */
  columnMap?: ImportColumnMap;
  /** `skip`: rows of existing contacts are left alone and counted in `skippedCount`. @default 'upsert' */
  onConflict?: ImportOnConflict;
  /** Every imported contact (created, or updated when upserting) joins these STATIC segments. */
  segmentIds?: string[];
  /** ...and gets these explicit topic subscriptions. */
  topics?: { id: string; subscription: TopicSubscription }[];
  /** The export format the file comes from (its columns and values are mapped, see `planColumns`). */
  preset?: ImportPreset;
  /** Column mappings (lowercased header → field), applied over the preset. */
  map?: Record<string, string>;
  /** Mailchimp: the section of the export the file is (subscribed, unsubscribed or cleaned members). */
  mailchimpStatus?: MailchimpStatus;
}

/**
 * What an import job records in the same transaction as each batch, so that a new attempt
 * continues exactly after the last committed batch.
 */
export interface ImportProgress {
  /** 0–100, by bytes consumed. */
  percent: number;
  /** Bytes of the file consumed by committed batches (always at a record boundary). */
  bytes: number;
  /** The line number the next record starts on (before skipped empty lines). */
  line: number;
  /** The header as read on the first attempt. */
  header: string[];
  delimiter: string;
  counts: Omit<ImportResult, 'errors'>;
  errors: ImportRowError[];
}

/**
 * An import as the process running it sees it, updated after every block of parsed rows (not
 * only when a batch commits), for progress displays. Only the process running the job has it.
 */
export interface LiveImportProgress {
  /** Rows read so far (as `totalRows` counts them), including those of the batch not yet committed. */
  rows: number;
  /** Rows read before this attempt started (committed by an earlier, interrupted attempt). */
  rowsBefore: number;
  /** Rows rejected so far. */
  failures: number;
  /** Bytes of the file read so far, and its size. */
  bytes: number;
  size: number;
  /** 0–100, by bytes read. */
  percent: number;
}
