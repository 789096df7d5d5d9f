import type { Kysely } from 'kysely';
import { type Clock, systemClock } from './clock.js';

/** Options of `createRoster`. Every one is optional; defaults are resolved once and frozen. */
export interface RosterOptions {
  /**
   * Where contacts live: a SQLite file path, `':memory:'`, or a Kysely instance you own
   * (roster then never closes it).
   * @default ':memory:'
   */
  database?: string | Kysely<any>;
  /**
   * Bring the schema up to date when the roster is created.
   * @default true
   */
  migrate?: boolean;
  /**
   * Source of the current time, for tests.
   * @default () => new Date()
   */
  clock?: Clock;
}

export interface ResolvedRosterOptions {
  readonly database: string | Kysely<any>;
  readonly migrate: boolean;
  readonly clock: Clock;
}

export function resolveOptions(options: RosterOptions = {}): ResolvedRosterOptions {
  return Object.freeze({
    database: options.database ?? ':memory:',
    migrate: options.migrate ?? true,
    clock: options.clock ?? systemClock,
  });
}
