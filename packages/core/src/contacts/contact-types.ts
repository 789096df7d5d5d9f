import type { DialectInfo } from '../db/dialect.js';
import type { ContactRow } from '../db/schema.js';
import { contactIdText } from '../ids.js';
import { contactTimeIso } from './contact-time.js';

/** A contact as core returns it. Each HTTP dialect maps it to its own wire format. */
export interface Contact {
  id: string;
  projectId: string;
  /** Trimmed and lowercased. Unique per project. */
  email: string;
  subscribed: boolean;
  /** Custom data, or null when there is none. */
  data: Record<string, unknown> | null;
  firstName: string | null;
  lastName: string | null;
  audienceId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UpsertResult {
  contact: Contact;
  /** True when the email was new to the project. */
  created: boolean;
  /** Present (true) when the address is suppressed: the contact was written but stays unsubscribed. */
  suppressed?: true;
}

export interface ContactPage {
  data: Contact[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
  hasMore: boolean;
  /** Number of contacts matching the filter, when `includeTotal` was asked for. */
  total?: number;
}

export interface BulkCreateResult {
  /** Entries in the request. */
  requested: number;
  /** Contacts created. */
  created: number;
  /** Entries not created: the email was already in the project, or repeated in the request. */
  skipped: number;
  /** Ids of the created contacts, in request order. */
  ids: string[];
  /** Distinct emails that were already in the project. */
  skippedEmails: string[];
  /** Created contacts whose address is suppressed: created unsubscribed. */
  suppressedEmails: string[];
}

/**
 * The contact of a row read within project `projectId` (every read of `roster_contacts` is scoped
 * to one project, or selects the project's id beside the row: the row's own `project_id` is the
 * project's compact key, see `ContactProjectKey`).
 */
export function rowToContact(row: ContactRow, dialect: DialectInfo, projectId: string): Contact {
  const data = dialect.parseJson(row.data) as Record<string, unknown> | null;
  return {
    id: contactIdText(row.id),
    projectId,
    email: row.email,
    subscribed: Boolean(row.subscribed),
    data: data && Object.keys(data).length > 0 ? data : null,
    firstName: row.first_name,
    lastName: row.last_name,
    audienceId: row.audience_id,
    createdAt: contactTimeIso(row.created_at),
    updatedAt: contactTimeIso(row.updated_at),
  };
}
