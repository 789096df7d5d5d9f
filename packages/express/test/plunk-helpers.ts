import type { Roster } from '@roster/core';
import { createTestRoster, type TestDialect } from '@roster/test-harness';
import express, { type Express } from 'express';
import { afterAll, beforeAll, expect } from 'vitest';
import { createPlunkRouter, type PlunkRouterOptions } from '../src/index.js';
import { closeServed, ISO, type Listening, listen, type ServedRoster, twoProjects } from './http-helpers.js';

/** Plunk's error envelope with the given code/status; `errors` when fields are named. */
export function plunkError(code: string, statusCode: number, errors?: { field: string; message: string }[]) {
  return {
    success: false,
    error: {
      code,
      message: expect.any(String),
      statusCode,
      requestId: expect.any(String),
      ...(errors ? { errors } : {}),
    },
    timestamp: ISO,
  };
}

/**
 * Serves the Plunk router (unexpected errors silenced unless `onError` is given) in a fresh app,
 * mounted at `prefix`; `base` is the URL it answers at. `setup` may add the app's own routes first.
 */
export async function servePlunk(
  roster: Roster,
  {
    prefix = '',
    setup,
    ...options
  }: PlunkRouterOptions & { prefix?: string; setup?: (app: Express) => void } = {},
): Promise<{ server: Listening; base: string }> {
  const app = express();
  setup?.(app);
  const router = createPlunkRouter(roster, { onError: () => {}, ...options });
  if (prefix) app.use(prefix, router);
  else app.use(router);
  const server = await listen(app);
  return { server, base: `${server.url}${prefix}` };
}

/** `key` and `otherKey` are secret (`sk_`) keys. */
export type PlunkServer = ServedRoster;

/**
 * Registers the suite's hooks: a roster (with `roster` options) holding the projects `main` and
 * `other` with a secret key each, and the Plunk router served by `servePlunk` (with `serve` options);
 * closed after the suite. The returned object is filled in `beforeAll`, so read it inside tests and
 * hooks only.
 */
export function usePlunkServer(
  dialect: TestDialect,
  options: {
    roster?: Parameters<typeof createTestRoster>[1];
    serve?: Parameters<typeof servePlunk>[1];
  } = {},
): PlunkServer {
  const s = {} as PlunkServer;
  beforeAll(async () => {
    s.roster = await createTestRoster(dialect, options.roster);
    Object.assign(s, await twoProjects(s.roster), await servePlunk(s.roster, options.serve));
  });
  afterAll(() => closeServed(s.server, s.roster));
  return s;
}
