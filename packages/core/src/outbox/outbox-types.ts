/**
 * The outbox's own vocabulary: the change-event types, what a writer appends (`NewChange`,
 * `OutboxBatch`) and whom it tells (`ChangeNotifier`). Types only (and the type lists): every
 * writer (contacts, audiences, jobs) imports them from below; the change feed reads them back.
 */

/** Change events about one contact. */
export const CONTACT_CHANGE_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.subscribed',
  'contact.unsubscribed',
  'contact.confirmation_requested',
  'contact.confirmed',
] as const;
export type ContactChangeType = (typeof CONTACT_CHANGE_TYPES)[number];

/** Change events about a job. */
export const JOB_CHANGE_TYPES = ['import.completed', 'import.failed', 'bulk.completed'] as const;
export type JobChangeType = (typeof JOB_CHANGE_TYPES)[number];

/** `segment.<slug>.entry` / `segment.<slug>.exit`, for segments with `trackMembership`. */
export type SegmentChangeType = `segment.${string}.entry` | `segment.${string}.exit`;

/** Every change-event type roster emits. */
export type ChangeEventType = ContactChangeType | JobChangeType | SegmentChangeType;

/**
 * The fields a `contact.updated` event can name in `changed`. `topics`: the contact's effective
 * subscription to one or more topics changed (the event's `topics` lists them).
 */
export type ContactField =
  | 'email'
  | 'subscribed'
  | 'data'
  | 'firstName'
  | 'lastName'
  | 'audienceId'
  | 'topics';

/**
 * An outbox row of type `batch`: many contacts' events in one row (imports, bulk operations,
 * segment refreshes), expanded into one `ChangeEvent` per contact when read. Groups are expanded in
 * order; event `i` of the row has id `<row id>_<i>`.
 */
export interface OutboxBatch extends Record<string, unknown> {
  groups: OutboxBatchGroup[];
}

export interface OutboxBatchGroup {
  type: ChangeEventType;
  /** Shared by every event of the group. */
  data: Record<string, unknown>;
  contactIds: string[];
  /** Parallel to `contactIds` where the contacts are gone (deletes): their emails. */
  emails?: string[];
  /** Add the contact as read at dispatch time (`contact`). */
  withContact?: boolean;
}

/**
 * What the write paths tell the change feed (see `ServiceDeps.changes`): the feed implements it,
 * the writers only call it.
 */
export interface ChangeNotifier {
  /** Change events were appended in an open transaction; `firstSeq` is the lowest seq written. */
  appended(firstSeq: number): void;
  /** A transaction that may have appended change events has committed: dispatch now. */
  committed(): void;
}

/** A change event to append (see `appendChanges`). */
export interface NewChange {
  type: ChangeEventType;
  contactId: string | null;
  data: Record<string, unknown>;
}
