import { RosterError } from '../errors.js';
import type { Job } from './job-types.js';

/** A job's state in the words of queue libraries (and Plunk's job status endpoints). */
export type JobState = 'waiting' | 'active' | 'completed' | 'failed';

/** What a caller polling a job sees. Never contains the payload (e.g. an uploaded file). */
export interface JobStatusView<R = unknown> {
  id: string;
  state: JobState;
  /** 0–100. */
  progress: number;
  /** The result once completed, else null. */
  result: R | null;
  /** Why it failed, when `state` is `failed`. */
  failedReason?: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

const STATES = { queued: 'waiting', running: 'active', completed: 'completed', failed: 'failed' } as const;

/** Maps a job to its status. Handlers store `{ percent }` in their progress to report it. */
export function toJobStatus<R>(job: Job<unknown, R>): JobStatusView<R> {
  const state = STATES[job.status];
  const stored = (job.progress as { percent?: unknown } | null)?.percent;
  const percent = typeof stored === 'number' ? Math.max(0, Math.min(100, Math.floor(stored))) : 0;
  const view: JobStatusView<R> = {
    id: job.id,
    state,
    progress: state === 'completed' ? 100 : percent,
    result: state === 'completed' ? job.result : null,
    attempts: job.attempts,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  if (state === 'failed') view.failedReason = job.lastError ?? 'Unknown error';
  return view;
}

/** Throws `not_found` (resource `job`) unless the job is of `type`. */
export function expectType<J extends Job<any, any>>(job: J, type: string): J {
  if (job.type !== type) throw RosterError.notFound('job');
  return job;
}
