/**
 * The one place `roster migrate` talks to a provider: a JSON GET client over an injected
 * `fetch`-like function (the global `fetch` by default). It is polite: at most `concurrency`
 * requests in flight, a 429 or 5xx (and a network error) retried with exponential backoff, a
 * `Retry-After` answer waited for exactly (capped), and a `RateLimit-Remaining: 0` /
 * `X-RateLimit-Remaining: 0` answer makes the next request wait for `RateLimit-Reset`.
 * The key goes into the `Authorization` header only: it is never part of an error message.
 */

/** The part of the Fetch API the client uses (the global `fetch` fits). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface HttpClientOptions {
  /** Base URL the paths are appended to (its trailing slash is ignored). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  key: string;
  fetch?: FetchLike;
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Attempts of one request before giving up (429, 5xx, network errors). @default 8 */
  maxAttempts?: number;
  /** First backoff; doubled each attempt, with jitter. @default 250 */
  backoffMs?: number;
  /** Longest wait between attempts (also caps `Retry-After`). @default 60000 */
  maxWaitMs?: number;
  signal?: AbortSignal;
  /** The current time in ms (tests pass a fake clock with a fake `sleep`). @default Date.now */
  now?: () => number;
  /** Waits `ms` (tests pass a fake). @default setTimeout */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each retry with the reason (a status or `network error`) and the wait. */
  onRetry?: (info: { path: string; reason: string; waitMs: number; attempt: number }) => void;
}

export interface HttpClient {
  /** GETs `path` (with `query`) and returns its JSON body; a non-2xx answer after retries is a RosterError. */
  getJson<T = unknown>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  /** Requests retried so far (429, 5xx and network errors). */
  readonly retries: number;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Seconds (or an HTTP date) of a `Retry-After` header, in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The wait a `RateLimit-Reset` / `X-RateLimit-Reset` header asks for, in ms: delta seconds (the
 * IETF draft, Resend), or a Unix timestamp in seconds (Unosend's `X-RateLimit-Reset`).
 */
export function rateLimitResetMs(value: string | null, now = Date.now()): number | null {
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return null;
  const n = Number(value);
  // Anything past the year 2001 in seconds is a timestamp, not a delta.
  if (n > 1_000_000_000) return Math.max(0, Math.round(n * 1000 - now));
  return Math.round(n * 1000);
}

function header(headers: { get(name: string): string | null }, ...names: string[]): string | null {
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) return value;
  }
  return null;
}

/** A short, key-free description of an error body for messages. */
function bodyExcerpt(text: string): string {
  const clipped = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return clipped.replace(/\s+/g, ' ').trim();
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const fetchFn: FetchLike = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const base = options.baseUrl.replace(/\/+$/, '');
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const backoffMs = options.backoffMs ?? 250;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const signal = options.signal;
  let active = 0;
  const waiting: (() => void)[] = [];
  /** No request starts before this time (a `RateLimit-Remaining: 0` answer sets it). */
  let pausedUntil = 0;
  let retries = 0;

  async function slot(): Promise<() => void> {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    return () => {
      active--;
      waiting.shift()?.();
    };
  }

  function urlOf(path: string, query: Record<string, string | number | undefined> = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.toString();
    return `${base}${path}${search ? `?${search}` : ''}`;
  }

  async function getJson<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T> {
    const url = urlOf(path, query);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const pause = pausedUntil - now();
      if (pause > 0) await sleep(Math.min(pause, maxWaitMs), signal);
      const release = await slot();
      let reason: string;
      let wait: number | null = null;
      try {
        const response = await fetchFn(url, {
          method: 'GET',
          headers: { Authorization: `Bearer ${options.key}`, Accept: 'application/json' },
          signal,
        });
        const text = await response.text();
        const remaining = header(response.headers, 'ratelimit-remaining', 'x-ratelimit-remaining');
        if (remaining !== null && Number(remaining) <= 0) {
          const reset = rateLimitResetMs(
            header(response.headers, 'ratelimit-reset', 'x-ratelimit-reset'),
            now(),
          );
          if (reset !== null) pausedUntil = Math.max(pausedUntil, now() + Math.min(reset, maxWaitMs));
        }
        if (response.status >= 200 && response.status < 300) {
          try {
            return JSON.parse(text) as T;
          } catch {
            throw sourceError(`GET ${path} answered ${response.status} with a body that is not JSON`, {
              status: response.status,
            });
          }
        }
        if (response.status !== 429 && response.status < 500) {
          throw sourceError(
            `GET ${path} answered ${response.status}${response.status === 401 || response.status === 403 ? ' (is the key right?)' : ''}: ${bodyExcerpt(text)}`,
            { status: response.status },
          );
        }
        reason = String(response.status);
        wait = retryAfterMs(response.headers.get('retry-after'), now());
        if (wait === null && response.status === 429) {
          wait = rateLimitResetMs(header(response.headers, 'ratelimit-reset', 'x-ratelimit-reset'), now());
        }
      } catch (error) {
        if (error instanceof MigrateSourceError) throw error;
        if (signal?.aborted) throw signal.reason;
        reason = 'network error';
        if (attempt >= maxAttempts) {
          throw sourceError(`GET ${path} failed after ${attempt} attempts: ${(error as Error).message}`, {});
        }
      } finally {
        release();
      }
      if (attempt >= maxAttempts) {
        throw sourceError(`GET ${path} still answered ${reason} after ${attempt} attempts`, {
          status: Number(reason),
        });
      }
      const backoff = Math.min(maxWaitMs, backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
      const waitMs = Math.min(maxWaitMs, wait ?? backoff);
      retries++;
      options.onRetry?.({ path, reason, waitMs, attempt });
      if (wait !== null) pausedUntil = Math.max(pausedUntil, now() + waitMs);
      await sleep(waitMs, signal);
    }
  }

  return {
    getJson,
    get retries() {
      return retries;
    },
  };
}

/**
 * The source provider failed: it refused a request (401, 404, ...), kept answering 429 or 5xx, or
 * could not be reached. `status` is its last HTTP status, when it answered.
 */
export class MigrateSourceError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'MigrateSourceError';
    this.status = status;
  }
}

function sourceError(message: string, details: { status?: number }): MigrateSourceError {
  return new MigrateSourceError(message, Number.isFinite(details.status) ? details.status : undefined);
}
