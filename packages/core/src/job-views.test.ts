import { describe, expect, it } from 'vitest';
import { toImportView } from './imports/import-job.js';
import { SUMMARIZED_JOB_TYPES, toJobView } from './job-views.js';
import type { Job } from './jobs/job-types.js';

const AT = '2030-01-01T00:00:00.000Z';
const LATER = '2030-01-01T00:01:00.000Z';

function job(fields: Partial<Job>): Job {
  return {
    id: 'j1',
    projectId: 'p1',
    type: 'import',
    status: 'running',
    payload: null,
    attempts: 1,
    maxAttempts: 3,
    runAt: AT,
    lockedAt: AT,
    lockedBy: 'w1',
    progress: null,
    result: null,
    lastError: null,
    createdAt: AT,
    updatedAt: LATER,
    ...fields,
  };
}

const counts = { totalRows: 10, successCount: 7, createdCount: 5, updatedCount: 2, failureCount: 3 };

describe('job views', () => {
  it('summarises a running import from the counts of its last committed batch, naming only the file', () => {
    const view = toJobView(
      job({
        type: 'import.local',
        payload: { source: { kind: 'path', path: '/srv/private/folder/people.csv', size: 1, mtimeMs: 0 } },
        progress: { percent: 42.9, counts, errors: [] },
      }),
    );
    expect(view).toEqual({
      id: 'j1',
      type: 'import.local',
      state: 'active',
      progress: 42,
      attempts: 1,
      summary: { kind: 'import', file: 'people.csv', rows: { total: 10, created: 5, updated: 2, failed: 3 } },
      createdAt: AT,
      updatedAt: LATER,
      finishedAt: null,
    });
    expect(JSON.stringify(view.summary)).toBe(
      '{"kind":"import","file":"people.csv","rows":{"total":10,"created":5,"updated":2,"failed":3}}',
    );
  });

  it('summarises a queued import of an unnamed upload as no file and zero rows', () => {
    const view = toJobView(
      job({ status: 'queued', payload: { source: { kind: 'stored', fileId: 'f', name: null, size: 1 } } }),
    );
    expect(view.summary).toEqual({
      kind: 'import',
      file: null,
      rows: { total: 0, created: 0, updated: 0, failed: 0 },
    });
    expect(view.state).toBe('waiting');
  });

  it('summarises a running bulk job from the result its committed work stored, and a failed one with its reason', () => {
    const result = {
      operation: 'delete',
      totalRequested: 9,
      successCount: 4,
      unchangedCount: 1,
      failureCount: 2,
      errors: [],
    };
    const running = toJobView(
      job({ type: 'bulk', payload: { operation: 'delete' }, progress: { percent: 50, result } }),
    );
    expect(JSON.stringify(running.summary)).toBe(
      '{"kind":"bulk","operation":"delete","requested":9,"succeeded":4,"unchanged":1,"failed":2}',
    );
    const failed = toJobView(job({ type: 'bulk', status: 'failed', lastError: 'boom', payload: {} }));
    expect(failed).toMatchObject({
      state: 'failed',
      failedReason: 'boom',
      finishedAt: LATER,
      summary: { kind: 'bulk', operation: 'unknown', requested: 0 },
    });
    expect(Object.keys(failed)).toEqual([
      'id',
      'type',
      'state',
      'progress',
      'attempts',
      'summary',
      'failedReason',
      'createdAt',
      'updatedAt',
      'finishedAt',
    ]);
  });

  it('has no summary for other job types, which are not listed by default', () => {
    expect(toJobView(job({ type: 'webhook.delivery' })).summary).toBeNull();
    expect(SUMMARIZED_JOB_TYPES).toEqual(['import', 'import.local', 'bulk', 'migrate']);
  });

  it('shows an import with the rows counted so far, then the result and its row errors', () => {
    const status = {
      id: 'j1',
      state: 'active' as const,
      progress: 10,
      result: null,
      attempts: 1,
      createdAt: AT,
      updatedAt: LATER,
    };
    const errors = [{ row: 3, email: 'bad', error: 'Invalid email' }];
    const progress = { percent: 10, bytes: 1, line: 3, header: ['email'], delimiter: ',', counts, errors };
    expect(toImportView(status, progress)).toEqual({
      id: 'j1',
      state: 'active',
      progress: 10,
      rows: { total: 10, created: 5, updated: 2, failed: 3, suppressed: 0 },
      errors,
      createdAt: AT,
      updatedAt: LATER,
    });
    const done = toImportView(
      { ...status, state: 'completed', progress: 100, result: { ...counts, errors: [] } },
      null,
    );
    expect(done.errors).toEqual([]);
    expect(toImportView(status, null).rows).toEqual({
      total: 0,
      created: 0,
      updated: 0,
      failed: 0,
      suppressed: 0,
    });
  });
});
