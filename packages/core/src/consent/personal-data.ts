import type { Kysely } from 'kysely';
import { isoNow } from '../clock.js';
import { findContactByEmail } from '../contacts/contact-repository.js';
import { emailSchema } from '../contacts/contact-schemas.js';
import { type Contact, rowToContact } from '../contacts/contact-types.js';
import type { Database, Db } from '../db/schema.js';
import { contactIdText } from '../ids.js';
import type { ServiceDeps } from '../service-deps.js';
import { emailHash, findSettings, findSuppressionByHash } from '../suppressions/suppression-repository.js';
import { suppressIn } from '../suppressions/suppression-service.js';
import { rowToSuppression, type Suppression } from '../suppressions/suppression-types.js';
import { parseInput } from '../validation.js';
import * as repo from './personal-data-repository.js';

/** What an erased address is replaced with where a row has to stay (other contacts' batches, job results). */
export const ERASED = '[erased]';

/** Everything roster stores about one address in one project (`consent.exportPersonalData`). */
export interface PersonalDataExport {
  exportedAt: string;
  projectId: string;
  email: string;
  contact: Contact | null;
  audience: { id: string; name: string } | null;
  /** The contact's tracked events. */
  events: { id: string; name: string; data: unknown; createdAt: string }[];
  /** Static and dynamic segments the contact is (or was, `exitedAt`) a member of. */
  segments: { id: string; name: string; type: string; enteredAt: string; exitedAt: string | null }[];
  /** The contact's explicit topic subscriptions. */
  topics: { id: string; name: string; subscription: string; updatedAt: string }[];
  suppressions: Suppression[];
  /** Change events (the outbox) of the contact or that mention the address. */
  changes: {
    seq: string;
    id: string;
    type: string;
    contactId: string | null;
    data: unknown;
    createdAt: string;
  }[];
  /** Webhook deliveries of the contact's events or that mention the address, with their attempts. */
  webhookDeliveries: {
    id: string;
    endpointId: string;
    messageId: string;
    eventType: string;
    status: string;
    body: unknown;
    createdAt: string;
    attempts: {
      id: string;
      number: number;
      startedAt: string;
      statusCode: number | null;
      response: string | null;
      error: string | null;
    }[];
  }[];
  /** Import rows rejected with this address (from the import jobs' results and progress). */
  importErrors: { jobId: string; row: number; email: string; error: string }[];
  /** Other jobs whose payload, progress, result or error mention the address. */
  jobs: { id: string; type: string; status: string; createdAt: string }[];
  /** `Idempotency-Key` records whose key or path carries the address. */
  idempotencyRecords: {
    key: string;
    method: string;
    path: string;
    statusCode: number | null;
    createdAt: string;
  }[];
}

/** What `consent.erase` removed (counts) and the suppression it left. */
export interface ErasureReport {
  projectId: string;
  /** True when a contact with the address existed and was deleted. */
  contactDeleted: boolean;
  events: number;
  segmentMemberships: number;
  topicSubscriptions: number;
  /** Outbox rows of the contact, deleted. */
  changesDeleted: number;
  /** Other outbox rows (e.g. batches) the address was scrubbed from. */
  changesScrubbed: number;
  /** Webhook deliveries of the contact's events, deleted with their attempts. */
  webhookDeliveriesDeleted: number;
  /** Other deliveries and attempts the address was scrubbed from. */
  webhookDeliveriesScrubbed: number;
  webhookAttemptsScrubbed: number;
  /** Jobs (import error rows, payloads, results) the address was scrubbed from. */
  jobsScrubbed: number;
  importErrorRows: number;
  idempotencyRecordsDeleted: number;
  /** Other contacts' events whose data mentioned the address, scrubbed. */
  otherEventsScrubbed: number;
  /** Suppressions that listed the address in clear, replaced by the erasure entry. */
  suppressionsReplaced: number;
  /** The `erasure` suppression left behind: it holds only a keyed hash of the address. */
  suppression: Suppression;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decode(dialectJson: (v: unknown) => unknown, value: unknown): unknown {
  return dialectJson(value);
}

export function createPersonalDataService(deps: ServiceDeps) {
  const { db, dialect, clock } = deps;
  const parseJson = (value: unknown) => decode(dialect.parseJson, value);

  /** Import error entries `{ row, email, error }` of a job's result or progress whose email is the address. */
  function importErrorsOf(job: { id: string; progress: unknown; result: unknown }, email: string) {
    const found = new Map<string, { jobId: string; row: number; email: string; error: string }>();
    for (const column of [job.result, job.progress]) {
      const value = parseJson(column) as { errors?: unknown } | null;
      const errors = Array.isArray(value?.errors) ? (value.errors as unknown[]) : [];
      for (const entry of errors) {
        const e = entry as { row?: unknown; email?: unknown; error?: unknown };
        if (
          typeof e.email === 'string' &&
          e.email.trim().toLowerCase() === email &&
          typeof e.row === 'number'
        ) {
          found.set(`${e.row}`, { jobId: job.id, row: e.row, email: e.email, error: String(e.error ?? '') });
        }
      }
    }
    return [...found.values()];
  }

  async function gather(conn: Db, projectId: string, email: string) {
    const contactRow = await findContactByEmail(conn, projectId, email);
    const contactId = contactRow ? contactIdText(contactRow.id) : null;
    const outbox = await repo.outboxRows(conn, projectId, contactId, email);
    const deliveries = await repo.webhookDeliveries(conn, projectId, contactId, email);
    const attempts = await repo.webhookAttempts(
      conn,
      projectId,
      deliveries.map((d) => d.id),
      email,
    );
    const jobs = await repo.jobsMentioning(conn, projectId, email);
    const idempotency = await repo.idempotencyRecords(conn, projectId, email);
    const settings = await findSettings(conn, projectId);
    const suppression = settings
      ? await findSuppressionByHash(conn, projectId, emailHash(settings.hash_key, email))
      : undefined;
    return { contactRow, contactId, outbox, deliveries, attempts, jobs, idempotency, suppression };
  }

  return {
    /**
     * Everything roster stores about `email` in the project, as one JSON document: the contact
     * (with its data), its audience, events, segment and topic memberships, suppressions, change
     * events and webhook deliveries (with attempts) of the contact or mentioning the address,
     * import error rows, other jobs and idempotency records that carry it.
     */
    async exportPersonalData(projectId: string, email: string): Promise<PersonalDataExport> {
      const address = parseInput(emailSchema, email);
      const g = await gather(db, projectId, address);
      const contact = g.contactRow ? rowToContact(g.contactRow, dialect, projectId) : null;
      const audience = contact?.audienceId
        ? ((await repo.audienceName(db, contact.audienceId)) ?? null)
        : null;
      const events = g.contactId ? await repo.contactEvents(db, projectId, g.contactId) : [];
      const segments = g.contactId ? await repo.contactSegments(db, g.contactId) : [];
      const topics = g.contactId ? await repo.contactTopics(db, g.contactId) : [];
      const importErrors = g.jobs.flatMap((job) => importErrorsOf(job, address));
      const withErrors = new Set(importErrors.map((e) => e.jobId));
      return {
        exportedAt: isoNow(clock),
        projectId,
        email: address,
        contact,
        audience,
        events: events.map((e) => ({
          id: e.id,
          name: e.name,
          data: parseJson(e.data),
          createdAt: e.created_at,
        })),
        segments: segments.map((s) => ({
          id: s.id,
          name: s.name,
          type: s.type,
          enteredAt: s.entered_at,
          exitedAt: s.exited_at,
        })),
        topics: topics.map((t) => ({
          id: t.id,
          name: t.name,
          subscription: t.subscription,
          updatedAt: t.updated_at,
        })),
        suppressions: g.suppression ? [rowToSuppression(g.suppression)] : [],
        changes: g.outbox.map((row) => ({
          seq: String(row.seq),
          id: row.id,
          type: row.type,
          contactId: row.contact_id,
          data: parseJson(row.data),
          createdAt: row.created_at,
        })),
        webhookDeliveries: g.deliveries.map((d) => ({
          id: d.id,
          endpointId: d.endpoint_id,
          messageId: d.message_id,
          eventType: d.event_type,
          status: d.status,
          body: safeJson(d.body),
          createdAt: d.created_at,
          attempts: g.attempts
            .filter((a) => a.delivery_id === d.id)
            .map((a) => ({
              id: a.id,
              number: a.number,
              startedAt: a.started_at,
              statusCode: a.status_code,
              response: a.response_excerpt,
              error: a.error,
            })),
        })),
        importErrors,
        jobs: g.jobs
          .filter((job) => !withErrors.has(job.id))
          .map((job) => ({ id: job.id, type: job.type, status: job.status, createdAt: job.created_at })),
        idempotencyRecords: g.idempotency.map((r) => ({
          key: r.key,
          method: r.method,
          path: r.path,
          statusCode: r.status_code,
          createdAt: r.created_at,
        })),
      };
    },

    /**
     * Erases `email` from the project: deletes its contact with its events, segment and topic
     * memberships, its outbox rows and webhook deliveries (with attempts) and the idempotency
     * records that carry it; scrubs the address (any case) out of every other row that mentions it
     * (batch change events, other deliveries and attempts, import error rows and other job data,
     * other contacts' events); and leaves an `erasure` suppression that holds only a keyed hash of
     * the address, so a later write of it stays unsubscribed. On SQLite the database is then
     * vacuumed and its write-ahead log truncated, so the files no longer hold the address in freed
     * space either (this rewrites the file: it takes longer the larger the database). Records no
     * change event (it would carry the address).
     */
    async erase(projectId: string, email: string): Promise<ErasureReport> {
      const address = parseInput(emailSchema, email);
      const pattern = new RegExp(escapeRegExp(address), 'gi');
      const scrub = (text: string | null) => (text === null ? null : text.replace(pattern, ERASED));
      const scrubJson = (value: unknown) => {
        const decoded = parseJson(value);
        return decoded === null || decoded === undefined ? null : JSON.parse(scrub(JSON.stringify(decoded))!);
      };
      const report = await (db as Kysely<Database>).transaction().execute(async (trx) => {
        const g = await gather(trx, projectId, address);
        const children = g.contactId
          ? await repo.deleteContactChildren(trx, projectId, g.contactId)
          : { events: 0, segmentMemberships: 0, topicSubscriptions: 0 };
        const contactDeleted = g.contactId
          ? (await repo.deleteContactRow(trx, projectId, g.contactId)) > 0
          : false;
        // The contact's own change events and deliveries go; the others keep a scrubbed copy.
        const [ownChanges, otherChanges] = splitByOwner(g.outbox, g.contactId, (row) => row.contact_id);
        await repo.deleteOutboxRows(
          trx,
          projectId,
          ownChanges.map((row) => row.seq),
        );
        for (const row of otherChanges) await repo.setOutboxData(trx, dialect, row.seq, scrubJson(row.data));
        const [ownDeliveries, otherDeliveries] = splitByOwner(
          g.deliveries,
          g.contactId,
          (d) => d.ordering_key,
        );
        await repo.deleteDeliveries(
          trx,
          projectId,
          ownDeliveries.map((d) => d.id),
        );
        for (const d of otherDeliveries) await repo.setDeliveryBody(trx, d.id, scrub(d.body)!);
        const gone = new Set(ownDeliveries.map((d) => d.id));
        const keptAttempts = g.attempts.filter((a) => !gone.has(a.delivery_id));
        for (const a of keptAttempts) {
          await repo.setAttemptText(trx, a.id, {
            response_excerpt: scrub(a.response_excerpt),
            error: scrub(a.error),
          });
        }
        let importErrorRows = 0;
        for (const job of g.jobs) {
          importErrorRows += importErrorsOf(job, address).length;
          await repo.setJobJson(trx, dialect, job.id, {
            payload: scrubJson(job.payload),
            progress: scrubJson(job.progress),
            result: scrubJson(job.result),
            last_error: scrub(job.last_error),
          });
        }
        await repo.deleteIdempotencyRecords(
          trx,
          projectId,
          g.idempotency.map((r) => r.key),
        );
        const others = await repo.otherEventsMentioning(trx, projectId, g.contactId, address);
        for (const e of others) await repo.setEventData(trx, dialect, e.id, scrubJson(e.data));
        const suppressionsReplaced = g.suppression && g.suppression.origin !== 'erasure' ? 1 : 0;
        const { suppression } = await suppressIn(deps, trx, projectId, {
          email: address,
          origin: 'erasure',
          reason: null,
        });
        return {
          projectId,
          contactDeleted,
          ...children,
          changesDeleted: ownChanges.length,
          changesScrubbed: otherChanges.length,
          webhookDeliveriesDeleted: ownDeliveries.length,
          webhookDeliveriesScrubbed: otherDeliveries.length,
          webhookAttemptsScrubbed: keptAttempts.length,
          jobsScrubbed: g.jobs.length,
          importErrorRows,
          idempotencyRecordsDeleted: g.idempotency.length,
          otherEventsScrubbed: others.length,
          suppressionsReplaced,
          suppression,
        };
      });
      deps.changes?.committed();
      await dialect.eraseFreedSpace(db);
      return report;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export type PersonalDataService = ReturnType<typeof createPersonalDataService>;

/** `items` split into the erased contact's own (`ownerOf` is its id) and the others, in order. */
function splitByOwner<T>(
  items: T[],
  contactId: string | null,
  ownerOf: (item: T) => string | null,
): [own: T[], others: T[]] {
  const own: T[] = [];
  const others: T[] = [];
  for (const item of items) {
    const owner = ownerOf(item);
    (owner !== null && owner === contactId ? own : others).push(item);
  }
  return [own, others];
}
