import { isUuid, parseInput, type Roster, RosterError } from '@roster/core';
import { bulkApplySchema, bulkIdsSchema } from '@roster/core/schemas';
import type { Router } from 'express';
import { recordAudit } from '../audit.js';
import { projectIdOf } from '../auth.js';
import { requireObject } from '../router-kit.js';
import { subscribedOf } from './unosend-params.js';

const BULK_VERBS = {
  delete: 'deleted',
  subscribe: 'subscribed',
  unsubscribe: 'unsubscribed',
  move: 'moved',
} as const;

/** `POST /contacts/bulk`: a synchronous operation on up to `limits.maxBulkIds` ids, or a bulk create. */
export function registerUnosendBulkRoutes(router: Router, roster: Roster): void {
  const maxIds = roster.options.limits.maxBulkIds;

  router.post('/contacts/bulk', async (req, res) => {
    const body = requireObject(req.body);
    const projectId = projectIdOf(res);

    if (body.operation === undefined && body.contacts !== undefined) {
      const result = await roster.contacts.createMany(projectId, {
        audienceId: body.audience_id as string | null | undefined,
        dataMode: 'verbatim',
        contacts: Array.isArray(body.contacts)
          ? body.contacts.map(toCoreNewContact)
          : (body.contacts as never),
      });
      res.json({
        created: result.created,
        skipped: result.skipped,
        message: `Successfully created ${result.created} contact(s)`,
        // roster: created contacts whose address is suppressed (created unsubscribed).
        ...(result.suppressedEmails.length > 0 ? { suppressed: result.suppressedEmails } : {}),
      });
      return;
    }

    // The request's shape is checked whole before any id is looked up.
    const input = {
      operation: body.operation as never,
      contactIds: body.contact_ids as string[],
      audienceId: body.audience_id as string | null | undefined,
    };
    parseInput(bulkApplySchema(maxIds), input);
    // Unosend answers 400 to an id that is not a UUID (unknown UUIDs are skipped).
    parseInput(bulkIdsSchema(maxIds), { contactIds: input.contactIds });
    if (typeof input.audienceId === 'string' && !isUuid(input.audienceId)) {
      throw RosterError.validation([{ field: 'audienceId', message: 'must be a UUID' }]);
    }
    const outcome = await roster.bulk.apply(projectId, input);
    if (outcome.notFound.length === outcome.requested) {
      throw RosterError.notFound('contact', 'No valid contacts found');
    }
    // Like Unosend, every contact found counts as affected, also those already in the asked state.
    const affected = outcome.affected + outcome.unchanged;
    if (outcome.operation === 'delete' || outcome.operation === 'unsubscribe') {
      await recordAudit(roster, req, res, {
        action: outcome.operation === 'delete' ? 'contacts.bulk_deleted' : 'contacts.bulk_unsubscribed',
        target: null,
        detail: { requested: outcome.requested, affected: outcome.affected },
      });
    }
    res.json({
      operation: outcome.operation,
      affected,
      skipped: outcome.notFound.length,
      message: `Successfully ${BULK_VERBS[outcome.operation]} ${affected} contact(s)`,
      // roster: contacts a subscribe left unsubscribed because their address is suppressed.
      ...(outcome.suppressed > 0 ? { suppressed: outcome.suppressed } : {}),
    });
  });
}

/** One entry of a bulk create, from Unosend's names to core's. Non-objects pass through for core to name. */
function toCoreNewContact(entry: unknown) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry as never;
  const e = entry as Record<string, unknown>;
  return {
    email: e.email as string,
    firstName: e.first_name as string | null | undefined,
    lastName: e.last_name as string | null | undefined,
    subscribed: subscribedOf(e),
    data: e.metadata as Record<string, unknown> | null | undefined,
  };
}
