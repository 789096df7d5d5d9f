import { z } from 'zod';
import type { Contact } from '../contacts/contact-types.js';

/** Change events about one contact. */
export const CONTACT_CHANGE_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.subscribed',
  'contact.unsubscribed',
] as const;
export type ContactChangeType = (typeof CONTACT_CHANGE_TYPES)[number];

/** Change events about a job. */
export const JOB_CHANGE_TYPES = ['import.completed', 'import.failed', 'bulk.completed'] as const;
export type JobChangeType = (typeof JOB_CHANGE_TYPES)[number];

/** `segment.<slug>.entry` / `segment.<slug>.exit`, for segments with `trackMembership`. */
export type SegmentChangeType = `segment.${string}.entry` | `segment.${string}.exit`;

/** Every change-event type roster emits. */
export type ChangeEventType = ContactChangeType | JobChangeType | SegmentChangeType;

/** The fields a `contact.updated` event can name in `changed`. */
export type ContactField = 'email' | 'subscribed' | 'data' | 'firstName' | 'lastName' | 'audienceId';

/**
 * One change event, as consumers and subscribers receive it. Events are read from the outbox in
 * commit order: `seq` increases with it, and events of one batch (an import batch, a bulk
 * batch, a segment refresh) share a `seq` and are ordered by `index`.
 */
export interface ChangeEvent<D extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable and unique (`evt_…`): the same event always has the same id (the Standard Webhooks `webhook-id`). */
  id: string;
  /** Position in the outbox (commit order). */
  seq: number;
  /** Position within the outbox row (0 unless the row is a batch). */
  index: number;
  type: ChangeEventType;
  projectId: string;
  /** The contact the event is about (contact and segment events), else null. */
  contactId: string | null;
  data: D;
  /** When the change was committed (ISO 8601, the roster clock). */
  createdAt: string;
}

/** The outbox event type consumers are handed (an alias of `ChangeEvent`). */
export type OutboxEvent = ChangeEvent;

/** Data of `contact.created`, `contact.subscribed` and `contact.unsubscribed`. */
export interface ContactEventData extends Record<string, unknown> {
  /**
   * The contact after the change. For events of imports and bulk operations (see `jobId`), the
   * contact as read when the event is dispatched (null if it was deleted since).
   */
  contact: Contact | null;
  /** Set on events written in batches by an import or bulk job. */
  jobId?: string;
}

/** Data of `contact.updated`. */
export interface ContactUpdatedData extends ContactEventData {
  /** The fields that changed. */
  changed: ContactField[];
  /**
   * Their values before the change; null for events of imports and bulk operations, which do not
   * read the contacts before writing them (their `changed` lists the fields the job wrote).
   */
  previous: Partial<Record<ContactField, unknown>> | null;
}

/** Data of `contact.deleted`: the contact as it was (only `id` and `email` after a bulk delete). */
export interface ContactDeletedData extends Record<string, unknown> {
  contact: Contact | { id: string; email: string };
  jobId?: string;
}

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

export const listChangesSchema = z.object({
  /** Only events after this one (an event id from an earlier page). */
  after: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(100).optional(),
  /** Only these event types (exact names). */
  types: z.array(z.string().min(1).max(255)).max(100).optional(),
  /** @default 100 */
  limit: z.number({ error: 'must be a number' }).int().min(1).max(1000).optional(),
});
export type ListChangesInput = z.input<typeof listChangesSchema>;

export interface ChangePage {
  /** Oldest first. */
  data: ChangeEvent[];
  /** Pass as `after` for the next page; null when there is none yet. */
  cursor: string | null;
}
