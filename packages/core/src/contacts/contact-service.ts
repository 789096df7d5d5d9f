import { type RawBuilder, sql } from 'kysely';
import { audienceExists } from '../audiences/audience-repository.js';
import { isoNow } from '../clock.js';
import { type ChangeSource, currentChangeSource } from '../consent/change-source.js';
import { setContactConsent } from '../consent/consent-repository.js';
import type { DialectInfo } from '../db/dialect.js';
import type { ContactRow, Db, SegmentRow } from '../db/schema.js';
import { atomically } from '../db/transactions.js';
import { directWrites, type WriteQueue } from '../db/write-queue.js';
import { RosterError } from '../errors.js';
import { contactIdText, isContactId, isUuid, uuidv7 } from '../ids.js';
import { recordChanges } from '../outbox/outbox-writes.js';
import { keysetPage } from '../paging.js';
import {
  dataTypeIssues,
  type PropertyTypeCache,
  uncachedPropertyTypes,
} from '../properties/property-check.js';
import { contactFilterSql } from '../segments/contact-filter.js';
import type { FilterCondition } from '../segments/filter-types.js';
import { countMembers, enterMembers, findSegment, saveMemberCount } from '../segments/segment-repository.js';
import type { ServiceDeps } from '../service-deps.js';
import { topicRows, upsertContactTopics } from '../topics/topic-repository.js';
import type { TopicSubscription } from '../topics/topic-types.js';
import { parseInput } from '../validation.js';
import { recordContactWrite } from './contact-changes.js';
import {
  type DataKeyTypes,
  type DataPatch,
  type DataValueType,
  initialData,
  TRIMMED_CHARACTERS,
  toDataPatch,
} from './contact-data.js';
import { normaliseEmail, normaliseEmailSearch } from './contact-fields.js';
import type { ContactIndex, SearchCandidates } from './contact-index.js';
import * as repo from './contact-repository.js';
import {
  type BulkCreateContactsInput,
  bulkCreateContactsSchema,
  type CreateContactInput,
  createContactSchema,
  type ListContactsInput,
  type ListOffsetInput,
  listContactsSchema,
  listOffsetSchema,
  type StreamContactsInput,
  streamContactsSchema,
  type UpdateContactInput,
  type UpsertContactInput,
  updateContactSchema,
  upsertContactSchema,
} from './contact-schemas.js';
import {
  type BulkCreateResult,
  type Contact,
  type ContactPage,
  rowToContact,
  type UpsertResult,
} from './contact-types.js';

export const DEFAULT_PAGE_SIZE = 20;
/** Page size of `listOffset` when none is given. */
export const DEFAULT_OFFSET_PAGE_SIZE = 50;

export const CONTACT_EXISTS_MESSAGE = 'Contact with this email already exists';

export interface ContactServiceDeps extends ServiceDeps {
  /** Counts and substring search of the dialect (contacts/contact-index.ts). */
  contactIndex: ContactIndex;
  /**
   * Where single writes (upsert, create, update) run: grouped into shared transactions on SQLite
   * (see db/write-queue.ts). @default each on its own
   */
  writes?: WriteQueue;
  /** The project's declared property types, checked on every write that sets data. @default no cache */
  propertyTypes?: PropertyTypeCache | undefined;
}

/** A new contact's data: after the data rules, or as given (`verbatim`). */
function newData(
  data: Record<string, unknown> | null | undefined,
  mode: 'rules' | 'verbatim' | undefined,
): Record<string, unknown> | null {
  if (mode === 'verbatim') return data ?? null;
  return initialData(toDataPatch(data ?? {}));
}

/** The fields of a new contact as given to create and createMany. */
interface NewContactFields {
  email: string;
  subscribed?: boolean | undefined;
  pending?: boolean | undefined;
  data?: Record<string, unknown> | null | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
}

/** The row a create or createMany inserts for one validated entry: defaults applied once, here. */
function newContactRow(
  projectId: string,
  fields: NewContactFields,
  options: { dataMode: 'rules' | 'verbatim' | undefined; audienceId: string | null | undefined; now: string },
): repo.NewContactRow {
  return {
    id: uuidv7(),
    projectId,
    email: fields.email,
    subscribed: fields.pending ? false : (fields.subscribed ?? true),
    data: newData(fields.data, options.dataMode),
    firstName: fields.firstName ?? null,
    lastName: fields.lastName ?? null,
    audienceId: options.audienceId ?? null,
    now: options.now,
  };
}

/**
 * A contact as a single write returns it: with `suppressed: true` when its address is suppressed
 * (see `roster.suppressions`), so the write left it unsubscribed; absent otherwise.
 */
export type WrittenContact = Contact & { suppressed?: true };

function written(contact: Contact, suppressed: Set<string>): WrittenContact {
  return suppressed.size > 0 ? { ...contact, suppressed: true } : contact;
}

/** After a `pending: true` write: an unsubscribed contact awaits its confirmation (a subscribed one is left alone). */
async function markPending(trx: Db, projectId: string, row: ContactRow, now: string) {
  if (!row.subscribed)
    await setContactConsent(trx, { projectId, contactId: contactIdText(row.id), status: 'pending', now });
}

/** The fields of a validated upsert (`upsertContactSchema`'s output). */
interface UpsertFields {
  email: string;
  subscribed?: boolean | undefined;
  pending?: boolean | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  audienceId?: string | null | undefined;
}

/**
 * `validation_failed` naming each `<prefix>.<key>` whose value breaks its declared property type
 * (`values`: what the write stores), the types read through `db`. Writes without data values cost nothing.
 */
async function checkDataTypes(
  propertyTypes: PropertyTypeCache,
  db: Db,
  projectId: string,
  entries: { prefix: string; values: Record<string, unknown> | null | undefined }[],
): Promise<void> {
  if (!entries.some((e) => e.values && Object.keys(e.values).length > 0)) return;
  const types = await propertyTypes.typesOf(db, projectId);
  if (types.size === 0) return;
  const issues = entries.flatMap((e) => dataTypeIssues(types, e.values, e.prefix));
  if (issues.length > 0) throw RosterError.validation(issues);
}

/**
 * Runs a write that may name an audience. The audience was checked first; if it was deleted in
 * between, the foreign key turns the write into the same `not_found`.
 */
async function audienceWrite<T>(dialect: DialectInfo, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (dialect.isForeignKeyViolation(error)) throw RosterError.notFound('audience');
    throw error;
  }
}

/**
 * An upsert's work in its transaction `trx`: the contact written (`id` if new) and its change
 * events recorded. Returns the stored row and the contact it reads as.
 */
async function upsertInTransaction(
  deps: ServiceDeps,
  trx: Db,
  projectId: string,
  valid: UpsertFields,
  patch: DataPatch,
  id: string,
  suppressed: Set<string>,
  source: ChangeSource,
): Promise<{ row: ContactRow; contact: Contact }> {
  const { dialect, clock } = deps;
  const now = isoNow(clock);
  const values = {
    id,
    projectId,
    email: valid.email,
    subscribed: valid.subscribed,
    patch,
    initialData: initialData(patch),
    firstName: valid.firstName,
    lastName: valid.lastName,
    audienceId: valid.audienceId,
    now,
  };
  // The contact before the write (locked on PostgreSQL), for the change events. A new
  // email is inserted first: if a concurrent write inserted it meanwhile, read it again.
  let before = await repo.findContactForWrite(trx, dialect, projectId, { email: valid.email });
  let row: ContactRow | undefined;
  if (!before) {
    row = await repo.insertContactIfNew(
      trx,
      dialect,
      {
        ...values,
        subscribed: valid.pending ? false : (valid.subscribed ?? true),
        data: values.initialData,
        firstName: valid.firstName ?? null,
        lastName: valid.lastName ?? null,
        audienceId: valid.audienceId ?? null,
      },
      suppressed,
    );
    if (!row) before = await repo.findContactForWrite(trx, dialect, projectId, { email: valid.email });
  }
  row ??= await repo.upsertContact(trx, dialect, values, suppressed);
  if (valid.pending) await markPending(trx, projectId, row, now);
  const contact = rowToContact(row, dialect, projectId);
  await recordContactWrite(
    deps,
    trx,
    projectId,
    before ? rowToContact(before, dialect, projectId) : null,
    contact,
    now,
    source,
  );
  return { row, contact };
}

/** What `events.track` writes of its contact: its email, and `subscribed` and `data` when given. */
export interface TrackedContactFields {
  email: string;
  subscribed?: boolean | undefined;
  data?: Record<string, unknown> | null | undefined;
}

/**
 * The contact writes of `events.track`, built once per roster: what `upsert` and `create` write
 * for fields `trackEventSchema` already validated (so without validating them again), inside the
 * caller's transaction `trx`, in the caller's change source. The caller tells the change feed
 * once its transaction committed.
 */
export function trackedContactWrites(deps: ContactServiceDeps) {
  const { dialect, clock } = deps;
  const propertyTypes = deps.propertyTypes ?? uncachedPropertyTypes;
  return {
    /** As `contacts.upsert(projectId, fields)`. */
    async upsert(trx: Db, projectId: string, fields: TrackedContactFields): Promise<UpsertResult> {
      const source = currentChangeSource();
      const patch = toDataPatch(fields.data ?? {});
      await checkDataTypes(propertyTypes, trx, projectId, [{ prefix: 'data', values: patch.set }]);
      const id = uuidv7();
      const suppressed = new Set<string>();
      const { row, contact } = await audienceWrite(dialect, () =>
        upsertInTransaction(deps, trx, projectId, fields, patch, id, suppressed, source),
      );
      const result: UpsertResult = { contact, created: contactIdText(row.id) === id };
      if (suppressed.size > 0) result.suppressed = true;
      return result;
    },

    /** As `contacts.create(projectId, fields)`, but undefined where that is a `conflict` (the email exists). */
    async create(
      trx: Db,
      projectId: string,
      fields: TrackedContactFields,
    ): Promise<UpsertResult | undefined> {
      const source = currentChangeSource();
      const suppressed = new Set<string>();
      await checkDataTypes(propertyTypes, trx, projectId, [
        { prefix: 'data', values: newData(fields.data, undefined) },
      ]);
      const contact = await audienceWrite(dialect, async () => {
        const now = isoNow(clock);
        const created = await repo.insertContactIfNew(
          trx,
          dialect,
          newContactRow(projectId, fields, { dataMode: undefined, audienceId: undefined, now }),
          suppressed,
        );
        if (!created) return undefined;
        const contact = rowToContact(created, dialect, projectId);
        await recordContactWrite(deps, trx, projectId, null, contact, now, source);
        return contact;
      });
      if (!contact) return undefined;
      return { contact, created: true, ...(suppressed.size > 0 ? { suppressed: true as const } : {}) };
    },
  };
}

export function createContactService(deps: ContactServiceDeps) {
  const { db, dialect, clock } = deps;
  const index = deps.contactIndex;
  const writes = deps.writes && !db.isTransaction ? deps.writes : directWrites(db);
  const contactOf = (projectId: string) => (row: ContactRow) => rowToContact(row, dialect, projectId);
  const propertyTypes = deps.propertyTypes ?? uncachedPropertyTypes;

  /** Makes the new contact a member of each STATIC segment (see `createContactSchema.segmentIds`). */
  async function joinSegments(trx: Db, projectId: string, contactId: string, ids: string[], now: string) {
    const rows: SegmentRow[] = [];
    for (const [i, id] of ids.entries()) {
      const row = isUuid(id) ? await findSegment(trx, projectId, id.toLowerCase()) : undefined;
      if (!row) throw RosterError.notFound('segment');
      if (row.type !== 'STATIC') {
        throw RosterError.validation([
          { field: `segmentIds.${i}`, message: 'must be a static segment (a list), not a dynamic one' },
        ]);
      }
      if (!rows.some((other) => other.id === row.id)) rows.push(row);
    }
    for (const row of rows) {
      await enterMembers(trx, row.id, [contactId], now);
      await saveMemberCount(trx, row.id, await countMembers(trx, row.id));
    }
  }

  /** Sets the new contact's explicit topic subscriptions (see `createContactSchema.topics`). */
  async function chooseTopics(
    trx: Db,
    projectId: string,
    contactId: string,
    items: { id: string; subscription: TopicSubscription }[],
    now: string,
  ) {
    if (items.length === 0) return;
    for (const item of items) {
      if (!isUuid(item.id) || !(await topicRows.find(trx, projectId, item.id.toLowerCase()))) {
        throw RosterError.notFound('topic');
      }
    }
    const choices = items.map((item) => ({
      topicId: item.id.toLowerCase(),
      subscription: item.subscription,
    }));
    await upsertContactTopics(trx, projectId, contactId, choices, now);
  }

  /** `validation_failed` for data values that break their declared property types (see `checkDataTypes`). */
  function assertDataTypes(
    projectId: string,
    entries: { prefix: string; values: Record<string, unknown> | null | undefined }[],
  ): Promise<void> {
    return checkDataTypes(propertyTypes, db, projectId, entries);
  }

  /** The project's contacts that pass the filter (all of them without one). */
  async function total(projectId: string, filter: repo.CountFilter, candidates: SearchCandidates | null) {
    const { search, subscribed, where } = filter;
    if (!search && subscribed === undefined && where === undefined) return index.countAll(db, projectId);
    if (search && candidates) return candidates.count(db, { projectId, search, subscribed });
    return repo.countContacts(db, dialect, projectId, filter);
  }

  /**
   * The SQL condition of a filter tree and/or an audience (both ANDed), or undefined for neither.
   * An audience the project does not have matches nothing.
   */
  async function conditionOf(
    projectId: string,
    filter: unknown,
    audienceId: string | null | undefined,
  ): Promise<RawBuilder<boolean> | undefined> {
    const parts: RawBuilder<boolean>[] = [];
    if (filter !== undefined) parts.push(await contactFilterSql({ db, dialect, clock }, projectId, filter));
    if (audienceId) parts.push(sql<boolean>`audience_id = ${audienceId}`);
    if (parts.length === 0) return undefined;
    return parts.length === 1 ? parts[0] : sql<boolean>`(${parts[0]}) and (${parts[1]})`;
  }

  /** The conditions of a stream (and of `dataKeyTypes` over the same contacts). */
  async function streamQuery(projectId: string, options: StreamContactsInput) {
    const valid = parseInput(streamContactsSchema, options);
    const audienceId = valid.audienceId ?? undefined;
    const batchSize = valid.batchSize ?? 1000;
    const search = normaliseEmailSearch(valid.search);
    const subscribed =
      valid.subscribed === undefined || valid.subscribed === null
        ? undefined
        : sql<boolean>`subscribed = ${dialect.bool(valid.subscribed)}`;
    const filter =
      valid.filter === undefined
        ? undefined
        : await contactFilterSql({ db, dialect, clock }, projectId, valid.filter);
    const where = filter && subscribed ? sql<boolean>`(${filter}) and ${subscribed}` : (filter ?? subscribed);
    return { audienceId, search, where, batchSize };
  }

  async function getRow(projectId: string, id: string) {
    const row = isContactId(id) ? await repo.findContact(db, dialect, projectId, id) : undefined;
    if (!row) throw RosterError.notFound('contact');
    return row;
  }

  /** `not_found` unless `audienceId` (when given) is an audience of the project. */
  async function assertAudience(projectId: string, audienceId: string | null | undefined): Promise<void> {
    if (audienceId && !(await audienceExists(db, projectId, audienceId))) {
      throw RosterError.notFound('audience');
    }
  }

  /** Runs a write that may name an audience (see `audienceWrite`). */
  function writing<T>(write: () => Promise<T>): Promise<T> {
    return audienceWrite(dialect, write);
  }

  function inTransaction<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return atomically(db, dialect, fn);
  }

  /** `pending: true` asks for a double opt-in: `subscribed: true` beside it contradicts it. */
  function assertPending(input: { pending?: boolean | undefined; subscribed?: boolean | undefined }) {
    if (input.pending && input.subscribed === true) {
      throw RosterError.validation([
        {
          field: 'pending',
          message: 'cannot be true with subscribed: true (the contact subscribes by confirming)',
        },
      ]);
    }
  }

  /** Tells the change feed that a write (and its events) committed. */
  async function committed<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    deps.changes?.committed();
    return result;
  }

  return {
    /**
     * Creates the contact, or merges into the existing one with the same email (see `toDataPatch`
     * for the data rules). `subscribed` defaults to true on create and is unchanged on update.
     */
    async upsert(projectId: string, input: UpsertContactInput): Promise<UpsertResult> {
      const valid = parseInput(upsertContactSchema, input);
      assertPending(valid);
      const source = currentChangeSource();
      await assertAudience(projectId, valid.audienceId);
      const patch = toDataPatch(valid.data ?? {});
      await assertDataTypes(projectId, [{ prefix: 'data', values: patch.set }]);
      const id = uuidv7();
      const suppressed = new Set<string>();
      const { row, contact } = await writing(() =>
        committed(
          writes.run((conn) =>
            atomically(conn, dialect, (trx) =>
              upsertInTransaction(deps, trx, projectId, valid, patch, id, suppressed, source),
            ),
          ),
        ),
      );
      const result: UpsertResult = { contact, created: contactIdText(row.id) === id };
      if (suppressed.size > 0) result.suppressed = true;
      return result;
    },

    /**
     * Creates a new contact. An email already in the project is a `conflict` and the existing
     * contact is left untouched (one statement: concurrent creates of one email make one row).
     * `subscribed` defaults to true; an `audienceId` must be an audience of the project.
     * `segmentIds` and `topics` are written in the contact's transaction: a bad one (unknown, or a
     * dynamic segment) fails the call and leaves no contact behind.
     */
    async create(projectId: string, input: CreateContactInput): Promise<WrittenContact> {
      const valid = parseInput(createContactSchema, input);
      assertPending(valid);
      const source = currentChangeSource();
      const suppressed = new Set<string>();
      await assertDataTypes(projectId, [{ prefix: 'data', values: newData(valid.data, valid.dataMode) }]);
      await assertAudience(projectId, valid.audienceId);
      const row = await writing(() =>
        committed(
          writes.run((conn) =>
            atomically(conn, dialect, async (trx) => {
              const now = isoNow(clock);
              const created = await repo.insertContactIfNew(
                trx,
                dialect,
                newContactRow(projectId, valid, {
                  dataMode: valid.dataMode,
                  audienceId: valid.audienceId,
                  now,
                }),
                suppressed,
              );
              if (!created) return created;
              // Memberships and topic choices after the insert, in its transaction: a bad reference
              // throws here and rolls the contact back with them.
              await joinSegments(trx, projectId, contactIdText(created.id), valid.segmentIds ?? [], now);
              await chooseTopics(trx, projectId, contactIdText(created.id), valid.topics ?? [], now);
              if (valid.pending) await markPending(trx, projectId, created, now);
              await recordContactWrite(
                deps,
                trx,
                projectId,
                null,
                contactOf(projectId)(created),
                now,
                source,
              );
              return created;
            }),
          ),
        ),
      );
      if (!row) throw RosterError.conflict('contact', CONTACT_EXISTS_MESSAGE);
      return written(rowToContact(row, dialect, projectId), suppressed);
    },

    /**
     * Creates up to 1000 contacts in one transaction, all in `audienceId` when given. Emails already
     * in the project, and repeats of an email within the request, are skipped and left untouched.
     * Any invalid entry fails the whole request (`validation_failed` naming e.g. `contacts.3.email`).
     */
    async createMany(projectId: string, input: BulkCreateContactsInput): Promise<BulkCreateResult> {
      const valid = parseInput(bulkCreateContactsSchema, input);
      await assertDataTypes(
        projectId,
        valid.contacts.map((entry, i) => ({
          prefix: `contacts.${i}.data`,
          values: newData(entry.data, valid.dataMode),
        })),
      );
      await assertAudience(projectId, valid.audienceId);
      const now = isoNow(clock);
      const seen = new Set<string>();
      const rows: repo.NewContactRow[] = [];
      for (const entry of valid.contacts) {
        if (seen.has(entry.email)) continue;
        seen.add(entry.email);
        rows.push(
          newContactRow(projectId, entry, { dataMode: valid.dataMode, audienceId: valid.audienceId, now }),
        );
      }
      const suppressed = new Set<string>();
      const inserted = await writing(() =>
        committed(
          inTransaction(async (trx) => {
            const stored = await repo.insertContactsIfNew(trx, dialect, rows, suppressed);
            const byEmail = new Map(rows.map((row) => [row.email, row]));
            const changes = stored.map(({ email }) => {
              const contact = repo.newRowToContact(byEmail.get(email)!);
              return { type: 'contact.created' as const, contactId: contact.id, data: { contact } };
            });
            await recordChanges(deps, trx, projectId, changes, now);
            return stored;
          }),
        ),
      );
      const createdEmails = new Set(inserted.map((row) => row.email));
      return {
        requested: valid.contacts.length,
        created: inserted.length,
        skipped: valid.contacts.length - inserted.length,
        ids: inserted.map((row) => row.id),
        skippedEmails: rows.filter((row) => !createdEmails.has(row.email)).map((row) => row.email),
        suppressedEmails: rows
          .filter((row) => createdEmails.has(row.email) && suppressed.has(row.email))
          .map((row) => row.email),
      };
    },

    /** The contact, or `not_found` (also for another project's id or a malformed id). */
    async get(projectId: string, id: string): Promise<Contact> {
      return rowToContact(await getRow(projectId, id), dialect, projectId);
    },

    async findByEmail(projectId: string, email: string): Promise<Contact | null> {
      const row = await repo.findContactByEmail(db, projectId, normaliseEmail(email));
      return row ? rowToContact(row, dialect, projectId) : null;
    },

    /**
     * Changes only the given fields. `data` is merged (or replaced with `dataMode: 'replace'`);
     * `data: null` clears it. A new email already used in the project is a `conflict` and
     * nothing changes.
     */
    async update(projectId: string, id: string, input: UpdateContactInput): Promise<WrittenContact> {
      const valid = parseInput(updateContactSchema, input);
      const suppressed = new Set<string>();
      if (!isContactId(id)) throw RosterError.notFound('contact');
      const source = currentChangeSource();
      await assertAudience(projectId, valid.audienceId);
      const changes: repo.ContactChanges = {
        email: valid.email,
        subscribed: valid.subscribed,
        firstName: valid.firstName,
        lastName: valid.lastName,
        audienceId: valid.audienceId,
      };
      if (valid.data === null) changes.data = { replace: null };
      else if (valid.data !== undefined && valid.dataMode === 'verbatim') {
        await assertDataTypes(projectId, [{ prefix: 'data', values: valid.data }]);
        changes.data = { replace: Object.keys(valid.data).length > 0 ? valid.data : null };
      } else if (valid.data !== undefined) {
        const patch = toDataPatch(valid.data);
        await assertDataTypes(projectId, [{ prefix: 'data', values: patch.set }]);
        changes.data = valid.dataMode === 'replace' ? { replace: initialData(patch) } : { merge: patch };
      }
      let row: Awaited<ReturnType<typeof repo.updateContact>>;
      try {
        row = await committed(
          writes.run((conn) =>
            atomically(conn, dialect, async (trx) => {
              const now = isoNow(clock);
              const before = await repo.findContactForWrite(trx, dialect, projectId, { id });
              if (!before) return undefined;
              const after = await repo.updateContact(trx, dialect, projectId, id, changes, now, suppressed);
              if (after)
                await recordContactWrite(
                  deps,
                  trx,
                  projectId,
                  contactOf(projectId)(before),
                  contactOf(projectId)(after),
                  now,
                  source,
                );
              return after;
            }),
          ),
        );
      } catch (error) {
        if (dialect.isUniqueViolation(error)) {
          throw RosterError.conflict('contact', 'A contact with this email already exists');
        }
        if (dialect.isForeignKeyViolation(error)) throw RosterError.notFound('audience');
        throw error;
      }
      if (!row) throw RosterError.notFound('contact');
      return written(rowToContact(row, dialect, projectId), suppressed);
    },

    async delete(projectId: string, id: string): Promise<void> {
      if (!isContactId(id)) throw RosterError.notFound('contact');
      const deleted = await committed(
        inTransaction(async (trx) => {
          const row = await repo.deleteContact(trx, dialect, projectId, id);
          if (row)
            await recordContactWrite(deps, trx, projectId, contactOf(projectId)(row), null, isoNow(clock));
          return row;
        }),
      );
      if (!deleted) throw RosterError.notFound('contact');
    },

    /**
     * Keyset-paginated, newest first by default: pass the returned `cursor` (the id of the page's
     * last contact) to get the next page. `search` is a case-insensitive substring of the email,
     * `subscribed` keeps one subscription state; `sort` (`createdAt` | `email`, default
     * `createdAt`) and `dir` (`asc` | `desc`, default `desc`) order the pages, ties broken by id
     * descending (Plunk's order). `audienceId` keeps one audience's contacts and `filter` those
     * matching a filter tree. Every page seeks to its cursor, so a deep page costs what the
     * first one costs. An unknown or malformed cursor is `invalid_cursor`.
     */
    async list(projectId: string, input: ListContactsInput = {}): Promise<ContactPage> {
      const valid = parseInput(listContactsSchema, input);
      const limit = valid.limit ?? DEFAULT_PAGE_SIZE;
      const search = normaliseEmailSearch(valid.search);
      const subscribed = valid.subscribed ?? undefined;
      const order: repo.ContactOrder = { sort: valid.sort ?? 'createdAt', dir: valid.dir ?? 'desc' };
      let after: repo.ContactCursor | undefined;
      if (valid.cursor) {
        const row = isUuid(valid.cursor)
          ? await repo.findContact(db, dialect, projectId, valid.cursor.toLowerCase())
          : undefined;
        if (!row) {
          throw RosterError.invalidCursor('cursor', 'a contact of this project');
        }
        after = { id: contactIdText(row.id), createdAt: row.created_at, email: row.email };
      }
      // A filter tree or an audience: one keyset query with the condition (and the search, if any).
      const where = await conditionOf(projectId, valid.filter, valid.audienceId);
      // Otherwise a rare term is answered from the substring index's candidates; a common one (or no
      // index) by walking the project's contacts in order until the page is full.
      const candidates = where === undefined && search ? await index.search(db, search) : null;
      const rows = candidates
        ? await candidates.list(db, {
            projectId,
            search: search!,
            order,
            after,
            subscribed,
            limit: limit + 1,
          })
        : await repo.listContactsSorted(db, dialect, {
            projectId,
            order,
            after,
            search,
            subscribed,
            where,
            limit: limit + 1,
          });
      const page: ContactPage = keysetPage(rows, limit, contactOf(projectId));
      // A first page without a next one holds every match (it was read with the count's conditions):
      // its total is its length, with no second pass over the index (a rare search on PostgreSQL
      // reads its pg_trgm posting lists once instead of twice).
      if (valid.includeTotal)
        page.total =
          after === undefined && !page.hasMore
            ? page.data.length
            : await total(projectId, { search, subscribed, where }, candidates);
      return page;
    },

    /**
     * Newest first (by id: creation order, unique, so pages are stable), `limit` (default 50, at
     * most 100) contacts after skipping `offset`. `audienceId` keeps only that audience's contacts;
     * an audience the project does not have gives an empty page.
     */
    async listOffset(projectId: string, input: ListOffsetInput = {}): Promise<Contact[]> {
      const valid = parseInput(listOffsetSchema, input);
      const rows = await repo.listContactsOffset(db, dialect, {
        projectId,
        limit: valid.limit ?? DEFAULT_OFFSET_PAGE_SIZE,
        offset: valid.offset ?? 0,
        audienceId: valid.audienceId ?? undefined,
      });
      return rows.map(contactOf(projectId));
    },

    /**
     * Every contact of the project, newest first, read in keyset batches so memory stays flat
     * however many there are; optionally only those of one audience, whose email contains
     * `search`, with one subscription state and/or matching the `filter` tree (as `list`).
     * Contacts created while iterating may be missed.
     */
    async *stream(
      projectId: string,
      options: StreamContactsInput = {},
    ): AsyncGenerator<Contact, void, undefined> {
      const { audienceId, search, where, batchSize } = await streamQuery(projectId, options);
      let beforeId: string | undefined;
      while (true) {
        const rows = await repo.listContactsKeyset(db, dialect, {
          projectId,
          beforeId,
          audienceId,
          search,
          where,
          limit: batchSize,
        });
        for (const row of rows) yield rowToContact(row, dialect, projectId);
        if (rows.length < batchSize) return;
        beforeId = contactIdText(rows[rows.length - 1]!.id);
      }
    },

    /**
     * The data keys of the contacts `stream` reads with the same options (`batchSize` aside),
     * sorted, each with the JSON types of its values and whether some string value is empty or
     * padded with whitespace: what roster's CSV export needs to type its columns (see
     * `csvDataType`). Computed by the database in one statement (SQLite `json_each` / `json_type`,
     * PostgreSQL `jsonb_each` / `jsonb_typeof`), without sending the contacts to the process.
     */
    async dataKeyTypes(
      projectId: string,
      options: Omit<StreamContactsInput, 'batchSize'> = {},
    ): Promise<DataKeyTypes[]> {
      const { audienceId, search, where } = await streamQuery(projectId, options);
      const rows = await repo.listDataKeyTypes(
        db,
        dialect,
        { projectId, audienceId, search, where },
        TRIMMED_CHARACTERS,
      );
      const keys = new Map<string, DataKeyTypes>();
      for (const row of rows) {
        let entry = keys.get(row.key);
        if (!entry) {
          entry = { key: row.key, types: [], untrimmedStrings: false };
          keys.set(row.key, entry);
        }
        const type = row.type as DataValueType;
        if (!entry.types.includes(type)) entry.types.push(type);
        if (Number(row.untrimmed) === 1) entry.untrimmedStrings = true;
      }
      const sorted = [...keys.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const entry of sorted) entry.types.sort();
      return sorted;
    },

    /**
     * Number of contacts in the project, optionally only those whose email contains `search`
     * and/or with the given subscription state and/or matching the `filter` tree and/or in
     * `audienceId` (one `count(*)` with the compiled condition).
     */
    async count(
      projectId: string,
      options: { search?: string; subscribed?: boolean; filter?: FilterCondition; audienceId?: string } = {},
    ): Promise<number> {
      const search = normaliseEmailSearch(options.search);
      const where = await conditionOf(projectId, options.filter, options.audienceId);
      if (where !== undefined) {
        return repo.countContacts(db, dialect, projectId, { search, subscribed: options.subscribed, where });
      }
      const candidates = search ? await index.search(db, search) : null;
      return total(projectId, { search, subscribed: options.subscribed }, candidates);
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
