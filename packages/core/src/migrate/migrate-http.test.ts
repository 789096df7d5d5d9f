import { describe, expect, it } from 'vitest';
import {
  createHttpClient,
  type FetchLike,
  MigrateSourceError,
  rateLimitResetMs,
  retryAfterMs,
} from './migrate-http.js';

/** A fake provider: answers from `script` in order (the last one repeats), recording each request. */
function scripted(script: { status: number; headers?: Record<string, string>; body?: unknown }[]) {
  const requests: { url: string; auth: string | undefined }[] = [];
  let i = 0;
  const fetch: FetchLike = async (url, init) => {
    requests.push({ url, auth: init.headers.Authorization });
    const answer = script[Math.min(i++, script.length - 1)]!;
    const headers = new Map(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: answer.status,
      headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
      text: async () => JSON.stringify(answer.body ?? {}),
    };
  };
  return { fetch, requests };
}

/** A fake clock and its sleep: each wait is recorded and moves the clock on instead of waiting. */
function recordingSleep() {
  const waits: number[] = [];
  let time = Date.parse('2026-01-01T00:00:00Z');
  return {
    waits,
    now: () => time,
    sleep: async (ms: number) => {
      waits.push(ms);
      time += ms;
    },
  };
}

describe('migrate HTTP client', () => {
  it('retries 429 after exactly the Retry-After seconds, and 503 with growing backoff', async () => {
    const { fetch, requests } = scripted([
      { status: 429, headers: { 'Retry-After': '3' } },
      { status: 503 },
      { status: 503 },
      { status: 200, body: { data: [1] } },
    ]);
    const { waits, sleep, now } = recordingSleep();
    const http = createHttpClient({
      baseUrl: 'https://api.example.com/',
      key: 'sk_secret',
      fetch,
      sleep,
      now,
      backoffMs: 100,
    });
    expect(await http.getJson('/contacts', { limit: 100, cursor: undefined })).toEqual({ data: [1] });
    expect(requests.map((r) => r.url)).toEqual(Array(4).fill('https://api.example.com/contacts?limit=100'));
    expect(requests.every((r) => r.auth === 'Bearer sk_secret')).toBe(true);
    expect(waits[0]).toBe(3000);
    // Backoff 100 ms then 400 ms-ish (doubling per attempt, ±25 % jitter).
    expect(waits[1]).toBeGreaterThanOrEqual(150);
    expect(waits[1]).toBeLessThanOrEqual(250);
    expect(waits[2]).toBeGreaterThanOrEqual(300);
    expect(waits[2]).toBeLessThanOrEqual(500);
    expect(http.retries).toBe(3);
  });

  it('holds the next request until RateLimit-Reset when RateLimit-Remaining is 0', async () => {
    const { fetch } = scripted([
      { status: 200, headers: { 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2' }, body: { a: 1 } },
      { status: 200, body: { b: 2 } },
    ]);
    const { waits, sleep, now } = recordingSleep();
    const http = createHttpClient({ baseUrl: 'https://api.example.com', key: 'k', fetch, sleep, now });
    await http.getJson('/one');
    expect(waits).toEqual([]);
    await http.getJson('/two');
    expect(waits).toEqual([2000]);
  });

  it('fails at once on a 401, naming the status and never the key', async () => {
    const { fetch, requests } = scripted([{ status: 401, body: { error: 'Invalid API key' } }]);
    const http = createHttpClient({ baseUrl: 'https://api.example.com', key: 'sk_secret_value', fetch });
    const error = await http.getJson('/contacts').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrateSourceError);
    expect((error as MigrateSourceError).status).toBe(401);
    expect((error as Error).message).toContain('answered 401 (is the key right?)');
    expect((error as Error).message).not.toContain('sk_secret_value');
    expect(requests).toHaveLength(1);
  });

  it('gives up after maxAttempts on a provider that keeps answering 503', async () => {
    const { fetch, requests } = scripted([{ status: 503 }]);
    const { sleep } = recordingSleep();
    const http = createHttpClient({
      baseUrl: 'https://api.example.com',
      key: 'k',
      fetch,
      sleep,
      maxAttempts: 3,
    });
    const error = await http.getJson('/contacts').catch((e: unknown) => e);
    expect((error as Error).message).toBe('GET /contacts still answered 503 after 3 attempts');
    expect(requests).toHaveLength(3);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const fetch: FetchLike = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return { status: 200, headers: { get: () => null }, text: async () => '{}' };
    };
    const http = createHttpClient({ baseUrl: 'https://api.example.com', key: 'k', fetch, concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => http.getJson(`/p${i}`)));
    expect(most).toBe(3);
  });

  it('reads Retry-After as seconds or an HTTP date, and RateLimit-Reset as seconds or a Unix time', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
    expect(rateLimitResetMs('30', now)).toBe(30_000);
    expect(rateLimitResetMs(String(now / 1000 + 7), now)).toBe(7000);
    expect(rateLimitResetMs('x', now)).toBeNull();
  });
});
