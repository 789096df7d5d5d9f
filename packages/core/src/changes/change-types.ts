import type { Contact } from '../contacts/contact-types.js';
import type { ChangeEventType, ContactField } from '../outbox/outbox-types.js';
import type { TopicChange } from '../topics/topic-types.js';

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
  /**
   * Set when `changed` names `topics`: each topic whose effective subscription changed, with the
   * subscription before (`previous.topics` holds the same as `[{ id, subscription }]`).
   */
  topics?: TopicChange[];
}

/** Data of `contact.deleted`: the contact as it was (only `id` and `email` after a bulk delete). */
export interface ContactDeletedData extends Record<string, unknown> {
  contact: Contact | { id: string; email: string };
  jobId?: string;
}

export interface ChangePage {
  /** Oldest first. */
  data: ChangeEvent[];
  /** Pass as `after` for the next page; null when there is none yet. */
  cursor: string | null;
}
