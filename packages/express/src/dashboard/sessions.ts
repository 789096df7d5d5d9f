import { randomBytes } from 'node:crypto';
import { RateLimitedError } from '../errors.js';
import { createTokenBuckets, retryAfterSeconds } from '../rate-limit.js';

interface Session {
  /** The secret key the user signed in with; kept in this process only, never sent back. */
  key: string;
  /** The project the key belonged to at sign-in: the store is bounded per project. */
  projectId: string;
  expiresAt: number;
}

/**
 * The dashboard's sign-in sessions, in this process's memory: a random id (the cookie's value)
 * → the key it was opened with. Sessions end when they expire, on sign-out, when their key is
 * revoked (it is resolved again on every request) and when the process restarts.
 *
 * Bounded per project: a project holds at most `maxSessionsPerProject` live sessions, and a
 * sign-in past that ends the oldest session of the same project, never another project's (one
 * project's secret key cannot sign out another project's users).
 */
export function createSessionStore(ttlMs: number, maxSessionsPerProject = 10_000) {
  const sessions = new Map<string, Session>();
  /** Per project, its session ids in the order they were opened. */
  const byProject = new Map<string, Set<string>>();
  function remove(id: string) {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    const ids = byProject.get(session.projectId);
    ids?.delete(id);
    if (ids?.size === 0) byProject.delete(session.projectId);
  }
  return {
    ttlMs,
    open(key: string, projectId: string): string {
      const now = Date.now();
      let ids = byProject.get(projectId);
      if (!ids) {
        ids = new Set();
        byProject.set(projectId, ids);
      }
      if (ids.size >= maxSessionsPerProject) {
        for (const id of ids) if (sessions.get(id)!.expiresAt <= now) remove(id);
      }
      // Still full of live sessions: this project's oldest one makes room.
      if (ids.size >= maxSessionsPerProject) remove(ids.values().next().value!);
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { key, projectId, expiresAt: now + ttlMs });
      ids.add(id);
      byProject.set(projectId, ids);
      return id;
    },
    /** The key of a live session, or null. */
    keyOf(id: string | undefined): string | null {
      if (!id) return null;
      const session = sessions.get(id);
      if (!session) return null;
      if (session.expiresAt <= Date.now()) {
        remove(id);
        return null;
      }
      return session.key;
    },
    close(id: string | undefined): void {
      if (id) remove(id);
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/** How many sign-ins the dashboard takes per minute (token buckets: that many at once, refilled over a minute). */
export interface SignInLimits {
  /**
   * Sign-ins with a wrong key per client address (`req.ip`) per minute; past that, every sign-in
   * from the address is answered 429 with `Retry-After` until a token is back.
   * @default 10
   */
  failuresPerMinute?: number;
  /**
   * Successful sign-ins per project and client address per minute; past that, 429.
   * @default 20
   */
  successesPerMinute?: number;
}

/** Throttles dashboard sign-ins, in this process's memory (see `SignInLimits`). */
export function createSignInThrottle(limits: SignInLimits = {}) {
  const perMinute = (n: number) => createTokenBuckets({ capacity: n, refillPerSecond: n / 60 });
  const failures = perMinute(limits.failuresPerMinute ?? 10);
  const successes = perMinute(limits.successesPerMinute ?? 20);
  return {
    /** Before the key is checked: 429 for an address past its failed attempts. */
    beforeAttempt(client: string): void {
      const check = failures.check(client);
      if (!check.allowed) {
        const wait = retryAfterSeconds(check.retryAfterMs);
        throw new RateLimitedError(
          `Too many sign-ins with a wrong key from this address: try again in ${wait} s`,
          wait,
        );
      }
    },
    /** A wrong key: counts against the address. */
    failed(client: string): void {
      failures.take(client);
    },
    /** A valid key: 429 when the address signed in to this project too often. */
    succeeded(projectId: string, client: string): void {
      const taken = successes.take(`${projectId}\n${client}`);
      if (!taken.allowed) {
        const wait = retryAfterSeconds(taken.retryAfterMs);
        throw new RateLimitedError(`Too many sign-ins from this address: try again in ${wait} s`, wait);
      }
    },
  };
}

/** The value of one cookie in a `Cookie` header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
