import { randomBytes } from 'node:crypto';

interface Session {
  /** The secret key the user signed in with; kept in this process only, never sent back. */
  key: string;
  expiresAt: number;
}

/**
 * The dashboard's sign-in sessions, in this process's memory: a random id (the cookie's value)
 * → the key it was opened with. Sessions end when they expire, on sign-out, when their key is
 * revoked (it is resolved again on every request) and when the process restarts.
 */
export function createSessionStore(ttlMs: number, maxSessions = 10_000) {
  const sessions = new Map<string, Session>();
  function sweep(now: number) {
    for (const [id, session] of sessions) if (session.expiresAt <= now) sessions.delete(id);
  }
  return {
    ttlMs,
    open(key: string): string {
      const now = Date.now();
      if (sessions.size >= maxSessions) sweep(now);
      // Still full of live sessions: the oldest one makes room.
      if (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { key, expiresAt: now + ttlMs });
      return id;
    },
    /** The key of a live session, or null. */
    keyOf(id: string | undefined): string | null {
      if (!id) return null;
      const session = sessions.get(id);
      if (!session) return null;
      if (session.expiresAt <= Date.now()) {
        sessions.delete(id);
        return null;
      }
      return session.key;
    },
    close(id: string | undefined): void {
      if (id) sessions.delete(id);
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

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
