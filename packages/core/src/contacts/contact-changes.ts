import { type ChangeSource, currentChangeSource, sourceData } from '../consent/change-source.js';
import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import { insertEvents } from '../events/event-repository.js';
import { uuidv7 } from '../ids.js';
import type { ContactField, NewChange } from '../outbox/outbox-types.js';
import { type ChangeDeps, recordChanges } from '../outbox/outbox-writes.js';
import type { Contact } from './contact-types.js';

const FIELDS: readonly Exclude<ContactField, 'topics'>[] = [
  'email',
  'subscribed',
  'data',
  'firstName',
  'lastName',
  'audienceId',
];

/** Structural equality of JSON values (key order ignored: PostgreSQL's jsonb reorders keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((value, i) => sameJson(value, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && sameJson(left[key], right[key]));
}

/**
 * The change events of one contact's write, in order: `contact.created`, or `contact.updated`
 * (only when a field changed, with the changed fields and their previous values) followed by
 * `contact.subscribed` / `contact.unsubscribed` when `subscribed` flipped, or `contact.deleted`.
 */
export function contactWriteChanges(before: Contact | null, after: Contact | null): NewChange[] {
  if (before === null && after === null) return [];
  if (before === null) return [{ type: 'contact.created', contactId: after!.id, data: { contact: after } }];
  if (after === null) return [{ type: 'contact.deleted', contactId: before.id, data: { contact: before } }];
  const changed = FIELDS.filter((field) => !sameJson(before[field], after[field]));
  if (changed.length === 0) return [];
  const previous: Partial<Record<ContactField, unknown>> = {};
  for (const field of changed) previous[field] = before[field];
  const changes: NewChange[] = [
    { type: 'contact.updated', contactId: after.id, data: { contact: after, changed, previous } },
  ];
  if (before.subscribed !== after.subscribed) {
    changes.push({
      type: after.subscribed ? 'contact.subscribed' : 'contact.unsubscribed',
      contactId: after.id,
      data: { contact: after },
    });
  }
  return changes;
}

/**
 * Plunk records a subscription flip as an event of the contact (`contact.subscribed` /
 * `contact.unsubscribed`, usable in `event.contact.subscribed` segment filters): records those
 * rows in `roster_events` for the contacts that flipped to `subscribed`. Each row is also the
 * consent record of the change: its data holds the write's `source` (and `clientAddress` over
 * HTTP), see `withChangeSource`.
 */
export async function recordSubscriptionFlips(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  contactIds: readonly string[],
  subscribed: boolean,
  now: string,
  source: ChangeSource = currentChangeSource(),
): Promise<void> {
  if (contactIds.length === 0) return;
  const name = subscribed ? 'contact.subscribed' : 'contact.unsubscribed';
  const data = sourceData(source);
  await insertEvents(
    db,
    dialect,
    contactIds.map((contactId) => ({ id: uuidv7(), projectId, contactId, name, data, createdAt: now })),
  );
}

/**
 * Records one contact's write in `trx` (which must be the write's transaction, and this its last
 * work on PostgreSQL, see `appendChanges`): the flip event in `roster_events`, then the change
 * events in the outbox.
 */
export async function recordContactWrite(
  deps: ChangeDeps,
  trx: Db,
  projectId: string,
  before: Contact | null,
  after: Contact | null,
  now: string,
  source: ChangeSource = currentChangeSource(),
): Promise<void> {
  if (before && after && before.subscribed !== after.subscribed) {
    await recordSubscriptionFlips(trx, deps.dialect, projectId, [after.id], after.subscribed, now, source);
  }
  await recordChanges(deps, trx, projectId, contactWriteChanges(before, after), now);
}
