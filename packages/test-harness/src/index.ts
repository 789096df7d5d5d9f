import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRoster, type Roster, RosterError, type RosterOptions } from '@roster/core';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect } from 'vitest';

/** Set by .ci/run when a PostgreSQL server answers; Postgres cases are skipped (and say so) without it. */
export const PG_URL = process.env.ROSTER_TEST_PG_URL;

export type TestDialect = 'sqlite' | 'postgres';

export const TEST_DIALECTS: TestDialect[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

let warned = false;
function noteSkip(): void {
  if (PG_URL || warned) return;
  warned = true;
  console.info('[roster tests] ROSTER_TEST_PG_URL is not set: PostgreSQL cases are skipped');
}

/** A URL whose connections use a fresh schema (then public, where extensions live). */
function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema},public`);
  return u.toString();
}

/** The options of a test roster: a roster's, with the database chosen by the dialect (and `sqlitePath`). */
export type TestRosterOptions = Omit<RosterOptions, 'database'> & { sqlitePath?: string };

/**
 * Creates a roster on a fresh, empty database of the dialect: SQLite in memory (or at `sqlitePath`),
 * or a new PostgreSQL schema that is dropped again when the roster is closed.
 */
export async function createTestRoster(
  dialect: TestDialect,
  options: TestRosterOptions = {},
): Promise<Roster> {
  const { sqlitePath, ...rest } = options;
  if (dialect === 'sqlite') return createRoster({ ...rest, database: sqlitePath ?? ':memory:' });
  const schema = await createPgTestSchema();
  const roster = await createRoster({ ...rest, database: schema.url });
  const close = roster.close.bind(roster);
  return Object.assign(roster, {
    async close() {
      await close();
      await schema.drop();
    },
  });
}

export interface PgTestSchema {
  /** A connection URL whose sessions work in the new schema. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL schema for one test (or one multi-process scenario); `drop()` removes it. */
export async function createPgTestSchema(): Promise<PgTestSchema> {
  if (!PG_URL) throw new Error('ROSTER_TEST_PG_URL is not set');
  const admin = PG_URL;
  const schema = `roster_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(admin, async (db) => {
    // Extensions are per database: install pg_trgm once in public, so no test schema owns (and drops) it.
    await sql`create extension if not exists pg_trgm schema public`.execute(db).catch(() => {});
    await sql`create schema ${sql.id(schema)}`.execute(db);
  });
  return {
    url: withSearchPath(admin, schema),
    drop: () => withAdmin(admin, (db) => sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)),
  };
}

async function withAdmin(url: string, run: (db: Roster['db']) => Promise<unknown>): Promise<void> {
  const admin = await createRoster({ database: url, migrate: false });
  try {
    await run(admin.db);
  } finally {
    await admin.close();
  }
}

/** Runs the same suite once per available dialect: `describeEachDialect('contacts', (dialect) => ...)`. */
export function describeEachDialect(title: string, suite: (dialect: TestDialect) => void): void {
  noteSkip();
  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe.skipIf(!TEST_DIALECTS.includes(dialect))(`${title} [${dialect}]`, () => suite(dialect));
  }
}

/**
 * Registers the hooks most core suites share: before each test a fresh roster of the dialect with the
 * named projects ensured (in order), handed to `ready` with their ids; after each test it is closed.
 */
export function eachTestRoster<const Names extends readonly string[]>(
  dialect: TestDialect,
  projectNames: Names,
  ready: (roster: Roster, projectIds: { [K in keyof Names]: string }) => void,
  options: TestRosterOptions = {},
): void {
  let roster: Roster | undefined;
  beforeEach(async () => {
    roster = await createTestRoster(dialect, options);
    const projectIds: string[] = [];
    for (const name of projectNames) projectIds.push((await roster.projects.ensure(name)).id);
    ready(roster, projectIds as { [K in keyof Names]: string });
  });
  afterEach(async () => {
    await roster?.close();
    roster = undefined;
  });
}

/** What `eachMainAndOtherProject` hands over before each test. */
export interface MainAndOtherProject {
  roster: Roster;
  /** The project `main`: the one the tests work in. */
  projectId: string;
  /** The project `other`: for checking that nothing leaks across projects. */
  otherProjectId: string;
}

/**
 * The setup most core suites share: `eachTestRoster` with the projects `main` and `other`, handed to
 * `ready` before each test (`(t) => ({ roster, projectId, otherProjectId } = t)`).
 */
export function eachMainAndOtherProject(
  dialect: TestDialect,
  ready: (setup: MainAndOtherProject) => void,
  options: TestRosterOptions = {},
): void {
  eachTestRoster(
    dialect,
    ['main', 'other'],
    (roster, [projectId, otherProjectId]) => ready({ roster, projectId, otherProjectId }),
    options,
  );
}

/** The `RosterError` the promise rejects with (the test fails when it resolves or rejects otherwise). */
export async function rosterRejection(promise: Promise<unknown>): Promise<RosterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RosterError);
  return error as RosterError;
}

/**
 * For suites whose tests open their own rosters (options per test): returns `open(options)`, which creates a
 * fresh roster of the dialect as createTestRoster does. After each test, the rosters it opened that the test
 * did not close itself are closed, newest first.
 */
export function openTestRosters(dialect: TestDialect): (options?: TestRosterOptions) => Promise<Roster> {
  const opened: Roster[] = [];
  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
  });
  return async (options = {}) => {
    const roster = await createTestRoster(dialect, options);
    opened.push(roster);
    const close = roster.close.bind(roster);
    return Object.assign(roster, {
      async close() {
        const at = opened.indexOf(roster);
        if (at >= 0) opened.splice(at, 1);
        await close();
      },
    });
  };
}

/** A promise and the function that resolves it: Promise.withResolvers without reject (Node 20 lacks it). */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * An HTTP server on a free loopback port (e.g. a webhook receiver). `close()` also ends the
 * connections still open, requests left unanswered among them.
 */
export async function listenOnLoopback(
  handler: RequestListener,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export * from './export-fixtures.js';
