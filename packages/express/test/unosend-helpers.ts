import { createTestRoster, type TestDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createUnosendRouter } from '../src/index.js';
import { closeServed, emptyTables, listen, type ServedRoster, twoProjects } from './http-helpers.js';

/** `base` is `<server>/v1`; `key` and `otherKey` are `un_` keys. */
export interface UnosendServer extends ServedRoster {
  /** Unexpected errors the router reported (should stay empty). */
  unexpected: unknown[];
}

/** A roster with two projects, each with an `un_` key, and the Unosend router at `/v1`. */
export async function startUnosend(dialect: TestDialect = 'sqlite'): Promise<UnosendServer> {
  const roster = await createTestRoster(dialect);
  const projects = await twoProjects(roster, { prefix: 'un_' });
  const unexpected: unknown[] = [];
  const app = express();
  app.use('/v1', createUnosendRouter(roster, { jsonLimit: 256 * 1024, onError: (e) => unexpected.push(e) }));
  const server = await listen(app);
  return { roster, server, base: `${server.url}/v1`, ...projects, unexpected };
}

/** Unosend's error envelope. */
export function unosendError(type: string, code: number, message: unknown = expect.any(String)) {
  return { error: { message, code, type, request_id: expect.any(String) } };
}

/**
 * Registers the suite's hooks: one server for the suite, emptied of contacts and audiences before
 * each test, and no unexpected (500) error allowed after it. The returned object is filled in
 * `beforeAll`, so read it inside tests and hooks only.
 */
export function useUnosendServer(dialect: TestDialect): UnosendServer {
  const s = {} as UnosendServer;
  beforeAll(async () => {
    Object.assign(s, await startUnosend(dialect));
  });
  afterAll(() => closeServed(s.server, s.roster));
  beforeEach(() => emptyTables(s.roster, 'roster_contacts', 'roster_audiences'));
  afterEach(() => {
    expect(s.unexpected).toEqual([]);
  });
  return s;
}
