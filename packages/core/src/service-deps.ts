import type { Kysely } from 'kysely';
import type { Clock } from './clock.js';
import type { DialectInfo } from './db/dialect.js';
import type { Database } from './db/schema.js';
import type { ChangeNotifier } from './outbox/outbox-types.js';
import type { Telemetry } from './telemetry.js';

/**
 * What every `create…Service` takes: one object, extended per service with its own options
 * (e.g. `ContactServiceDeps`). Built once in `createRoster`.
 */
export interface ServiceDeps {
  db: Kysely<Database>;
  dialect: DialectInfo;
  clock: Clock;
  /**
   * Told when a write appended change events and when its transaction committed, so the change
   * feed dispatches at once (absent: the feed finds them by polling).
   */
  changes?: ChangeNotifier | undefined;
  /** Where background work reports itself: log lines and metric events (absent: nowhere). */
  telemetry?: Telemetry | undefined;
}
