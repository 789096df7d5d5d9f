import { createRoster, type Roster } from '@roster/core';
import express from 'express';
import { expect } from 'vitest';
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
export async function startUnosend(): Promise<UnosendServer> {
  const roster = await createRoster({ database: ':memory:' });
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
