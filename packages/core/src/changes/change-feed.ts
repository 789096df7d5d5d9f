import type { Kysely, Transaction } from 'kysely';
import { isoNow } from '../clock.js';
import type { Database } from '../db/schema.js';
import { RosterError } from '../errors.js';
import { createOutboxHorizon } from '../outbox/outbox-horizon.js';
import * as outbox from '../outbox/outbox-repository.js';
import type { ChangeEventType, ChangeNotifier } from '../outbox/outbox-types.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { expandOutboxRows, parseChangeEventId } from './change-events.js';
import { type ListChangesInput, listChangesSchema } from './change-schemas.js';
import type { ChangeEvent, ChangePage } from './change-types.js';

/**
 * Handles a batch of change events for a durable consumer, in `trx`: the consumer's cursor moves
 * past these events in that same transaction, so whatever the handler writes through `trx` (e.g.
 * webhook deliveries) is written exactly once per event. It must use only `trx` (on SQLite the
 * roster's own `db` waits for the connection `trx` holds) and must not commit or roll back. If it
 * throws, nothing of the batch is kept and the batch is handed over again later (with backoff).
 */
export type OutboxHandler = (trx: Transaction<Database>, changes: ChangeEvent[]) => Promise<void>;

export interface OutboxConsumerOptions {
  /**
   * Where a consumer seen for the first time starts: at the end of the outbox when it is
   * registered (`'now'`: events committed from then on, possibly with a few committed just
   * before) or at its start (`'start'`: every event still stored). @default 'now'
   */
  from?: 'now' | 'start';
  /** Outbox rows per transaction (a batch row holds many events). @default 100 */
  rowsPerBatch?: number;
  /**
   * The projects whose events the consumer needs, read in its transaction (e.g. those with a
   * webhook endpoint), or null for every project. Events of other projects are passed over
   * without being expanded (no contact reads), and the cursor moves past them.
   * @default every project
   */
  projects?: (trx: Transaction<Database>) => Promise<ReadonlySet<string> | null>;
}

/** An in-process subscriber's handler: called once per event, in order, awaited. */
export type ChangeHandler = (change: ChangeEvent) => void | Promise<void>;

export interface SubscribeOptions {
  /** Only this project's events. @default every project */
  projectId?: string;
}

/** Stops a subscription (idempotent). */
export type Unsubscribe = () => void;

export interface ChangeFeedDeps extends ServiceDeps {
  /** Polling interval when no wake-up comes (other processes' writes on SQLite, lost notifications). */
  pollIntervalMs: number;
  onError(error: unknown): void;
  /** Called after a consumer's transaction committed (e.g. to wake the job runner for jobs it queued). */
  afterConsumerCommit?: () => void;
}

interface Consumer {
  name: string;
  handler: OutboxHandler;
  /** Where its cursor starts if it has none yet. */
  startSeq: number;
  fromStart: boolean;
  rowsPerBatch: number;
  projects: OutboxConsumerOptions['projects'];
  ensured: boolean;
  failures: number;
  retryAt: number;
}

interface Subscriber {
  types: Set<string> | null;
  projectId: string | undefined;
  handler: ChangeHandler;
  /** Every event up to (seq, index) was handed over. */
  seq: number;
  index: number;
  failures: number;
  retryAt: number;
}

/** Most events handed to a durable consumer in one transaction (a row is never split). */
const MAX_CHANGES_PER_BATCH = 5000;
/** Rows read per round for in-process subscribers. */
const SUBSCRIBER_ROWS = 200;
const MAX_RETRY_DELAY_MS = 60_000;

const retryDelay = (failures: number, base: number) =>
  Math.min(MAX_RETRY_DELAY_MS, base * 2 ** (failures - 1));

/** After announcing appends to other processes, the least time before the next announcement. */
const ANNOUNCE_EVERY_MS = 20;

/**
 * The change feed: reads the outbox in `seq` order, up to where it is final (see
 * `outbox/outbox-horizon.ts`), for durable consumers (cursor in `roster_outbox_consumers`, moved in the consumer's transaction) and
 * in-process subscribers (cursor in memory). Woken in-process after a commit that appended events,
 * by PostgreSQL notifications from other processes (sent after commits, at most one per
 * `ANNOUNCE_EVERY_MS` per process), and by polling.
 */
export function createChangeFeed(deps: ChangeFeedDeps) {
  const db = deps.db as Kysely<Database>;
  const { dialect, clock, onError } = deps;
  const consumers = new Map<string, Consumer>();
  const subscribers = new Set<Subscriber>();
  const horizon = createOutboxHorizon(deps.db, dialect);
  /** Every event with `seq <= head` had committed or rolled back when head was set. */
  let head = 0;
  /** Appends committed since the last announcement to other processes. */
  let unannounced = false;
  let announcing: Promise<void> | null = null;
  let started = false;
  let draining: Promise<void> | null = null;
  let wanted = false;
  let timer: NodeJS.Timeout | undefined;

  const now = () => isoNow(clock);

  /** Drains run one at a time (a consumer or subscriber is never handed events twice at once). */
  let chain: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = chain.then(work, work);
    chain = next.catch(() => {});
    return next;
  }

  /** Coalesces wake-ups: one background drain at a time, run again if woken meanwhile. */
  function schedule(): void {
    wanted = true;
    if (draining) return;
    draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        while (wanted) {
          wanted = false;
          await exclusive(drainAll);
        }
      })
      .catch(onError)
      .finally(() => {
        draining = null;
        if (wanted) schedule();
      });
  }

  /** The final part's end (and where a new subscriber or consumer may start). */
  async function safeSeq(): Promise<number> {
    const seq = await horizon.safeSeq();
    // Unbounded where every committed row is final (SQLite): then head moves with the rows read.
    if (seq < Number.MAX_SAFE_INTEGER) head = Math.max(head, seq);
    return seq;
  }

  /**
   * Tells other processes that events were committed (PostgreSQL), at most once per
   * ANNOUNCE_EVERY_MS (appends committed meanwhile are announced at its end), and moves `head`.
   */
  function announce(): void {
    if (announcing || dialect.concurrentAppends === null) return;
    unannounced = false;
    announcing = outbox
      .announceAppends(db, dialect)
      .then(() => safeSeq())
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, ANNOUNCE_EVERY_MS).unref()))
      .catch(onError)
      .finally(() => {
        announcing = null;
        if (unannounced) announce();
      });
  }

  function updateTimer(): void {
    const needed = subscribers.size > 0 || (started && consumers.size > 0);
    if (needed && !timer) {
      timer = setInterval(() => schedule(), deps.pollIntervalMs);
      timer.unref();
    } else if (!needed && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  /** Hands the consumer its next batch in one transaction; false when there was nothing (or it failed). */
  async function drainConsumerOnce(consumer: Consumer): Promise<boolean> {
    if (!consumer.ensured) {
      await outbox.ensureConsumer(db, consumer.name, consumer.startSeq, now());
      consumer.ensured = true;
    }
    const peek = await outbox.peekConsumer(db, consumer.name);
    if (peek === undefined) {
      consumer.ensured = false; // deleted behind our back: create it again next time
      return false;
    }
    // Nothing committed past the cursor: no need to probe where the outbox is final.
    if (!(await outbox.hasOutboxAfter(db, peek, Number.MAX_SAFE_INTEGER))) return false;
    // Probed before the consumer's transaction, which takes part in no append (see outbox-horizon.ts).
    const through = await safeSeq();
    if (through < Number.MAX_SAFE_INTEGER && !(await outbox.hasOutboxAfter(db, peek, through))) return false;
    const handled = await db.transaction().execute(async (trx) => {
      const cursor = await outbox.lockConsumer(trx, consumer.name, now());
      if (cursor === undefined) return 0;
      const rows = await outbox.readOutbox(trx, dialect, {
        afterSeq: cursor,
        throughSeq: through,
        limit: consumer.rowsPerBatch,
      });
      if (rows.length === 0) return 0;
      let lastSeq = rows[rows.length - 1]!.seq;
      const wanted = consumer.projects ? await consumer.projects(trx) : null;
      const kept = wanted ? rows.filter((row) => wanted.has(row.projectId)) : rows;
      let changes = await expandOutboxRows(trx, dialect, kept);
      // Cut at a row boundary once enough events are in hand.
      if (changes.length > MAX_CHANGES_PER_BATCH) {
        const cut = changes[MAX_CHANGES_PER_BATCH]!.seq;
        const kept = changes.filter((change) => change.seq < cut);
        if (kept.length > 0) {
          changes = kept;
          lastSeq = kept[kept.length - 1]!.seq;
        } else {
          lastSeq = cut;
          changes = changes.filter((change) => change.seq === cut);
        }
      }
      if (changes.length > 0) await consumer.handler(trx, changes);
      await outbox.advanceConsumer(trx, consumer.name, lastSeq, now());
      return rows.length;
    });
    if (handled > 0) deps.afterConsumerCommit?.();
    return handled > 0;
  }

  async function drainConsumer(consumer: Consumer): Promise<number> {
    if (Date.now() < consumer.retryAt) return 0;
    let rounds = 0;
    try {
      while (await drainConsumerOnce(consumer)) rounds++;
      consumer.failures = 0;
    } catch (error) {
      consumer.failures++;
      consumer.retryAt = Date.now() + retryDelay(consumer.failures, deps.pollIntervalMs);
      onError(error);
    }
    return rounds;
  }

  function wants(subscriber: Subscriber, change: ChangeEvent): boolean {
    if (subscriber.projectId !== undefined && change.projectId !== subscriber.projectId) return false;
    return subscriber.types === null || subscriber.types.has(change.type);
  }

  async function drainSubscribers(): Promise<void> {
    for (;;) {
      const ready = [...subscribers].filter((s) => Date.now() >= s.retryAt);
      if (ready.length === 0) return;
      // Events of a row partly handed over are read again: start at the lowest unfinished seq.
      const from = Math.min(...ready.map((s) => (s.index > 0 ? s.seq - 1 : s.seq)));
      const through = await safeSeq();
      const rows = await outbox.readOutbox(db, dialect, {
        afterSeq: from,
        throughSeq: through,
        limit: SUBSCRIBER_ROWS,
      });
      if (rows.length === 0) return;
      const changes = await expandOutboxRows(db, dialect, rows);
      const last = rows[rows.length - 1]!.seq;
      for (const subscriber of ready) {
        try {
          for (const change of changes) {
            if (!subscribers.has(subscriber)) break;
            const done =
              change.seq < subscriber.seq ||
              (change.seq === subscriber.seq && (subscriber.index === 0 || change.index < subscriber.index));
            if (done) continue;
            if (wants(subscriber, change)) await subscriber.handler(change);
            subscriber.seq = change.seq;
            subscriber.index = change.index + 1;
          }
          if (subscriber.seq < last) subscriber.seq = last;
          // A row finished: its seq is done as a whole.
          subscriber.index = 0;
          subscriber.failures = 0;
        } catch (error) {
          subscriber.failures++;
          subscriber.retryAt = Date.now() + retryDelay(subscriber.failures, deps.pollIntervalMs);
          onError(error);
        }
      }
      head = Math.max(head, last);
      if (rows.length < SUBSCRIBER_ROWS) return;
    }
  }

  async function drainAll(): Promise<number> {
    let handled = 0;
    if (subscribers.size > 0) await drainSubscribers();
    if (started) for (const consumer of consumers.values()) handled += await drainConsumer(consumer);
    return handled;
  }

  const feed = {
    /**
     * Registers a durable consumer: `handler` gets every change event after the consumer's cursor,
     * in commit order, in batches, each in a transaction that also moves the cursor (see
     * `OutboxHandler`). Consumers run while the job runner is started (`jobs.start()`) and in
     * `jobs.runOnce()`; the cursor survives restarts, so nothing is lost or handed over twice.
     * `name` identifies the cursor: keep it stable.
     */
    registerConsumer(name: string, handler: OutboxHandler, options: OutboxConsumerOptions = {}): void {
      if (consumers.has(name)) throw new Error(`roster: outbox consumer ${name} is already registered`);
      consumers.set(name, {
        name,
        handler,
        startSeq: options.from === 'start' ? 0 : head,
        fromStart: options.from === 'start',
        rowsPerBatch: options.rowsPerBatch ?? 100,
        projects: options.projects,
        ensured: false,
        failures: 0,
        retryAt: 0,
      });
      updateTimer();
      if (started) schedule();
    },

    /**
     * Calls `handler` for each change event of `types` (all with an empty list) committed from now
     * on, in commit order, one at a time, for as long as this process runs (at-least-once: a handler
     * that throws is called again with the same event later; an event committed shortly before
     * `subscribe` may also be delivered). Independent of the job runner. Returns `unsubscribe`.
     */
    subscribe(
      types: readonly (ChangeEventType | (string & {}))[],
      handler: ChangeHandler,
      options: SubscribeOptions = {},
    ): Unsubscribe {
      const subscriber: Subscriber = {
        types: types.length > 0 ? new Set(types) : null,
        projectId: options.projectId,
        handler,
        seq: head,
        index: 0,
        failures: 0,
        retryAt: 0,
      };
      subscribers.add(subscriber);
      updateTimer();
      return () => {
        subscribers.delete(subscriber);
        updateTimer();
      };
    },

    /**
     * The project's change events, oldest first, after the event `after` (an id from an earlier
     * page), at most `limit` (default 100), only of `types` when given. An unknown `after` is
     * `invalid_cursor`. Events of imports and bulk jobs carry the contact as read now.
     */
    async list(projectId: string, input: ListChangesInput = {}): Promise<ChangePage> {
      const valid = parseInput(listChangesSchema, input);
      const limit = valid.limit ?? 100;
      const types = valid.types && valid.types.length > 0 ? new Set(valid.types) : null;
      let afterSeq = 0;
      let afterIndex = -1;
      if (valid.after !== undefined) {
        const { rowId, index } = parseChangeEventId(valid.after);
        const seq = await outbox.findOutboxSeq(db, rowId);
        if (seq === undefined) {
          throw RosterError.invalidCursor('after', 'a change event');
        }
        afterSeq = seq - 1;
        afterIndex = index;
      }
      const data: ChangeEvent[] = [];
      let cursorSeq = afterSeq;
      const through = await safeSeq();
      for (;;) {
        const rows = await outbox.readOutbox(db, dialect, {
          afterSeq: cursorSeq,
          throughSeq: through,
          limit: 100,
          projectId,
        });
        if (rows.length === 0) break;
        for (const change of await expandOutboxRows(db, dialect, rows)) {
          if (change.seq === afterSeq + 1 && valid.after !== undefined && change.index <= afterIndex)
            continue;
          if (types && !types.has(change.type)) continue;
          data.push(change);
          if (data.length === limit) return { data, cursor: change.id };
        }
        cursorSeq = rows[rows.length - 1]!.seq;
      }
      return { data, cursor: data.length > 0 ? data[data.length - 1]!.id : (valid.after ?? null) };
    },

    /** The notifier the write paths call. */
    notifier: {
      appended(firstSeq: number) {
        // Where appends commit in seq order, the rows before ours are final; elsewhere only a
        // probe of the horizon says so.
        if (dialect.concurrentAppends === null) head = Math.max(head, firstSeq - 1);
        unannounced = true;
      },
      committed() {
        if (subscribers.size > 0 || (started && consumers.size > 0)) schedule();
        if (unannounced) announce();
      },
    } satisfies ChangeNotifier,

    /** Wakes the feed (another process appended events). */
    wake(): void {
      if (subscribers.size > 0 || (started && consumers.size > 0)) schedule();
    },

    /** Reads where the outbox ends and creates the registered consumers' cursors. */
    async prepare(): Promise<void> {
      head = Math.max(head, Math.min(await outbox.lastOutboxSeq(db), await safeSeq()));
      for (const consumer of consumers.values()) {
        if (!consumer.fromStart) consumer.startSeq = Math.max(consumer.startSeq, head);
        await outbox.ensureConsumer(db, consumer.name, consumer.startSeq, now());
        consumer.ensured = true;
      }
    },

    /**
     * Deletes outbox events older than `before` that every durable consumer has handled (run with
     * the job runner's `cleanup`, after `jobs.retentionMs`). Returns how many.
     */
    prune(before: string): Promise<number> {
      return outbox.pruneOutbox(db, before);
    },

    /** Runs the durable consumers in the background (with the job runner). */
    async start(): Promise<void> {
      started = true;
      updateTimer();
      schedule();
    },

    /** Stops the durable consumers; resolves when the current round is done. */
    async stop(): Promise<void> {
      started = false;
      updateTimer();
      await draining;
      await chain;
      await announcing;
    },

    /**
     * Hands every durable consumer (and subscriber) what is waiting, now, in the foreground;
     * returns how many consumer batches ran. Used by `jobs.runOnce()`.
     */
    runOnce(): Promise<number> {
      return exclusive(async () => {
        let handled = 0;
        if (subscribers.size > 0) await drainSubscribers();
        for (const consumer of consumers.values()) {
          consumer.retryAt = 0;
          handled += await drainConsumer(consumer);
        }
        return handled;
      });
    },
  };
  return feed;
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;
