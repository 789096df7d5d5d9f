import type { Kysely } from 'kysely';
import type { ChangeFeed, ChangeHandler, SubscribeOptions, Unsubscribe } from '../changes/change-feed.js';
import { isoNow } from '../clock.js';
import { bindChangeSource } from '../consent/change-source.js';
import type { ContactIndex } from '../contacts/contact-index.js';
import { contactExists } from '../contacts/contact-repository.js';
import { trackedContactWrites } from '../contacts/contact-service.js';
import type { UpsertResult } from '../contacts/contact-types.js';
import type { Database, Db } from '../db/schema.js';
import { directWrites, type WriteQueue } from '../db/write-queue.js';
import { RosterError } from '../errors.js';
import type { IdempotencyClaimHolder, IdempotencyService } from '../idempotency/idempotency-service.js';
import { isContactId, uuidv7 } from '../ids.js';
import type { ChangeEventType } from '../outbox/outbox-types.js';
import type { PropertyTypeCache } from '../properties/property-check.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { insertEvents, listContactEvents } from './event-repository.js';
import {
  type ListEventsInput,
  listEventsSchema,
  type TrackEventInput,
  trackEventSchema,
} from './event-schemas.js';
import { type ContactEvent, isReservedEventName, type TrackResult } from './event-types.js';

export interface EventServiceDeps extends ServiceDeps {
  /** For the contacts `track` creates or updates. */
  contactIndex: ContactIndex;
  /** Where `track` runs its write (the contact upsert and the event, together): see ContactServiceDeps.writes. */
  writes?: WriteQueue;
  /** The change feed `subscribe` reads (absent: `subscribe` throws). */
  feed?: ChangeFeed;
  /** The declared property types `track`'s data is checked against (see ContactServiceDeps). */
  propertyTypes?: PropertyTypeCache;
  /** The Idempotency-Key claims `trackWithKey` folds into its write (absent: `trackWithKey` throws). */
  idempotency?: Pick<IdempotencyService, 'claimWithin' | 'claimed'>;
}

/** `trackWithKey`'s outcome: tracked under the claimed key, or refused with the key's holder. */
export type TrackWithKeyResult =
  | { claimed: true; tracked: TrackResult }
  | { claimed: false; holder: IdempotencyClaimHolder };

export function createEventService(deps: EventServiceDeps) {
  const { db, dialect, clock } = deps;
  const writes = deps.writes ?? directWrites(db);
  // Built once: a track call validates its input once and writes its contact with these.
  const contacts = trackedContactWrites(deps);

  /** `input` validated, with a reserved event name refused. */
  function validTrack(input: TrackEventInput) {
    const valid = parseInput(trackEventSchema, input);
    if (isReservedEventName(valid.event)) {
      throw RosterError.validation(
        [{ field: 'event', message: `"${valid.event}" is a reserved event name`, code: 'reserved_event' }],
        `Event name "${valid.event}" is reserved`,
      );
    }
    return valid;
  }

  /** The track's writes in `trx`: the contact (created or updated) and the event. */
  async function trackIn(
    trx: Db,
    projectId: string,
    valid: ReturnType<typeof validTrack>,
  ): Promise<TrackResult> {
    const data = valid.data ?? undefined;
    // Written by the roster's own contact writes, for the fields validated above (the same data
    // rules, type checks, consent records and change events as contacts.upsert and contacts.create).
    let result: UpsertResult | undefined;
    if (valid.preserveExistingSubscription && valid.subscribed !== undefined) {
      result = await contacts.create(trx, projectId, {
        email: valid.email,
        subscribed: valid.subscribed,
        data,
      });
    }
    result ??= await contacts.upsert(trx, projectId, {
      email: valid.email,
      // preserveExistingSubscription: an existing contact keeps its subscription.
      subscribed: valid.preserveExistingSubscription ? undefined : valid.subscribed,
      data,
    });
    const event: ContactEvent = {
      id: uuidv7(),
      projectId,
      contactId: result.contact.id,
      name: valid.event,
      data: valid.data ?? null,
      createdAt: isoNow(clock),
    };
    await insertEvents(trx, dialect, [event]);
    return { ...result, event };
  }

  return {
    /**
     * Records an event for the contact with `email`, creating the contact if needed (subscribed
     * unless `subscribed: false`), in one transaction: the contact's data is merged with the usual
     * rules and the event keeps the data exactly as sent. An existing contact's subscription
     * changes only when `subscribed` is given (and `preserveExistingSubscription` is not set).
     * Reserved names (`email.*`, `contact.(un)subscribed`, `segment.*.entry|exit`) are refused.
     */
    async track(projectId: string, input: TrackEventInput): Promise<TrackResult> {
      const valid = validTrack(input);
      // Through the write queue: on SQLite, concurrent track calls share one transaction (group
      // commit); the upsert and the event are one unit either way.
      // The contact write below records the caller's change source (its consent record), not that
      // of whichever call started the batch.
      const tracked = await writes.run(
        bindChangeSource((conn: Db) => inTransaction(conn, (trx) => trackIn(trx, projectId, valid))),
      );
      deps.changes?.committed();
      return tracked;
    },

    /**
     * `track` under an Idempotency-Key, claimed in the track's own transaction and recorded with
     * `statusCode` (the status the caller answers a committed track with): one write instead of
     * the separate claim and settle of `idempotency.claim` and `idempotency.settle`. A key the
     * project holds (unexpired) is refused with its holder and nothing is written. Errors (invalid
     * input, a failed write) leave no claim: the caller handles the key of a failed request itself
     * (e.g. by `idempotency.claim`, then `idempotency.settle` with the error's status).
     */
    async trackWithKey(
      projectId: string,
      input: TrackEventInput,
      claim: { key: string; method: string; path: string; statusCode: number },
    ): Promise<TrackWithKeyResult> {
      const idempotency = deps.idempotency;
      if (!idempotency) throw new Error('roster: events.trackWithKey needs the idempotency service');
      const valid = validTrack(input);
      const outcome = await writes.run(
        bindChangeSource((conn: Db) =>
          inTransaction(conn, async (trx) => {
            const key = await idempotency.claimWithin(
              trx,
              projectId,
              claim.key,
              claim.method,
              claim.path,
              claim.statusCode,
            );
            if (!key.claimed) return { claimed: false as const, holder: key.holder };
            return { claimed: true as const, tracked: await trackIn(trx, projectId, valid), key };
          }),
        ),
      );
      if (!outcome.claimed) return outcome;
      deps.changes?.committed();
      await idempotency.claimed(projectId, outcome.key.expiresAt);
      return { claimed: true, tracked: outcome.tracked };
    },

    /**
     * Calls `handler` for every change event (`contact.created`, `contact.updated`, ... see
     * `ChangeEventType`) of `types` (every type with `[]`) committed from now on, in commit order,
     * one at a time, while this process runs: at-least-once (a handler that throws gets the same
     * event again later, with backoff). Fed from the outbox, so it also sees other processes'
     * writes (by notification on PostgreSQL, by polling on SQLite). Returns the function that
     * unsubscribes. Not to be confused with `track`/`list`, the contacts' tracked events.
     */
    subscribe(
      types: readonly (ChangeEventType | (string & {}))[],
      handler: ChangeHandler,
      options: SubscribeOptions = {},
    ): Unsubscribe {
      if (!deps.feed) throw new Error('roster: events.subscribe needs the roster change feed');
      return deps.feed.subscribe(types, handler, options);
    },

    /** The contact's events, newest first (`not_found` for an unknown contact). */
    async list(projectId: string, contactId: string, input: ListEventsInput = {}): Promise<ContactEvent[]> {
      const valid = parseInput(listEventsSchema, input);
      if (!isContactId(contactId)) throw RosterError.notFound('contact');
      if (!(await contactExists(db, dialect, projectId, contactId))) throw RosterError.notFound('contact');
      return listContactEvents(db, dialect, {
        projectId,
        contactId,
        name: valid.name,
        limit: valid.limit ?? 100,
      });
    },

    /** Records events roster emits itself (no name check), e.g. segment entries; inside `trx` when given. */
    async record(events: Omit<ContactEvent, 'id' | 'createdAt'>[], trx?: Db): Promise<void> {
      const at = isoNow(clock);
      await insertEvents(
        trx ?? db,
        dialect,
        events.map((e) => ({ ...e, id: uuidv7(), createdAt: at })),
      );
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;

/** `fn` in a transaction: `conn` itself when it already is one (a group-commit batch). */
function inTransaction<T>(conn: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return conn.isTransaction ? fn(conn) : (conn as Kysely<Database>).transaction().execute(fn);
}
