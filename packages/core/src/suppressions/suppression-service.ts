import { isoNow } from '../clock.js';
import { recordContactWrite } from '../contacts/contact-changes.js';
import { normaliseEmail } from '../contacts/contact-fields.js';
import { findContactForWrite, updateContact } from '../contacts/contact-repository.js';
import { rowToContact } from '../contacts/contact-types.js';
import type { Db, SuppressionRow } from '../db/schema.js';
import { atomically } from '../db/transactions.js';
import { RosterError } from '../errors.js';
import { contactIdText, isUuid, uuidv7 } from '../ids.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import * as repo from './suppression-repository.js';
import {
  type AddSuppressionInput,
  addSuppressionSchema,
  type ConfigureInboundInput,
  configureInboundSchema,
  emailListSchema,
  type ListSuppressionsInput,
  listSuppressionsSchema,
} from './suppression-schemas.js';
import {
  type AddSuppressionResult,
  type InboundSettings,
  rowToSuppression,
  type Suppression,
  type SuppressionOrigin,
  type SuppressionPage,
} from './suppression-types.js';

export type SuppressionService = ReturnType<typeof createSuppressionService>;

const DEFAULT_PAGE_SIZE = 20;

/**
 * Lists `email` as suppressed in `trx` and unsubscribes its contact (if subscribed), recording
 * the contact's write. An address already listed keeps its entry, except that an erasure replaces
 * it (the erased address must not stay in clear). Used by `add`, the bounce webhooks and erasure.
 */
export async function suppressIn(
  deps: ServiceDeps,
  trx: Db,
  projectId: string,
  entry: { email: string; origin: SuppressionOrigin; reason: string | null },
): Promise<AddSuppressionResult> {
  // First: a concurrent write that would subscribe the address either committed already (its
  // contact is read below and unsubscribed) or waits for this transaction (its check sees the entry).
  await repo.lockAddresses(trx, deps.dialect, projectId, [entry.email], 'exclusive');
  const now = isoNow(deps.clock);
  const settings = await repo.ensureSettings(trx, projectId, now);
  const hash = repo.emailHash(settings.hash_key, entry.email);
  const kept = entry.origin === 'erasure' ? null : entry.email;
  const { row, created } = await repo.insertSuppression(trx, {
    id: uuidv7(),
    project_id: projectId,
    email_hash: hash,
    email: kept,
    origin: entry.origin,
    reason: entry.reason,
    created_at: now,
  });
  let stored: SuppressionRow = row;
  if (!created && entry.origin === 'erasure' && row.origin !== 'erasure') {
    await repo.replaceSuppression(trx, projectId, row.id, {
      email: null,
      origin: 'erasure',
      reason: entry.reason,
    });
    stored = { ...row, email: null, origin: 'erasure', reason: entry.reason };
  }
  let unsubscribed = false;
  const before = await findContactForWrite(trx, deps.dialect, projectId, { email: entry.email });
  if (before && rowToContact(before, deps.dialect, projectId).subscribed) {
    const after = await updateContact(
      trx,
      deps.dialect,
      projectId,
      contactIdText(before.id),
      { subscribed: false },
      now,
    );
    if (after) {
      await recordContactWrite(
        deps,
        trx,
        projectId,
        rowToContact(before, deps.dialect, projectId),
        rowToContact(after, deps.dialect, projectId),
        now,
      );
      unsubscribed = true;
    }
  }
  return { suppression: rowToSuppression(stored), created, unsubscribed };
}

/**
 * Lists each of `emails` (normalised) as suppressed in `trx`, unless already listed; returns how many
 * entries were added. Contacts are not touched: the caller writes them (an import of Mailchimp's
 * cleaned members writes them unsubscribed, and the gate keeps them so).
 */
export async function suppressManyIn(
  deps: ServiceDeps,
  trx: Db,
  projectId: string,
  emails: string[],
  entry: { origin: SuppressionOrigin; reason: string | null },
): Promise<number> {
  if (emails.length === 0) return 0;
  const now = isoNow(deps.clock);
  const settings = await repo.ensureSettings(trx, projectId, now);
  const rows = [...new Set(emails)].map((email) => ({
    id: uuidv7(),
    project_id: projectId,
    email_hash: repo.emailHash(settings.hash_key, email),
    email,
    origin: entry.origin,
    reason: entry.reason,
    created_at: now,
  }));
  return repo.insertSuppressionsIfNew(trx, rows);
}

/** How many of `emails` (normalised) `suppressManyIn` would add: those not listed yet. */
export async function countUnsuppressed(db: Db, projectId: string, emails: string[]): Promise<number> {
  const listed = await repo.suppressedEmails(db, projectId, emails);
  return new Set(emails.filter((email) => !listed.has(email))).size;
}

/**
 * A project's suppression list: addresses that no write can make subscribed (see
 * `contacts/contact-suppression.ts`, the gate every write of `subscribed` goes through), with the
 * credentials of the bounce and complaint webhooks that feed it.
 */
export function createSuppressionService(deps: ServiceDeps) {
  const { db, clock } = deps;

  async function committed<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    deps.changes?.committed();
    return result;
  }

  /** The entry of `idOrEmail` (an id, or an address: found by its hash, so erasures too). */
  async function findRow(projectId: string, idOrEmail: string): Promise<SuppressionRow | undefined> {
    if (isUuid(idOrEmail)) return repo.findSuppressionById(db, projectId, idOrEmail.toLowerCase());
    const settings = await repo.findSettings(db, projectId);
    if (!settings) return undefined;
    return repo.findSuppressionByHash(
      db,
      projectId,
      repo.emailHash(settings.hash_key, normaliseEmail(idOrEmail)),
    );
  }

  return {
    /**
     * Suppresses an address (`origin` defaults to `manual`) and unsubscribes its contact, if it
     * has one. Idempotent: an address already listed keeps its entry (`created: false`).
     */
    async add(projectId: string, input: AddSuppressionInput): Promise<AddSuppressionResult> {
      const valid = parseInput(addSuppressionSchema, input);
      return committed(
        atomically(db, deps.dialect, (trx) =>
          suppressIn(deps, trx, projectId, {
            email: valid.email,
            origin: valid.origin ?? 'manual',
            reason: valid.reason ?? null,
          }),
        ),
      );
    },

    /** Suppresses up to 1000 addresses in one transaction (as `add`, each `manual`). */
    async addMany(projectId: string, input: { emails: string[] }): Promise<AddSuppressionResult[]> {
      const valid = parseInput(emailListSchema, input);
      return committed(
        atomically(db, deps.dialect, async (trx) => {
          const results: AddSuppressionResult[] = [];
          // Every address's lock at once, in the locks' order (two batches never deadlock).
          await repo.lockAddresses(trx, deps.dialect, projectId, [...new Set(valid.emails)], 'exclusive');
          for (const email of new Set(valid.emails)) {
            results.push(await suppressIn(deps, trx, projectId, { email, origin: 'manual', reason: null }));
          }
          return results;
        }),
      );
    },

    /** Newest first, keyset-paginated (`cursor`), optionally of one `origin`. */
    async list(projectId: string, input: ListSuppressionsInput = {}): Promise<SuppressionPage> {
      const valid = parseInput(listSuppressionsSchema, input);
      const limit = valid.limit ?? DEFAULT_PAGE_SIZE;
      const after = valid.cursor ?? valid.after;
      for (const [field, value] of [
        ['cursor', valid.cursor],
        ['after', valid.after],
        ['before', valid.before],
      ] as const) {
        if (
          value !== undefined &&
          !(isUuid(value) && (await repo.findSuppressionById(db, projectId, value.toLowerCase())))
        ) {
          throw RosterError.invalidCursor(field, 'a suppression of this project');
        }
      }
      if (valid.before !== undefined) {
        const rows = await repo.listSuppressions(db, projectId, {
          afterId: valid.before.toLowerCase(),
          origin: valid.origin,
          limit: limit + 1,
        });
        const hasMore = rows.length > limit;
        const data = (hasMore ? rows.slice(0, limit) : rows).reverse().map(rowToSuppression);
        return { data, cursor: data.length > 0 ? data[data.length - 1]!.id : null, hasMore };
      }
      const rows = await repo.listSuppressions(db, projectId, {
        beforeId: after?.toLowerCase(),
        origin: valid.origin,
        limit: limit + 1,
      });
      const hasMore = rows.length > limit;
      const data = (hasMore ? rows.slice(0, limit) : rows).map(rowToSuppression);
      return { data, cursor: hasMore ? data[data.length - 1]!.id : null, hasMore };
    },

    /** The entry by id or address, or `not_found`. */
    async get(projectId: string, idOrEmail: string): Promise<Suppression> {
      const row = await findRow(projectId, idOrEmail);
      if (!row) throw RosterError.notFound('suppression');
      return rowToSuppression(row);
    },

    /** The entry that suppresses `email`, or null when the address may be subscribed. */
    async check(projectId: string, email: string): Promise<Suppression | null> {
      const valid = parseInput(addSuppressionSchema.pick({ email: true }), { email });
      const row = await findRow(projectId, valid.email);
      return row ? rowToSuppression(row) : null;
    },

    /**
     * Removes the entry (by id or address; `not_found` when none): the address may be subscribed
     * again by a later write. Contacts stay as they are (unsubscribed).
     */
    async remove(projectId: string, idOrEmail: string): Promise<Suppression> {
      const row = await findRow(projectId, idOrEmail);
      const deleted = row ? await repo.deleteSuppression(db, projectId, row.id) : undefined;
      if (!deleted) throw RosterError.notFound('suppression');
      return rowToSuppression(deleted);
    },

    /**
     * Sets the credentials the bounce and complaint webhooks are checked with: Resend's signing
     * secret (`whsec_…`) and Postmark's basic auth; null removes one, absent leaves it.
     */
    async configureInbound(projectId: string, input: ConfigureInboundInput): Promise<InboundSettings> {
      const valid = parseInput(configureInboundSchema, input);
      const set: Parameters<typeof repo.updateSettings>[2] = {};
      if (valid.resendSecret !== undefined) set.resend_secret = valid.resendSecret;
      if (valid.postmark !== undefined) {
        set.postmark_user = valid.postmark?.username ?? null;
        set.postmark_password = valid.postmark?.password ?? null;
      }
      const row = await atomically(db, deps.dialect, (trx) =>
        repo.updateSettings(trx, projectId, set, isoNow(clock)),
      );
      return { resend: row.resend_secret !== null, postmarkUser: row.postmark_user };
    },

    /** Which bounce webhooks are configured (never the secrets). */
    async inboundSettings(projectId: string): Promise<InboundSettings> {
      const row = await repo.findSettings(db, projectId);
      return { resend: (row?.resend_secret ?? null) !== null, postmarkUser: row?.postmark_user ?? null };
    },
  };
}
