import type { Roster } from '@roster/core';
import express, { type Express } from 'express';
import { expect } from 'vitest';
import { createPlunkRouter, type PlunkRouterOptions } from '../src/index.js';
import { ISO, type Listening, listen } from './http-helpers.js';

/** Plunk's error envelope with the given code/status; `errors` when fields are named. */
export function plunkError(code: string, statusCode: number, errors?: { field: string; message: string }[]) {
  return {
    success: false,
    error: { code, message: expect.any(String), statusCode, ...(errors ? { errors } : {}) },
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
