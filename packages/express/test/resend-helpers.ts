import { createTestRoster, type TestDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createResendRouter } from '../src/index.js';
import { closeServed, emptyTables, listen, type ServedRoster, twoProjects } from './http-helpers.js';

/** `base` is `<server>/resend`; `key` and `otherKey` are `re_` keys. */
export interface ResendServer extends ServedRoster {
  /** A `sk_` key of the project `main` (another dialect's key). */
  plunkKey: string;
  /** Unexpected errors the router reported (should stay empty). */
  unexpected: unknown[];
}

export async function startResend(dialect: TestDialect = 'sqlite'): Promise<ResendServer> {
  const roster = await createTestRoster(dialect);
  const projects = await twoProjects(roster, { prefix: 're_' });
  const plunkKey = (await roster.keys.create(projects.projectId)).key;
  const unexpected: unknown[] = [];
  const app = express();
  app.use('/resend', createResendRouter(roster, { onError: (e) => unexpected.push(e) }));
  const server = await listen(app);
  return { roster, server, base: `${server.url}/resend`, ...projects, plunkKey, unexpected };
}

/** Resend's error body. */
export function resendError(statusCode: number, name: string, message: unknown = expect.any(String)) {
  return { statusCode, message, name };
}

/** Resend's timestamps: `2025-10-17 16:47:14.626+00`. */
export const RESEND_TIME = expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+00$/);

export function useResendServer(dialect: TestDialect): ResendServer {
  const s = {} as ResendServer;
  beforeAll(async () => {
    Object.assign(s, await startResend(dialect));
  });
  afterAll(() => closeServed(s.server, s.roster));
  beforeEach(() =>
    emptyTables(s.roster, 'roster_contacts', 'roster_segments', 'roster_topics', 'roster_contact_properties'),
  );
  afterEach(() => {
    expect(s.unexpected).toEqual([]);
  });
  return s;
}
