import type { ChangeFeed } from './change-feed.js';

/** `roster.changes`: the change events of the outbox. */
export interface ChangeService {
  /**
   * A project's change events, oldest first: `{ after, types, limit }` (default 100, at most
   * 1000); pass the returned `cursor` as `after` for the next page.
   */
  list: ChangeFeed['list'];
  /**
   * Registers a durable consumer (e.g. the webhook fan-out): its handler gets every change event
   * past its stored cursor, in commit order, in a transaction that also moves the cursor (see
   * `OutboxHandler`). Runs while the job runner is started, and in `jobs.runOnce()`.
   */
  registerConsumer: ChangeFeed['registerConsumer'];
  /** The same as `roster.events.subscribe`. */
  subscribe: ChangeFeed['subscribe'];
}
