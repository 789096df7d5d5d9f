import type { Kysely } from 'kysely';
import type { Clock } from './clock.js';
import type { DialectInfo } from './db/dialect.js';
import type { Database } from './db/schema.js';

/**
 * What every `create…Service` takes: one object, extended per service with its own options
 * (e.g. `ContactServiceDeps`). Built once in `createRoster`.
 */
export interface ServiceDeps {
  db: Kysely<Database>;
  dialect: DialectInfo;
  clock: Clock;
}
