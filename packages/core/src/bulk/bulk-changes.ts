import { currentChangeSource } from '../consent/change-source.js';
import * as repo from '../contacts/contact-batch-repository.js';
import { recordSubscriptionFlips } from '../contacts/contact-changes.js';

/** The source of a queued bulk job's changes (a synchronous one keeps its caller's). */
const BULK_SOURCE = Object.freeze({ source: 'bulk' });

import type { Db } from '../db/schema.js';
import type { OutboxBatchGroup } from '../outbox/outbox-types.js';
import { type ChangeDeps, recordBatch } from '../outbox/outbox-writes.js';
import type { BulkOperation } from './bulk-types.js';

/**
 * Applies a bulk operation chunk by chunk in one transaction and keeps what it changed, then
 * records it: the flips as `contact.subscribed|unsubscribed` events of the contacts (as Plunk's
 * bulk subscribe does) and the change events as one outbox batch row.
 */
export class BulkChanges {
  /** Contacts changed so far. */
  affected = 0;
  /** Contacts a subscribe left unsubscribed because their address is suppressed. */
  readonly suppressed = new Set<string>();
  private readonly changed: string[] = [];
  private readonly deleted: { id: string; email: string }[] = [];

  constructor(
    private readonly operation: BulkOperation,
    private readonly options: { audienceId: string | null; jobId: string | null },
  ) {}

  /** Applies the operation to the project's contacts among `ids` (one statement). */
  async apply(deps: ChangeDeps, trx: Db, projectId: string, ids: string[], now: string): Promise<void> {
    const { operation } = this;
    if (operation === 'delete') {
      const rows = await repo.deleteContacts(trx, deps.dialect, projectId, ids);
      this.deleted.push(...rows);
      this.affected += rows.length;
      return;
    }
    const changed =
      operation === 'move'
        ? await repo.setAudience(trx, deps.dialect, projectId, ids, this.options.audienceId, now)
        : await repo.setSubscribed(
            trx,
            deps.dialect,
            projectId,
            ids,
            operation === 'subscribe',
            now,
            this.suppressed,
          );
    if (operation !== 'move') {
      await recordSubscriptionFlips(
        trx,
        deps.dialect,
        projectId,
        changed,
        operation === 'subscribe',
        now,
        this.options.jobId === null
          ? currentChangeSource(BULK_SOURCE)
          : { ...currentChangeSource(BULK_SOURCE), jobId: this.options.jobId },
      );
    }
    this.changed.push(...changed);
    this.affected += changed.length;
  }

  /** Appends the change events of everything applied (last in the transaction). */
  async record(deps: ChangeDeps, trx: Db, projectId: string, now: string): Promise<void> {
    const jobData = this.options.jobId === null ? {} : { jobId: this.options.jobId };
    const groups: OutboxBatchGroup[] = [];
    if (this.operation === 'delete') {
      groups.push({
        type: 'contact.deleted',
        data: jobData,
        contactIds: this.deleted.map((row) => row.id),
        emails: this.deleted.map((row) => row.email),
      });
    } else if (this.operation === 'move') {
      groups.push({
        type: 'contact.updated',
        data: { ...jobData, changed: ['audienceId'], previous: null },
        contactIds: this.changed,
        withContact: true,
      });
    } else {
      const subscribed = this.operation === 'subscribe';
      groups.push(
        {
          type: 'contact.updated',
          data: { ...jobData, changed: ['subscribed'], previous: { subscribed: !subscribed } },
          contactIds: this.changed,
          withContact: true,
        },
        {
          type: subscribed ? 'contact.subscribed' : 'contact.unsubscribed',
          data: jobData,
          contactIds: this.changed,
          withContact: true,
        },
      );
    }
    await recordBatch(deps, trx, projectId, { groups }, now);
  }
}
