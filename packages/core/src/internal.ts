/**
 * `@roster/core/internal`: what roster's own packages (`@roster/express`, `@roster/server`) take
 * from core beyond the documented surface. Unstable: not for users, may change in any release.
 */

export { contactTime, contactTimeIso } from './contacts/contact-time.js';
export { DATA_COLUMN_PREFIX, escapeFormula } from './imports/csv-format.js';
export { importCounts, toImportView } from './imports/import-job.js';
export { SUMMARIZED_JOB_TYPES, summarizeJob, toJobView } from './job-views.js';
export { toJobStatus } from './jobs/job-status.js';
export { storableText } from './text-rules.js';
