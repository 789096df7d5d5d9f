import { request as httpRequest } from 'node:http';
import type { Database, Roster } from '@roster/core';
import { listenOnLoopback } from '@roster/test-harness';
import type { Express } from 'express';
import { expect } from 'vitest';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves an Express app on an ephemeral loopback port. */
export function listen(app: Express): Promise<Listening> {
  return listenOnLoopback(app);
}

/** The end of a suite that served a roster: closes the server, then the roster. */
export async function closeServed(server: Listening, roster: Roster): Promise<void> {
  await server.close();
  await roster.close();
}

/** Deletes every row of these tables, in this order (so each test starts from an empty project). */
export async function emptyTables(roster: Roster, ...tables: (keyof Database)[]): Promise<void> {
  for (const table of tables) await roster.db.deleteFrom(table).execute();
}

/** The projects `main` and `other` of a test roster, with a key each. */
export interface TwoProjects {
  projectId: string;
  otherProjectId: string;
  /** A key of the project `main`. */
  key: string;
  /** A key of the project `other`. */
  otherKey: string;
}

/** A test roster with two projects (see `twoProjects`), served by a router at `base`. */
export interface ServedRoster extends TwoProjects {
  roster: Roster;
  server: Listening;
  /** Where the router answers (the server's URL and the mount prefix). */
  base: string;
}

/**
 * `call(method, path, body?, key?)`: a JSON request to `<base><path>` of a served router, with its
 * project's key unless another key (or `null`, none) is given. `served` is read at each call, so it
 * may be filled in later (in `beforeAll`).
 */
export function callerOf(served: ServedRoster) {
  return (method: string, path: string, body?: unknown, key: string | null = served.key) =>
    request(`${served.base}${path}`, { method, key, body });
}

/** Creates the projects `main` and `other` with a key each (`sk_` unless `keyOptions` says). */
export async function twoProjects(
  roster: Roster,
  keyOptions: { prefix?: string } = {},
): Promise<TwoProjects> {
  const project = await roster.projects.ensure('main');
  const other = await roster.projects.ensure('other');
  return {
    projectId: project.id,
    otherProjectId: other.id,
    key: (await roster.keys.create(project.id, keyOptions)).key,
    otherKey: (await roster.keys.create(other.id, keyOptions)).key,
  };
}

export interface JsonResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** fetch with a JSON body (an object is serialised; a string is sent as is) and a parsed JSON answer. */
export async function request(
  url: string,
  init: { method?: string; key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if (text && (response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: response.status, body: text ? parsed : undefined, headers: response.headers };
}

export const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
export const UUID = expect.stringMatching(
  /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
);

/**
 * A JSON request from the loopback address `localAddress` (Linux routes all of 127.0.0.0/8 to lo),
 * on a fresh connection: how tests act as several clients.
 */
export function requestFrom(
  localAddress: string,
  url: string,
  init: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const req = httpRequest(
      url,
      { method: init.method ?? 'GET', localAddress, agent: false, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body === undefined ? undefined : JSON.stringify(init.body));
  });
}
