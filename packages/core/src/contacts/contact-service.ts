import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { DialectInfo } from '../db/dialect.js';
import { RosterError } from '../errors.js';
import { isUuid, uuidv7 } from '../ids.js';
import type { Db } from '../projects/project-repository.js';
import { parseInput } from '../validation.js';
import { initialData, toDataPatch } from './contact-data.js';
import * as repo from './contact-repository.js';
import {
  type ListContactsInput,
  listContactsSchema,
  type UpdateContactInput,
  type UpsertContactInput,
  updateContactSchema,
  upsertContactSchema,
} from './contact-schemas.js';
import type { Contact, ContactPage, UpsertResult } from './contact-types.js';

export const DEFAULT_PAGE_SIZE = 20;

export function createContactService(db: Db, dialect: DialectInfo, clock: Clock) {
  async function getRow(projectId: string, id: string) {
    const row = isUuid(id) ? await repo.findContact(db, projectId, id) : undefined;
    if (!row) throw RosterError.notFound('contact');
    return row;
  }

  return {
    /**
     * Creates the contact, or merges into the existing one with the same email (see `toDataPatch`
     * for the data rules). `subscribed` defaults to true on create and is unchanged on update.
     */
    async upsert(projectId: string, input: UpsertContactInput): Promise<UpsertResult> {
      const valid = parseInput(upsertContactSchema, input);
      const patch = toDataPatch(valid.data ?? {});
      const id = uuidv7();
      const row = await repo.upsertContact(db, dialect, {
        id,
        projectId,
        email: valid.email,
        subscribed: valid.subscribed,
        patch,
        initialData: initialData(patch),
        firstName: valid.firstName,
        lastName: valid.lastName,
        now: isoNow(clock),
      });
      return { contact: repo.rowToContact(row), created: row.id === id };
    },

    /** The contact, or `not_found` (also for another project's id or a malformed id). */
    async get(projectId: string, id: string): Promise<Contact> {
      return repo.rowToContact(await getRow(projectId, id));
    },

    async findByEmail(projectId: string, email: string): Promise<Contact | null> {
      const row = await repo.findContactByEmail(db, projectId, email.trim().toLowerCase());
      return row ? repo.rowToContact(row) : null;
    },

    /**
     * Changes only the given fields. `data` is merged (or replaced with `dataMode: 'replace'`);
     * `data: null` clears it. A new email already used in the project is a `conflict` and
     * nothing changes.
     */
    async update(projectId: string, id: string, input: UpdateContactInput): Promise<Contact> {
      const valid = parseInput(updateContactSchema, input);
      if (!isUuid(id)) throw RosterError.notFound('contact');
      const changes: repo.ContactChanges = {
        email: valid.email,
        subscribed: valid.subscribed,
        firstName: valid.firstName,
        lastName: valid.lastName,
      };
      if (valid.data === null) changes.data = { replace: null };
      else if (valid.data !== undefined) {
        const patch = toDataPatch(valid.data);
        changes.data = valid.dataMode === 'replace' ? { replace: initialData(patch) } : { merge: patch };
      }
      let row: Awaited<ReturnType<typeof repo.updateContact>>;
      try {
        row = await repo.updateContact(db, dialect, projectId, id, changes, isoNow(clock));
      } catch (error) {
        if (dialect.isUniqueViolation(error)) {
          throw RosterError.conflict('contact', 'A contact with this email already exists');
        }
        throw error;
      }
      if (!row) throw RosterError.notFound('contact');
      return repo.rowToContact(row);
    },

    async delete(projectId: string, id: string): Promise<void> {
      if (!isUuid(id) || !(await repo.deleteContact(db, projectId, id)))
        throw RosterError.notFound('contact');
    },

    /**
     * Newest first, keyset-paginated: pass the returned `cursor` to get the next page. `search`
     * is a case-insensitive substring of the email. An unknown or malformed cursor is `invalid_cursor`.
     */
    async list(projectId: string, input: ListContactsInput = {}): Promise<ContactPage> {
      const valid = parseInput(listContactsSchema, input);
      const limit = valid.limit ?? DEFAULT_PAGE_SIZE;
      const search = valid.search?.trim().toLowerCase() || undefined;
      if (valid.cursor) {
        if (!isUuid(valid.cursor) || !(await repo.contactExists(db, projectId, valid.cursor.toLowerCase()))) {
          throw new RosterError(
            'invalid_cursor',
            'Invalid cursor: it does not point at a contact of this project',
            {
              issues: [{ field: 'cursor', message: 'is not a valid cursor' }],
            },
          );
        }
      }
      const rows = await repo.listContactsKeyset(db, {
        projectId,
        beforeId: valid.cursor?.toLowerCase() ?? undefined,
        search,
        limit: limit + 1,
      });
      const hasMore = rows.length > limit;
      const data = (hasMore ? rows.slice(0, limit) : rows).map(repo.rowToContact);
      const page: ContactPage = { data, cursor: hasMore ? data[data.length - 1]!.id : null, hasMore };
      if (valid.includeTotal) page.total = await repo.countContacts(db, projectId, search);
      return page;
    },

    /** Number of contacts in the project, optionally only those whose email contains `search`. */
    async count(projectId: string, options: { search?: string } = {}): Promise<number> {
      return repo.countContacts(db, projectId, options.search?.trim().toLowerCase() || undefined);
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
