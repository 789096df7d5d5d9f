import type { Updateable } from 'kysely';
import { isoNow } from '../clock.js';
import type { Db, WebhookDeliveryRow, WebhookEndpointRow, WebhookEndpointsTable } from '../db/schema.js';
import { RosterError } from '../errors.js';
import { isUuid, uuidv7 } from '../ids.js';
import { parseInput } from '../validation.js';
import { createWebhookDelivery, type WebhookDeliveryDeps, webhookBody } from './webhook-delivery.js';
import {
  countEndpoints,
  deleteEndpoint,
  deliveryIdsSince,
  findDelivery,
  findEndpoint,
  insertDeliveries,
  insertEndpoint,
  latestAttempts,
  listDeliveries,
  listEndpoints,
  lockEndpoints,
  reopenDeliveries,
  rowToAttempt,
  rowToDelivery,
  rowToEndpoint,
  updateEndpoint,
} from './webhook-repository.js';
import {
  type CreateWebhookEndpointInput,
  createWebhookEndpointSchema,
  type ListWebhookDeliveriesInput,
  listWebhookDeliveriesSchema,
  type ReplayWebhookInput,
  type RotateWebhookSecretInput,
  replayWebhookSchema,
  rotateWebhookSecretSchema,
  type UpdateWebhookEndpointInput,
  updateWebhookEndpointSchema,
} from './webhook-schemas.js';
import { generateWebhookSecret } from './webhook-signing.js';
import {
  decideWebhookTarget,
  literalTargetProblem,
  type ResolvedAddress,
  type WebhookResolver,
} from './webhook-target.js';
import {
  type CreatedWebhookEndpoint,
  MAX_WEBHOOK_ENDPOINTS,
  WEBHOOK_TEST_EVENT_TYPE,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryPage,
  type WebhookEndpoint,
  type WebhookSecret,
  type WebhookTestResult,
} from './webhook-types.js';

/** Most deliveries one `replay({ since })` queues again. */
export const MAX_WEBHOOK_REPLAY = 10_000;

/** How long registering an endpoint waits for DNS before accepting the name unchecked (delivery checks again). */
export const REGISTRATION_DNS_TIMEOUT_MS = 2000;

/** The resolver, giving up (as an unresolved name) after `ms`. */
function withTimeout(resolve: WebhookResolver, ms: number): WebhookResolver {
  return (hostname) =>
    new Promise<ResolvedAddress[]>((done, fail) => {
      const timer = setTimeout(
        () => fail(Object.assign(new Error(`DNS timeout for ${hostname}`), { code: 'ETIMEOUT' })),
        ms,
      );
      timer.unref?.();
      resolve(hostname).then(
        (addresses) => {
          clearTimeout(timer);
          done(addresses);
        },
        (error: unknown) => {
          clearTimeout(timer);
          fail(error);
        },
      );
    });
}

/** Most attempts `attempts()` returns (the latest). */
export const MAX_WEBHOOK_ATTEMPTS_LISTED = 100;

/**
 * Webhook endpoints of a project and their deliveries. Deliveries are written by the outbox
 * consumer (`fanOut`) and sent by durable jobs; see webhook-delivery.ts.
 */
export function createWebhookService(deps: WebhookDeliveryDeps) {
  const { db, dialect, clock, options, jobs } = deps;
  const delivery = createWebhookDelivery(deps);
  const now = () => isoNow(clock);

  /**
   * The SSRF rules of delivery, applied when an endpoint is registered: a literal private address
   * or `localhost` (trailing dot or not) is refused, and so is a name that resolves to a private
   * address now. A name that does not resolve (yet), or not within `REGISTRATION_DNS_TIMEOUT_MS`,
   * is accepted: every delivery decides again, on the addresses it then connects to.
   */
  async function checkTarget(url: string): Promise<void> {
    const problem = literalTargetProblem(url, options.allowPrivateTargets, options.privateTargetsHint);
    if (problem) throw RosterError.validation([{ field: 'url', message: problem, code: 'private_target' }]);
    if (options.allowPrivateTargets) return; // nothing DNS could answer would be refused
    const decision = await decideWebhookTarget(url, {
      allowPrivate: options.allowPrivateTargets,
      resolve: withTimeout(options.resolve, REGISTRATION_DNS_TIMEOUT_MS),
      hint: options.privateTargetsHint,
    });
    if (decision.allowed || decision.refusal === 'unresolved') return;
    throw RosterError.validation([
      {
        field: 'url',
        message: `must not point to a private network: ${decision.reason}`,
        ...(decision.refusal === 'private' ? { code: 'private_target' } : {}),
      },
    ]);
  }

  async function endpointRow(projectId: string, id: string, trx: Db = db): Promise<WebhookEndpointRow> {
    const row = isUuid(id)
      ? await findEndpoint(trx, projectId, id.toLowerCase(), { lock: true, dialect })
      : undefined;
    if (!row) throw RosterError.notFound('webhook', 'Webhook endpoint not found');
    return row;
  }

  async function deliveryRow(projectId: string, id: string): Promise<WebhookDeliveryRow> {
    const row = isUuid(id) ? await findDelivery(db, id.toLowerCase(), projectId) : undefined;
    if (!row) throw RosterError.notFound('webhook_delivery', 'Webhook delivery not found');
    return row;
  }

  const service = {
    /** Creates an endpoint; the answer holds its secret (`whsec_…`). */
    async create(projectId: string, input: CreateWebhookEndpointInput): Promise<CreatedWebhookEndpoint> {
      const valid = parseInput(createWebhookEndpointSchema, input);
      await checkTarget(valid.url);
      return db.transaction().execute(async (trx) => {
        if ((await countEndpoints(trx, projectId)) >= MAX_WEBHOOK_ENDPOINTS) {
          throw RosterError.validation(
            [{ field: 'url', message: `a project has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints` }],
            `A project has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints: delete one first`,
          );
        }
        const at = now();
        const enabled = valid.enabled ?? true;
        const row = {
          id: uuidv7(),
          project_id: projectId,
          url: valid.url,
          description: valid.description ?? null,
          event_types: dialect.json(valid.eventTypes),
          enabled: dialect.bool(enabled),
          disabled_reason: enabled ? null : 'user',
          secret: generateWebhookSecret(),
          previous_secret: null,
          previous_secret_expires_at: null,
          failing_since: null,
          created_at: at,
          updated_at: at,
        };
        await insertEndpoint(trx, row);
        return { ...rowToEndpoint({ ...row, event_types: valid.eventTypes }, dialect), secret: row.secret };
      });
    },

    /** The project's endpoints, oldest first. */
    async list(projectId: string): Promise<WebhookEndpoint[]> {
      return (await listEndpoints(db, projectId)).map((row) => rowToEndpoint(row, dialect));
    },

    /** One endpoint (`not_found` for an unknown id or another project's). */
    async get(projectId: string, id: string): Promise<WebhookEndpoint> {
      return rowToEndpoint(await endpointRow(projectId, id), dialect);
    },

    /** The endpoint's signing secret(s). */
    async secret(projectId: string, id: string): Promise<WebhookSecret> {
      const row = await endpointRow(projectId, id);
      const previous = row.previous_secret !== null && (row.previous_secret_expires_at ?? '') > now();
      return {
        secret: row.secret,
        previousSecret: previous ? row.previous_secret : null,
        previousSecretExpiresAt: previous ? row.previous_secret_expires_at : null,
      };
    },

    /**
     * Changes an endpoint. `enabled: true` re-enables one disabled after repeated failure (its
     * failure streak starts over); `enabled: false` disables it and fails its pending deliveries.
     */
    async update(projectId: string, id: string, input: UpdateWebhookEndpointInput): Promise<WebhookEndpoint> {
      const valid = parseInput(updateWebhookEndpointSchema, input);
      if (valid.url !== undefined) await checkTarget(valid.url);
      return db.transaction().execute(async (trx) => {
        const row = await endpointRow(projectId, id, trx);
        const at = now();
        const changes: Updateable<WebhookEndpointsTable> = { updated_at: at };
        if (valid.url !== undefined) changes.url = valid.url;
        if (valid.description !== undefined) changes.description = valid.description;
        if (valid.eventTypes !== undefined) changes.event_types = dialect.json(valid.eventTypes);
        const wasEnabled = Boolean(row.enabled);
        if (valid.enabled === true && !wasEnabled) {
          Object.assign(changes, { enabled: dialect.bool(true), disabled_reason: null, failing_since: null });
        } else if (valid.enabled === false && wasEnabled) {
          Object.assign(changes, { enabled: dialect.bool(false), disabled_reason: 'user' });
          await delivery.failPending(trx, row.id, 'endpoint disabled', at);
        }
        await updateEndpoint(trx, row.id, changes);
        return rowToEndpoint(await endpointRow(projectId, row.id, trx), dialect);
      });
    },

    /** Deletes an endpoint with its deliveries and their attempts. */
    async delete(projectId: string, id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const row = await endpointRow(projectId, id, trx);
        await deleteEndpoint(trx, row.id);
      });
    },

    /**
     * Gives the endpoint a new secret. The previous one keeps signing beside it (a second `v1,`
     * signature in `webhook-signature`) for `overlapMs` (default `webhooks.secretOverlapMs`), so
     * receivers can switch without losing a delivery. A second rotation inside the window drops
     * the oldest secret.
     */
    async rotateSecret(
      projectId: string,
      id: string,
      input: RotateWebhookSecretInput = {},
    ): Promise<CreatedWebhookEndpoint> {
      const valid = parseInput(rotateWebhookSecretSchema, input);
      return db.transaction().execute(async (trx) => {
        const row = await endpointRow(projectId, id, trx);
        const overlapMs = valid.overlapMs ?? options.secretOverlapMs;
        const secret = generateWebhookSecret();
        const at = now();
        await updateEndpoint(trx, row.id, {
          secret,
          previous_secret: overlapMs > 0 ? row.secret : null,
          previous_secret_expires_at:
            overlapMs > 0 ? new Date(clock().getTime() + overlapMs).toISOString() : null,
          updated_at: at,
        });
        return { ...rowToEndpoint(await endpointRow(projectId, row.id, trx), dialect), secret };
      });
    },

    /** The endpoint's deliveries, newest first, in pages. */
    async deliveries(
      projectId: string,
      endpointId: string,
      input: ListWebhookDeliveriesInput = {},
    ): Promise<WebhookDeliveryPage> {
      const valid = parseInput(listWebhookDeliveriesSchema, input);
      const endpoint = await endpointRow(projectId, endpointId);
      if (valid.cursor !== undefined && !isUuid(valid.cursor))
        throw RosterError.invalidCursor('cursor', 'a delivery of this endpoint');
      const limit = valid.limit ?? 50;
      const rows = await listDeliveries(db, {
        endpointId: endpoint.id,
        beforeId: valid.cursor?.toLowerCase(),
        status: valid.status,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        data: page.map(rowToDelivery),
        nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      };
    },

    /** One delivery of the project. */
    async delivery(projectId: string, deliveryId: string): Promise<WebhookDelivery> {
      return rowToDelivery(await deliveryRow(projectId, deliveryId));
    },

    /** A delivery's attempts, oldest first (the latest 100). */
    async attempts(projectId: string, deliveryId: string): Promise<WebhookAttempt[]> {
      const row = await deliveryRow(projectId, deliveryId);
      const rows = await latestAttempts(db, row.id, MAX_WEBHOOK_ATTEMPTS_LISTED);
      return rows.reverse().map(rowToAttempt);
    },

    /**
     * Sends one delivery again (same `webhook-id` and body, new timestamp and signatures), with a
     * fresh retry schedule. A replayed delivery goes out at once, not ordered against newer events
     * of its contact. `conflict` while it is still pending or its endpoint is disabled.
     */
    async replay(projectId: string, deliveryId: string): Promise<WebhookDelivery> {
      const found = await deliveryRow(projectId, deliveryId);
      return db
        .transaction()
        .execute(async (trx) => {
          const endpoint = await endpointRow(projectId, found.endpoint_id, trx);
          if (!endpoint.enabled)
            throw RosterError.conflict('webhook', 'The endpoint is disabled: enable it before replaying');
          const replayed = await requeue(trx, endpoint.id, [found.id]);
          if (replayed.length === 0)
            throw RosterError.conflict('webhook_delivery', 'The delivery is still pending: it will be sent');
          return rowToDelivery((await findDelivery(trx, found.id))!);
        })
        .finally(() => jobs.wake());
    },

    /**
     * Sends again every finished delivery of the endpoint created at or after `since` (at most
     * 10 000: narrow the window for more), oldest first. Returns how many were queued.
     */
    async replaySince(
      projectId: string,
      endpointId: string,
      input: ReplayWebhookInput,
    ): Promise<{ replayed: number }> {
      const valid = parseInput(replayWebhookSchema, input);
      const since = new Date(valid.since).toISOString();
      const statuses = valid.status ? [valid.status] : (['succeeded', 'failed'] as const);
      return db
        .transaction()
        .execute(async (trx) => {
          const endpoint = await endpointRow(projectId, endpointId, trx);
          if (!endpoint.enabled)
            throw RosterError.conflict('webhook', 'The endpoint is disabled: enable it before replaying');
          const ids = await deliveryIdsSince(trx, {
            endpointId: endpoint.id,
            since,
            statuses: [...statuses],
            limit: MAX_WEBHOOK_REPLAY + 1,
          });
          if (ids.length > MAX_WEBHOOK_REPLAY)
            throw RosterError.validation([
              {
                field: 'since',
                message: `matches more than ${MAX_WEBHOOK_REPLAY} deliveries: use a later time`,
              },
            ]);
          const replayed = await requeue(trx, endpoint.id, ids);
          return { replayed: replayed.length };
        })
        .finally(() => jobs.wake());
    },

    /**
     * Sends a signed `webhook.test` event to the endpoint now (even a disabled one) and answers
     * with the delivery and its one attempt. A failed test is not retried and does not count
     * towards disabling the endpoint.
     */
    async sendTest(projectId: string, endpointId: string): Promise<WebhookTestResult> {
      const endpoint = await endpointRow(projectId, endpointId);
      const at = now();
      const row: WebhookDeliveryRow = {
        id: uuidv7(),
        project_id: projectId,
        endpoint_id: endpoint.id,
        message_id: `evt_${uuidv7().replaceAll('-', '')}`,
        event_type: WEBHOOK_TEST_EVENT_TYPE,
        ordering_key: null,
        body: webhookBody({
          type: WEBHOOK_TEST_EVENT_TYPE,
          createdAt: at,
          data: { endpointId: endpoint.id, message: 'A test event from roster' },
        }),
        status: 'pending',
        attempt_count: 0,
        round_attempts: 0,
        job_id: null,
        next_attempt_at: null,
        last_status_code: null,
        last_error: null,
        created_at: at,
        updated_at: at,
        finished_at: null,
      };
      await insertDeliveries(db, [row]);
      const outcome = await delivery.attempt(row, endpoint);
      const after = await delivery.record(row, null, at, outcome);
      const attempts = await service.attempts(projectId, row.id);
      return { delivery: rowToDelivery(after ?? row), attempt: attempts[attempts.length - 1]! };
    },
  };

  /** Puts finished deliveries back to pending with a fresh schedule (in `trx`, endpoint locked). */
  async function requeue(trx: Db, endpointId: string, ids: string[]): Promise<WebhookDeliveryRow[]> {
    await lockEndpoints(trx, dialect, [endpointId]);
    const at = now();
    const rows = await reopenDeliveries(trx, ids, at);
    rows.sort((a, b) => (a.id < b.id ? -1 : 1));
    const unordered = rows.filter((r) => r.ordering_key === null);
    await delivery.schedule(trx, unordered, clock());
    const keys = new Set(rows.flatMap((r) => (r.ordering_key === null ? [] : [r.ordering_key])));
    // A replayed delivery is older than what is pending in its chain: it goes first.
    for (const row of rows) {
      if (row.ordering_key !== null && keys.delete(row.ordering_key)) {
        await delivery.schedule(trx, [row], clock());
      }
    }
    return rows;
  }

  return { service, fanOut: delivery.fanOut, cleanup: delivery.cleanup, deliveryJob: delivery.job };
}

/** `roster.webhooks`: endpoints, their secrets, deliveries and attempts, replay and test events. */
export type WebhookService = ReturnType<typeof createWebhookService>['service'];
