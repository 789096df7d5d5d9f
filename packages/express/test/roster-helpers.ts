import { createTestRoster, type TestDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createRosterRouter } from '../src/index.js';
import { closeServed, emptyTables, listen, type ServedRoster, twoProjects } from './http-helpers.js';

/** `base` is `<server>/roster`; `key` and `otherKey` are `sk_` keys. */
export interface RosterServer extends ServedRoster {
  /** Unexpected errors the router reported (should stay empty). */
  unexpected: unknown[];
}

/** A roster with two projects, each with an `sk_` key, and roster's management router at `/roster`. */
export async function startRosterApi(dialect: TestDialect = 'sqlite'): Promise<RosterServer> {
  const roster = await createTestRoster(dialect);
  const projects = await twoProjects(roster);
  const unexpected: unknown[] = [];
  const app = express();
  app.use('/roster', createRosterRouter(roster, { onError: (error) => unexpected.push(error) }));
  const server = await listen(app);
  return { roster, server, base: `${server.url}/roster`, ...projects, unexpected };
}

/**
 * Registers the suite's hooks: one server for the suite, emptied of `tables` before each test, and
 * no unexpected (500) error allowed after it. The returned object is filled in `beforeAll`, so read
 * it inside tests and hooks only.
 */
export function useRosterApi(
  dialect: TestDialect,
  tables: Parameters<typeof emptyTables>[1][],
): RosterServer {
  const s = {} as RosterServer;
  beforeAll(async () => {
    Object.assign(s, await startRosterApi(dialect));
  });
  afterAll(() => closeServed(s.server, s.roster));
  beforeEach(() => emptyTables(s.roster, ...tables));
  afterEach(() => {
    expect(s.unexpected).toEqual([]);
  });
  return s;
}
