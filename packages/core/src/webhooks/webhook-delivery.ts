import type { Insertable } from 'kysely';
import { isoNow } from '../clock.js';
import type { Db, WebhookDeliveriesTable, WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import { uuidv7 } from '../ids.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobDefinition } from '../jobs/job-types.js';
import type { ServiceDeps } from '../service-deps.js';
import { type AttemptOutcome, postWebhook } from './webhook-http.js';
import type { ResolvedWebhooksOptions } from './webhook-options.js';
import {
  chainHead,
  deleteFinishedDeliveries,
  enabledEndpointsOf,
  findDelivery,
  findEndpoint,
  insertAttempt,
  insertDeliveries,
  keysWithPending,
  lockEndpoints,
  updateDelivery,
  updateEndpoint,
  updatePendingDeliveries,
  updatePendingDeliveryOfJob,
} from './webhook-repository.js';
import { webhookHeaders } from './webhook-signing.js';
import { decideWebhookTarget } from './webhook-target.js';
import { matchesEventType, WEBHOOK_TEST_EVENT_TYPE } from './webhook-types.js';

/** The name of the outbox consumer that writes deliveries (its cursor is in `roster_outbox_consumers`). */
export const WEBHOOKS_CONSUMER = 'webhooks';

/** The job type of one delivery attempt. */
export const WEBHOOK_DELIVERY_JOB_TYPE = 'webhooks.deliver';

/** The job runner lane deliveries run in (`webhooks.concurrency` at once), apart from other jobs. */
export const WEBHOOK_DELIVERY_LANE = 'webhooks';

export interface WebhookDeliveryJobPayload {
  deliveryId: string;
}

/** How often one process deletes deliveries past `webhooks.retentionMs`. */
const CLEANUP_EVERY_MS = 10 * 60_000;
/** Most deliveries one cleanup deletes (the next one goes on). */
const CLEANUP_BATCH = 5000;

/**
 * Who owns webhook retries: this module, and only this module. A delivery's retries are counted
 * by the delivery (`round_attempts`, reset by a replay) against `webhooks.retryScheduleMs`; each
 * attempt is its own job, queued by `schedule` when the previous attempt's outcome is recorded,
 * and every attempt is a row of `roster_webhook_attempts` numbered by `attempt_count`. The job's
 * own `attempts` is not a retry counter: a finished attempt never fails its job (a failed HTTP
 * attempt completes the job and queues the next one), so the job runner runs an attempt's job
 * again only when the attempt was interrupted before its outcome was recorded (its process died,
 * or the database failed mid-attempt). Such a run re-sends the same attempt: it is not a retry,
 * gets no attempt row, and does not move the schedule. This bounds those re-runs.
 */
const ATTEMPT_JOB_MAX_RUNS = 10;

export interface WebhookDeliveryDeps extends ServiceDeps {
  jobs: JobRunner;
  options: ResolvedWebhooksOptions;
}

/** An event handed to the fan-out (a change event from the outbox, or a test event). */
export interface WebhookSourceEvent {
  /** Stable event id: the `webhook-id` of every delivery of it. */
  id: string;
  type: string;
  projectId: string;
  /** Deliveries of events about the same contact go out in order, one at a time per endpoint. */
  contactId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

/** Most events of an import or bulk job in one delivery. */
export const BATCH_EVENTS = 500;

/**
 * The body of a batch of one job's events of one type: `{ type, timestamp, data: { jobId, batch:
 * true, events: [{ id, contactId, data }] } }`, the events in commit order.
 */
export function batchBody(changes: readonly WebhookSourceEvent[]): string {
  const first = changes[0]!;
  return JSON.stringify({
    type: first.type,
    timestamp: first.createdAt,
    data: {
      jobId: first.data.jobId,
      batch: true,
      events: changes.map((e) => ({
        id: e.id,
        contactId: e.contactId,
        timestamp: e.createdAt,
        data: e.data,
      })),
    },
  });
}

/** The JSON body of an event (Standard Webhooks' recommended shape). */
export function webhookBody(event: Pick<WebhookSourceEvent, 'type' | 'data' | 'createdAt'>): string {
  return JSON.stringify({ type: event.type, timestamp: event.createdAt, data: event.data });
}

/** The secrets that sign now: the current one, and a rotated-out one inside its overlap window. */
export function signingSecrets(endpoint: WebhookEndpointRow, now: string): string[] {
  const secrets = [endpoint.secret];
  if (
    endpoint.previous_secret &&
    endpoint.previous_secret_expires_at &&
    endpoint.previous_secret_expires_at > now
  )
    secrets.push(endpoint.previous_secret);
  return secrets;
}

/** A pending delivery's state once failed for good without an attempt (`reason`) at `at`. */
function failedWithoutAttempt(reason: string, at: string) {
  return {
    status: 'failed',
    last_error: reason,
    job_id: null,
    next_attempt_at: null,
    finished_at: at,
    updated_at: at,
  } as const;
}

/**
 * Delivery machinery shared by the fan-out, the job and the service. Every delivery row is either
 * finished (succeeded/failed), or pending; a pending one has a job (`job_id`) when it is the oldest
 * pending delivery of its chain (same endpoint and contact) or has no chain, and waits (no job)
 * otherwise. Whatever finishes a delivery starts the next one of its chain, in the same
 * transaction, under the endpoint's lock.
 */
export function createWebhookDelivery(deps: WebhookDeliveryDeps) {
  const { db, dialect, clock, jobs, options } = deps;
  const now = () => isoNow(clock);
  let lastCleanup = 0;

  /**
   * Deletes finished deliveries older than `retentionMs` (their attempts go with them), at most
   * `CLEANUP_BATCH` at a time. Returns how many.
   */
  async function cleanup(): Promise<number> {
    const cutoff = clock().getTime() - options.retentionMs;
    const before = new Date(cutoff).toISOString();
    // Ids are UUIDv7: every delivery created before the cutoff sorts below this one (a key range).
    const hex = Math.max(0, cutoff).toString(16).padStart(12, '0');
    const firstIdAtCutoff = `${hex.slice(0, 8)}-${hex.slice(8)}-7000-8000-000000000000`;
    return deleteFinishedDeliveries(db, {
      beforeId: firstIdAtCutoff,
      finishedBefore: before,
      limit: CLEANUP_BATCH,
    });
  }

  /** Queues an attempt job for each delivery (in `trx`), due at `runAt`. */
  async function schedule(
    trx: Db,
    rows: WebhookDeliveryRow[] | Insertable<WebhookDeliveriesTable>[],
    runAt: Date,
  ) {
    for (const row of rows) {
      const job = await jobs.enqueue<WebhookDeliveryJobPayload>(
        row.project_id,
        WEBHOOK_DELIVERY_JOB_TYPE,
        { deliveryId: row.id },
        { db: trx, runAt, maxAttempts: ATTEMPT_JOB_MAX_RUNS },
      );
      await updateDelivery(trx, row.id, { job_id: job.id, next_attempt_at: job.runAt });
    }
  }

  /** Starts the oldest pending delivery of the chain if nothing is on its way. */
  async function startChain(trx: Db, endpointId: string, orderingKey: string | null): Promise<void> {
    if (orderingKey === null) return;
    const head = await chainHead(trx, endpointId, orderingKey);
    if (head && head.job_id === null) await schedule(trx, [head], clock());
  }

  /**
   * Writes the deliveries of `changes` to the enabled endpoints of their projects that subscribe to
   * them, in `trx` (the outbox consumer's transaction), and queues the first of each chain.
   * Returns how many deliveries were written.
   */
  async function fanOut(trx: Db, changes: readonly WebhookSourceEvent[]): Promise<number> {
    if (changes.length === 0) return 0;
    const projectIds = [...new Set(changes.map((e) => e.projectId))];
    const endpoints = (await enabledEndpointsOf(trx, dialect, projectIds)).map((row) => ({
      row,
      types: dialect.parseJson(row.event_types) as string[],
    }));
    if (endpoints.length === 0) return 0;
    const at = now();
    const plans = endpoints
      .map(({ row, types }) => ({
        endpoint: row,
        changes: changes.filter((e) => e.projectId === row.project_id && matchesEventType(types, e.type)),
      }))
      .filter((plan) => plan.changes.length > 0);
    if (plans.length === 0) return 0;
    await lockEndpoints(
      trx,
      dialect,
      plans.map((p) => p.endpoint.id),
    );
    let written = 0;
    for (const { endpoint, changes: matching } of plans) {
      const row = (messageId: string, type: string, orderingKey: string | null, body: string) => ({
        id: uuidv7(),
        project_id: endpoint.project_id,
        endpoint_id: endpoint.id,
        message_id: messageId,
        event_type: type,
        ordering_key: orderingKey,
        body,
        status: 'pending' as const,
        attempt_count: 0,
        round_attempts: 0,
        job_id: null as string | null,
        next_attempt_at: null as string | null,
        last_status_code: null,
        last_error: null,
        created_at: at,
        updated_at: at,
        finished_at: null,
      });
      // Contact events of an import or bulk job (`data.jobId`) go out in batches: one delivery per
      // BATCH_EVENTS events of one type and job, written where the batch's first event comes.
      const rows: Insertable<WebhookDeliveriesTable>[] = [];
      const open = new Map<
        string,
        { row: Insertable<WebhookDeliveriesTable>; changes: WebhookSourceEvent[] }
      >();
      const batches: { row: Insertable<WebhookDeliveriesTable>; changes: WebhookSourceEvent[] }[] = [];
      for (const change of matching) {
        const jobId = change.data.jobId;
        if (typeof jobId !== 'string' || change.contactId === null) {
          rows.push(row(change.id, change.type, change.contactId, webhookBody(change)));
          continue;
        }
        const key = `${change.type}\u0000${jobId}`;
        let batch = open.get(key);
        if (!batch || batch.changes.length >= BATCH_EVENTS) {
          batch = { row: row(`${change.id}_batch`, change.type, null, ''), changes: [] };
          open.set(key, batch);
          batches.push(batch);
          rows.push(batch.row);
        }
        batch.changes.push(change);
      }
      for (const { row: batchRow, changes: list } of batches) batchRow.body = batchBody(list);
      // The first delivery of each contact in this batch starts now unless an earlier one is pending.
      const firstOfKey = new Map<string, Insertable<WebhookDeliveriesTable>>();
      const start: Insertable<WebhookDeliveriesTable>[] = [];
      for (const row of rows) {
        if (row.ordering_key == null) start.push(row);
        else if (!firstOfKey.has(row.ordering_key)) firstOfKey.set(row.ordering_key, row);
      }
      const busy = await keysWithPending(trx, endpoint.id, [...firstOfKey.keys()]);
      for (const [key, row] of firstOfKey) if (!busy.has(key)) start.push(row);
      // The deliveries that start now are written with their job (one multi-row insert each).
      const runAt = clock();
      for (const row of start) {
        row.job_id = uuidv7();
        row.next_attempt_at = runAt.toISOString();
      }
      await insertDeliveries(trx, rows);
      await jobs.enqueueMany<WebhookDeliveryJobPayload>(
        WEBHOOK_DELIVERY_JOB_TYPE,
        start.map((row) => ({
          projectId: row.project_id,
          payload: { deliveryId: row.id },
          id: row.job_id!,
          runAt,
        })),
        { db: trx, maxAttempts: ATTEMPT_JOB_MAX_RUNS },
      );
      written += rows.length;
    }
    return written;
  }

  /** One HTTP attempt of a delivery to an endpoint (the SSRF guard decides first). */
  async function attempt(
    delivery: WebhookDeliveryRow,
    endpoint: WebhookEndpointRow,
  ): Promise<AttemptOutcome> {
    const decision = await decideWebhookTarget(endpoint.url, {
      allowPrivate: options.allowPrivateTargets,
      resolve: options.resolve,
      hint: options.privateTargetsHint,
    });
    if (!decision.allowed)
      return {
        ok: false,
        statusCode: null,
        latencyMs: 0,
        responseExcerpt: null,
        error: `refused: ${decision.reason}`,
      };
    // The wall clock, not the roster clock: receivers compare it with theirs to refuse old replays.
    const timestamp = Math.floor(Date.now() / 1000);
    return postWebhook({
      url: endpoint.url,
      addresses: decision.addresses,
      headers: webhookHeaders(signingSecrets(endpoint, now()), delivery.message_id, timestamp, delivery.body),
      body: delivery.body,
      timeoutMs: options.timeoutMs,
    });
  }

  /** Fails every pending delivery of an endpoint that was just disabled (in `trx`). */
  async function failPending(trx: Db, endpointId: string, reason: string, at: string): Promise<void> {
    await updatePendingDeliveries(trx, endpointId, failedWithoutAttempt(reason, at));
  }

  /**
   * Records an attempt's outcome, in one transaction under the endpoint's lock: the attempt row,
   * the delivery's new state (succeeded, retry queued, or failed for good), the endpoint's health
   * (disabled after failing for `disableAfterMs`), and the next delivery of the chain. Nothing
   * happens if the delivery moved on meanwhile (replayed, deleted, or taken over by another job).
   */
  async function record(
    delivery: WebhookDeliveryRow,
    jobId: string | null,
    startedAt: string,
    outcome: AttemptOutcome,
  ): Promise<WebhookDeliveryRow | undefined> {
    return db.transaction().execute(async (trx) => {
      await lockEndpoints(trx, dialect, [delivery.endpoint_id]);
      const current = await findDelivery(trx, delivery.id);
      if (current?.status !== 'pending' || current.job_id !== jobId) return undefined;
      const endpoint = await findEndpoint(trx, current.project_id, current.endpoint_id);
      if (!endpoint) return undefined;
      const at = now();
      const number = Number(current.attempt_count) + 1;
      await insertAttempt(trx, {
        id: uuidv7(),
        delivery_id: current.id,
        number,
        started_at: startedAt,
        status_code: outcome.statusCode,
        latency_ms: outcome.latencyMs,
        response_excerpt: outcome.responseExcerpt,
        error: outcome.error,
      });
      const round = Number(current.round_attempts) + 1;
      const base = {
        attempt_count: number,
        round_attempts: round,
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        updated_at: at,
      };
      const isTest = current.event_type === WEBHOOK_TEST_EVENT_TYPE;
      let finished = true;
      if (outcome.ok) {
        Object.assign(base, { status: 'succeeded', job_id: null, next_attempt_at: null, finished_at: at });
        if (endpoint.failing_since !== null && !isTest)
          await updateEndpoint(trx, endpoint.id, { failing_since: null });
      } else {
        let disabled = !endpoint.enabled;
        if (!isTest && endpoint.enabled) {
          const failingSince = endpoint.failing_since ?? startedAt;
          const disable = Date.parse(failingSince) <= clock().getTime() - options.disableAfterMs;
          await updateEndpoint(trx, endpoint.id, {
            failing_since: failingSince,
            ...(disable ? { enabled: dialect.bool(false), disabled_reason: 'failing', updated_at: at } : {}),
          });
          if (disable) {
            disabled = true;
            await failPending(
              trx,
              endpoint.id,
              `endpoint disabled: every attempt failed since ${failingSince}`,
              at,
            );
          }
        }
        const delay = options.retryScheduleMs[round - 1];
        if (isTest || disabled || delay === undefined) {
          Object.assign(base, { status: 'failed', job_id: null, next_attempt_at: null, finished_at: at });
        } else {
          finished = false;
          Object.assign(base, { job_id: null });
        }
        if (!finished) {
          await updateDelivery(trx, current.id, base);
          await schedule(trx, [current], new Date(clock().getTime() + delay!));
          return findDelivery(trx, current.id);
        }
      }
      await updateDelivery(trx, current.id, base);
      await startChain(trx, current.endpoint_id, current.ordering_key);
      return findDelivery(trx, current.id);
    });
  }

  /** Finishes a delivery without an attempt (its endpoint is disabled), starting the next of its chain. */
  async function abandon(delivery: WebhookDeliveryRow, jobId: string, reason: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await lockEndpoints(trx, dialect, [delivery.endpoint_id]);
      const at = now();
      if (await updatePendingDeliveryOfJob(trx, delivery.id, jobId, failedWithoutAttempt(reason, at)))
        await startChain(trx, delivery.endpoint_id, delivery.ordering_key);
    });
  }

  /** Tells the telemetry (metrics, a log line) how an attempt went. */
  function reportAttempt(
    delivery: WebhookDeliveryRow,
    outcome: AttemptOutcome,
    status: WebhookDeliveryRow['status'] | undefined,
  ): void {
    const telemetry = deps.telemetry;
    if (!telemetry) return;
    const result = outcome.ok ? 'succeeded' : status === 'pending' ? 'retrying' : 'failed';
    telemetry.emit({
      kind: 'webhook_delivery',
      projectId: delivery.project_id,
      endpointId: delivery.endpoint_id,
      deliveryId: delivery.id,
      outcome: result,
      statusCode: outcome.statusCode,
      latencyMs: outcome.latencyMs,
    });
    const fields = {
      webhook: {
        deliveryId: delivery.id,
        endpointId: delivery.endpoint_id,
        eventType: delivery.event_type,
        outcome: result,
        statusCode: outcome.statusCode,
      },
      projectId: delivery.project_id,
      durationMs: outcome.latencyMs,
    };
    if (outcome.ok) telemetry.logger.info(fields, 'webhook delivered');
    else telemetry.logger.warn({ ...fields, error: outcome.error }, 'webhook delivery failed');
  }

  /** The job that makes one attempt of one delivery. */
  const job: JobDefinition<WebhookDeliveryJobPayload, { skipped?: string; status?: string }> = {
    type: WEBHOOK_DELIVERY_JOB_TYPE,
    lane: WEBHOOK_DELIVERY_LANE,
    /**
     * The attempt's job failed for good (every run was interrupted before the outcome was
     * recorded, `ATTEMPT_JOB_MAX_RUNS` times): the delivery fails, saying why, and the next one of
     * its chain starts, in the runner's transaction. Otherwise it would stay pending with a job
     * that never runs again, and hold back every later delivery of its contact to the endpoint.
     */
    async failedIn(trx, failedJob, error) {
      const delivery = await findDelivery(trx, failedJob.payload.deliveryId);
      if (delivery?.status !== 'pending' || delivery.job_id !== failedJob.id) return;
      await lockEndpoints(trx, dialect, [delivery.endpoint_id]);
      const reason = `attempt could not be run: ${error}`;
      if (
        await updatePendingDeliveryOfJob(trx, delivery.id, failedJob.id, failedWithoutAttempt(reason, now()))
      )
        await startChain(trx, delivery.endpoint_id, delivery.ordering_key);
    },
    async run(ctx) {
      const delivery = await findDelivery(db, ctx.job.payload.deliveryId);
      if (delivery?.status !== 'pending' || delivery.job_id !== ctx.job.id)
        return { skipped: 'the delivery moved on' };
      const endpoint = await findEndpoint(db, delivery.project_id, delivery.endpoint_id);
      if (!endpoint) return { skipped: 'the endpoint was deleted' };
      if (!endpoint.enabled) {
        await abandon(delivery, ctx.job.id, 'endpoint disabled');
        return { status: 'failed' };
      }
      const startedAt = now();
      const outcome = await attempt(delivery, endpoint);
      const after = await record(delivery, ctx.job.id, startedAt, outcome);
      reportAttempt(delivery, outcome, after?.status);
      // A retry queued in the transaction: make this process's runner see it when it is due.
      jobs.wake();
      if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
        lastCleanup = Date.now();
        await cleanup();
      }
      return { status: after?.status ?? 'moved on' };
    },
  };

  return { fanOut, schedule, startChain, attempt, record, failPending, cleanup, job };
}

export type WebhookDeliveryEngine = ReturnType<typeof createWebhookDelivery>;
