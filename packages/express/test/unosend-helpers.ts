import type { Roster } from '@roster/core';
import { createTestRoster, type TestDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createUnosendRouter } from '../src/index.js';
import { type Listening, listen } from './http-helpers.js';

export interface UnosendServer {
  roster: Roster;
  server: Listening;
  /** `<server>/v1` */
  base: string;
  key: string;
  otherKey: string;
  projectId: string;
  otherProjectId: string;
  /** Unexpected errors the router reported (should stay empty). */
  unexpected: unknown[];
}

/** A roster with two projects, each with an `un_` key, and the Unosend router at `/v1`. */
export async function startUnosend(dialect: TestDialect = 'sqlite'): Promise<UnosendServer> {
  const roster = await createTestRoster(dialect);
  const project = await roster.projects.ensure('main');
  const other = await roster.projects.ensure('other');
  const key = (await roster.keys.create(project.id, { prefix: 'un_' })).key;
  const otherKey = (await roster.keys.create(other.id, { prefix: 'un_' })).key;
  const unexpected: unknown[] = [];
  const app = express();
  app.use('/v1', createUnosendRouter(roster, { jsonLimit: 256 * 1024, onError: (e) => unexpected.push(e) }));
  const server = await listen(app);
  return {
    roster,
    server,
    base: `${server.url}/v1`,
    key,
    otherKey,
    projectId: project.id,
    otherProjectId: other.id,
    unexpected,
  };
}

/** Unosend's error envelope. */
export function unosendError(type: string, code: number, message: unknown = expect.any(String)) {
  return { error: { message, code, type } };
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
  afterAll(async () => {
    await s.server?.close();
    await s.roster?.close();
  });
  beforeEach(async () => {
    await s.roster.db.deleteFrom('roster_contacts').execute();
    await s.roster.db.deleteFrom('roster_audiences').execute();
  });
  afterEach(() => {
    expect(s.unexpected).toEqual([]);
  });
  return s;
}
