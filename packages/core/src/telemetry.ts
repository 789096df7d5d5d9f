import type { RosterLogger } from './logger.js';

/** A background job finished one run. */
export interface JobRunEvent {
  kind: 'job';
  /** The job's type, e.g. `import`, `webhooks.deliver`. */
  type: string;
  jobId: string;
  projectId: string;
  /**
   * `completed`; `failed` (for good); `retrying` (it threw and runs again later); `interrupted`
   * (the process stopped it, or another worker took it over: it runs again).
   */
  outcome: 'completed' | 'failed' | 'retrying' | 'interrupted';
  durationMs: number;
}

/** A webhook delivery attempt's outcome was recorded. */
export interface WebhookAttemptEvent {
  kind: 'webhook_delivery';
  projectId: string;
  endpointId: string;
  deliveryId: string;
  /** `succeeded`; `retrying` (a later attempt is scheduled); `failed` (for good). */
  outcome: 'succeeded' | 'retrying' | 'failed';
  /** The HTTP status the endpoint answered, or null (no answer: timeout, refused, blocked). */
  statusCode: number | null;
  /** Time from sending the request to its answer (or failure), in ms. */
  latencyMs: number;
}

/** What roster reports about its background work, for metrics (`roster.telemetry.subscribe`). */
export type TelemetryEvent = JobRunEvent | WebhookAttemptEvent;

export type TelemetryListener = (event: TelemetryEvent) => void;

/** Where core reports its work: the logger lines, and in-process listeners (metrics). */
export interface Telemetry {
  readonly logger: RosterLogger;
  /** Tells every listener; a listener that throws is ignored (it never fails the work). */
  emit(event: TelemetryEvent): void;
  /** Calls `listener` with every later event; returns the unsubscribe function. */
  subscribe(listener: TelemetryListener): () => void;
}

export function createTelemetry(logger: RosterLogger): Telemetry {
  const listeners = new Set<TelemetryListener>();
  return {
    logger,
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A metrics listener's bug must not fail a job or a delivery.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
