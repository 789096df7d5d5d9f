import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got. */
export interface ReceivedWebhook {
  /** `webhook-id`: the event's id, the same on every retry and replay. */
  id: string;
  /** `webhook-timestamp` (Unix seconds). */
  timestamp: number;
  /** The event type (`contact.created`, `webhook.test`, ...). */
  type: string;
  /** The parsed body: `{ type, timestamp, data }`. */
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  /** The body exactly as received. */
  body: string;
  headers: IncomingHttpHeaders;
  /** True when `webhook-signature` verified (standardwebhooks) with one of the receiver's secrets. */
  verified: boolean;
  /** The status the receiver answered; 0 for a request it held without answering (`stall`). */
  status: number;
}

export interface WebhookReceiverOptions {
  /**
   * Secrets to verify signatures with (any one verifying is enough). Requests that do not verify
   * are recorded with `verified: false` and answered 401.
   * @default [] — set them with `setSecrets` once the endpoint exists
   */
  secrets?: string[];
}

/** A local HTTP server that receives webhooks, checks their Standard Webhooks signatures, and keeps them. */
export interface WebhookReceiver {
  /** The URL to register as an endpoint, e.g. `http://127.0.0.1:41234/webhooks`. */
  readonly url: string;
  /** Every request received so far, in arrival order (retries and replays included). */
  readonly received: readonly ReceivedWebhook[];
  /** The verified requests answered 2xx, in arrival order. */
  events(): ReceivedWebhook[];
  /** Replaces the secrets signatures are verified with (e.g. after a rotation). */
  setSecrets(secrets: string[]): void;
  /** Answers the next `count` requests with `status` (default 500) instead of 200. */
  failNext(count: number, status?: number): void;
  /**
   * Holds the next `count` requests open without an answer (the sender's timeout decides), e.g. to
   * stop a server in the middle of a delivery. `stall(0)` stops holding new ones.
   */
  stall(count: number): void;
  /** Resolves when at least `count` requests were answered 2xx, or rejects after `timeoutMs` (default 10 s). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Stops the server. Idempotent. */
  close(): Promise<void>;
}

/** Starts a webhook receiver on an ephemeral loopback port. */
export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let secrets = [...(options.secrets ?? [])];
  const failures: number[] = [];
  let stalls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers as Record<string, string>;
      const verified = secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      let payload: ReceivedWebhook['payload'];
      try {
        payload = JSON.parse(body);
      } catch {
        payload = { type: '', timestamp: '', data: {} };
      }
      const stalled = verified && stalls > 0;
      if (stalled) stalls--;
      const status = !verified ? 401 : stalled ? 0 : (failures.shift() ?? 200);
      received.push({
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: Number(req.headers['webhook-timestamp']),
        type: payload.type,
        payload,
        body,
        headers: req.headers,
        verified,
        status,
      });
      if (stalled) return; // no answer: the connection stays open until the sender gives up or close()
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(
        status >= 200 && status < 300 ? 'ok' : verified ? 'failing on purpose' : 'signature did not verify',
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const ok = () => received.filter((r) => r.verified && r.status >= 200 && r.status < 300);
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    events: ok,
    setSecrets(list) {
      secrets = [...list];
    },
    failNext(count, status = 500) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    stall(count) {
      stalls = count;
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (ok().length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `webhookReceiver: ${ok().length} of ${count} webhooks received after ${timeoutMs} ms`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return ok();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
