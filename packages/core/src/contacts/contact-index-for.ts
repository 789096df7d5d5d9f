import type { DialectInfo } from '../db/dialect.js';
import type { ContactIndex, ContactIndexOptions } from './contact-index.js';
import { postgresContactIndex } from './postgres-contact-index.js';
import { sqliteContactIndex } from './sqlite-contact-index.js';

/**
 * The contact index of `dialect`, chosen once when the roster is created. Its own file, apart from
 * the `ContactIndex` interface that each strategy implements, so no strategy imports its chooser.
 */
export function contactIndexFor(dialect: DialectInfo, options: ContactIndexOptions): ContactIndex {
  return dialect.name === 'postgres' ? postgresContactIndex() : sqliteContactIndex(options);
}
