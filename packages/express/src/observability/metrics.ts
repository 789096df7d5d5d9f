import type { Roster, TelemetryEvent } from '@roster/core';
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ObservedRequest, RequestRecorder } from './request-observer.js';

export interface MetricsOptions {
  /**
   * The prom-client registry to register roster's metrics in (e.g. your app's `register`, to serve
   * them with yours). Metric names start with `roster_`.
   * @default a new registry of its own
   */
  registry?: Registry;
  /**
   * Also collect the process metrics of prom-client (`collectDefaultMetrics`: CPU, memory, event
   * loop lag, heap, handles), unprefixed as prom-client names them (`process_*`, `nodejs_*`). Leave
   * it off when your registry collects them already.
   * @default true
   */
  processMetrics?: boolean;
  /**
   * `roster_contacts` has one series per project for the projects with the most contacts, and one
   * `project="other"` series for the contacts of all the others, so a deployment with many projects
   * keeps a bounded number of series.
   * @default 10
   */
  topProjects?: number;
  /** Called when a scrape-time query fails (the metric then has no series in that scrape). @default ignored */
  onError?: (error: unknown) => void;
}

/** roster's Prometheus metrics: record requests, serve the registry, stop listening. */
export interface RosterMetrics extends RequestRecorder {
  readonly registry: Registry;
  /** Answers `GET` with the registry in Prometheus' text format (mount it on a port of its own). */
  readonly handler: RequestHandler;
  /** Stops listening to the roster's job and webhook events. */
  close(): void;
}

/** Most projects `topProjects` may ask for. */
export const MAX_TOP_PROJECTS = 1000;

/** Request durations: 1 ms to 10 s. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Job runs: 10 ms to 10 min (an import of a million rows takes minutes). */
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 600];
/** Webhook attempts: 10 ms to the default 10 s timeout and past it. */
const WEBHOOK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * roster's Prometheus metrics, with prom-client: request counts and durations (fed by the routers
 * and the server app, see their `metrics` option), job runs and webhook deliveries (from
 * `roster.telemetry`), and at scrape time the jobs by type and state, the outbox lag and the
 * contacts per project (each one grouped query). Serve `metrics.handler` on a listener that only
 * your Prometheus reaches, never on the public API port.
 */
export function createMetrics(roster: Roster, options: MetricsOptions = {}): RosterMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const top = options.topProjects ?? 10;
  if (!Number.isInteger(top) || top < 0 || top > MAX_TOP_PROJECTS)
    throw new RangeError(`roster: metrics topProjects must be an integer from 0 to ${MAX_TOP_PROJECTS}`);
  const onError = options.onError ?? (() => {});
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const requestLabels = ['dialect', 'route', 'method', 'status'] as const;
  const requests = new Counter({
    name: 'roster_http_requests_total',
    help: 'HTTP requests answered, by dialect, route pattern, method and status',
    labelNames: requestLabels,
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'roster_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, in seconds',
    labelNames: requestLabels,
    buckets: HTTP_BUCKETS,
    registers,
  });
  const jobRuns = new Histogram({
    name: 'roster_job_run_duration_seconds',
    help: 'Duration of job runs in this process, by job type and outcome (completed, failed, retrying, interrupted)',
    labelNames: ['type', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers,
  });
  const jobFailures = new Counter({
    name: 'roster_job_failures_total',
    help: 'Job runs in this process that threw, by job type (final: "true" when the job failed for good, "false" when it will retry)',
    labelNames: ['type', 'final'] as const,
    registers,
  });
  const deliveries = new Counter({
    name: 'roster_webhook_deliveries_total',
    help: 'Webhook delivery attempts made by this process, by outcome (succeeded, retrying, failed)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const deliverySeconds = new Histogram({
    name: 'roster_webhook_delivery_duration_seconds',
    help: 'Time a webhook endpoint took to answer (or fail) one delivery attempt, in seconds',
    labelNames: ['outcome'] as const,
    buckets: WEBHOOK_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'roster_jobs',
    help: 'Jobs in the database by type and state (queued, running, completed, failed), at scrape time',
    labelNames: ['type', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      try {
        for (const row of await roster.stats.jobs())
          this.set({ type: row.type, state: row.status }, row.jobs);
      } catch (error) {
        onError(error);
      }
    },
  });
  // The two outbox gauges share one query per scrape (a scrape collects every metric at once).
  let lag: { at: number; value: Promise<{ rows: number; seconds: number } | null> } | undefined;
  const outboxLag = () => {
    const now = Date.now();
    if (!lag || now - lag.at > 1000) {
      lag = {
        at: now,
        value: roster.stats.outboxLag().catch((error: unknown) => {
          onError(error);
          return null;
        }),
      };
    }
    return lag.value;
  };
  for (const [unit, help] of [
    [
      'seconds',
      'Age of the oldest change event the slowest outbox consumer (the webhook fan-out) has not handled; 0 when caught up',
    ],
    ['rows', 'Change events the slowest outbox consumer (the webhook fan-out) has not handled'],
  ] as const) {
    new Gauge({
      name: `roster_outbox_lag_${unit}`,
      help,
      registers,
      async collect() {
        this.reset();
        const value = await outboxLag();
        if (value) this.set(value[unit]);
      },
    });
  }
  new Gauge({
    name: 'roster_contacts',
    help: `Contacts per project: the ${top} projects with the most, by project id, and project="other" for all the others together`,
    labelNames: ['project'] as const,
    registers,
    async collect() {
      this.reset();
      try {
        const counts = await roster.stats.contactsByProject(top);
        let shown = 0;
        for (const { projectId, contacts } of counts.top) {
          this.set({ project: projectId }, contacts);
          shown += contacts;
        }
        this.set({ project: 'other' }, counts.contacts - shown);
      } catch (error) {
        onError(error);
      }
    },
  });

  const unsubscribe = roster.telemetry.subscribe((event: TelemetryEvent) => {
    if (event.kind === 'job') {
      jobRuns.observe({ type: event.type, outcome: event.outcome }, event.durationMs / 1000);
      if (event.outcome === 'failed' || event.outcome === 'retrying')
        jobFailures.inc({ type: event.type, final: event.outcome === 'failed' ? 'true' : 'false' });
    } else {
      deliveries.inc({ outcome: event.outcome });
      deliverySeconds.observe({ outcome: event.outcome }, event.latencyMs / 1000);
    }
  });

  const handler: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.setHeader('content-type', registry.contentType);
        res.setHeader('cache-control', 'no-store');
        res.end(text);
      },
      (error: unknown) => next(error),
    );
  };

  return {
    registry,
    handler,
    observeRequest(request: ObservedRequest) {
      const labels = {
        dialect: request.dialect,
        route: request.route,
        method: request.method,
        status: String(request.status),
      };
      requests.inc(labels);
      requestSeconds.observe(labels, request.durationSeconds);
    },
    close: unsubscribe,
  };
}
