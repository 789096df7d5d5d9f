import type { WebhookResolver } from './webhook-target.js';

/**
 * Webhook options, resolved by `createRoster` (see `WebhooksOptions` in options.ts). Apart from
 * webhook-types.ts, which the browser build of the dashboard reads.
 */
export interface ResolvedWebhooksOptions {
  readonly allowPrivateTargets: boolean;
  readonly privateTargetsHint: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly retryScheduleMs: readonly number[];
  readonly disableAfterMs: number;
  readonly secretOverlapMs: number;
  readonly retentionMs: number;
  readonly resolve: WebhookResolver;
}
