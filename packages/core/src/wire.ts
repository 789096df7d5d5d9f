/**
 * `@roster/core/wire`: the JSON shapes roster's management API (`/roster`, served by
 * `@roster/express`) answers for jobs and imports. Types only, and this module imports nothing, so a
 * browser app (the dashboard) can take the same types as the router that builds them without
 * bringing in core's Node code.
 */

/** What a job of `GET /jobs` says about its work, by job type (never the payload). */
export type JobSummary =
  | {
      kind: 'import';
      file: string | null;
      rows: { total: number; created: number; updated: number; failed: number };
    }
  | {
      kind: 'bulk';
      operation: string;
      requested: number;
      succeeded: number;
      unchanged: number;
      failed: number;
    };

/** A job of `GET /jobs`: state, progress and a type-specific summary. */
export interface JobView {
  id: string;
  type: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  attempts: number;
  summary: JobSummary | null;
  failedReason?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** An import of `GET /imports/:jobId`, with the rows that failed. */
export interface ImportView {
  id: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  rows: { total: number; created: number; updated: number; failed: number };
  errors: { row: number; email: string; error: string }[];
  failedReason?: string;
  createdAt: string;
  updatedAt: string;
}
