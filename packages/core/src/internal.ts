/**
 * `@roster/core/internal`: what roster's own packages (`@roster/express`, `@roster/server`) take
 * from core beyond the documented surface. Unstable: not for users, may change in any release.
 */
export { DATA_COLUMN_PREFIX, escapeFormula } from './imports/csv-format.js';
export { toJobStatus } from './jobs/job-status.js';
