import type { JobStatusView, Roster } from '@roster/core';
import { RosterError } from '@roster/core';
import type { BulkQueryOperation } from '@roster/core/schemas';
import type { Router } from 'express';
import { recordAudit } from '../audit.js';
import { projectIdOf } from '../auth.js';
import { uploadFile } from '../upload.js';
import { flatOn, sendFlatError } from './plunk-format.js';

/** Plunk's job status body: never the payload (the uploaded file). */
function toPlunkJobStatus(status: JobStatusView) {
  return {
    id: status.id,
    state: status.state,
    progress: status.progress,
    result: status.result,
    ...(status.failedReason === undefined ? {} : { failedReason: status.failedReason }),
  };
}

const BULK_ROUTES: [path: string, operation: BulkQueryOperation][] = [
  ['/contacts/bulk-subscribe', 'subscribe'],
  ['/contacts/bulk-unsubscribe', 'unsubscribe'],
  ['/contacts/bulk-delete', 'delete'],
];

/**
 * Queues the bulk operation of a Plunk bulk body: `{mode: "ids", contactIds}` or
 * `{mode: "query", filter?: {search?, subscribed?}, excludeIds?}` (Plunk's `bulkAction` schema).
 */
async function enqueueBulk(roster: Roster, projectId: string, operation: BulkQueryOperation, body: unknown) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw RosterError.validation([{ field: 'body', message: 'must be a JSON object' }]);
  }
  const value = body as { mode?: unknown; contactIds?: unknown; filter?: unknown; excludeIds?: unknown };
  if (value.mode === 'ids') return roster.bulk.enqueue(projectId, operation, value.contactIds as string[]);
  if (value.mode === 'query') {
    return roster.bulk.enqueueQuery(projectId, {
      operation,
      filter: value.filter as never,
      excludeIds: value.excludeIds as string[] | undefined,
    });
  }
  throw RosterError.validation([
    {
      field: 'mode',
      message: value.mode === undefined ? 'is required: "ids" or "query"' : 'must be "ids" or "query"',
    },
  ]);
}

/**
 * Plunk's CSV import and bulk endpoints: queued as durable jobs (202 + job id), polled by id.
 * Registered on the Plunk router after its auth middleware.
 */
export function registerPlunkJobRoutes(router: Router, roster: Roster): void {
  router.post('/contacts/import', uploadFile(roster), async (req, res) => {
    if (!req.file) return sendFlatError(res, 400, 'CSV file is required');
    const job = await roster.imports.enqueue(projectIdOf(res), {
      file: req.file.buffer,
      name: req.file.originalname || null,
    });
    await recordAudit(roster, req, res, {
      action: 'import.started',
      target: job.id,
      detail: { file: req.file.originalname || null, bytes: req.file.size },
    });
    res.status(202).json({ message: 'Import queued successfully', jobId: job.id });
  });

  router.get('/contacts/import/:jobId', (req, res) =>
    flatOn(res, { not_found: { status: 404, message: 'Import job not found' } }, async () => {
      res.json(toPlunkJobStatus(await roster.imports.status(projectIdOf(res), req.params.jobId)));
    }),
  );

  for (const [path, operation] of BULK_ROUTES) {
    router.post(path, (req, res) =>
      flatOn(res, { validation_failed: { status: 400 } }, async () => {
        const jobId = await enqueueBulk(roster, projectIdOf(res), operation, req.body);
        if (operation !== 'subscribe') {
          const mode = (req.body as { mode?: unknown }).mode;
          await recordAudit(roster, req, res, {
            action: operation === 'delete' ? 'contacts.bulk_deleted' : 'contacts.bulk_unsubscribed',
            target: jobId,
            detail: {
              mode,
              ...(mode === 'ids' ? { count: (req.body as { contactIds: unknown[] }).contactIds.length } : {}),
            },
          });
        }
        res.status(202).json({ message: `Bulk ${operation} queued successfully`, jobId });
      }),
    );
  }

  router.get('/contacts/bulk/:jobId', (req, res) =>
    flatOn(res, { not_found: { status: 404, message: 'Bulk action job not found' } }, async () => {
      res.json(toPlunkJobStatus(await roster.bulk.status(projectIdOf(res), req.params.jobId)));
    }),
  );
}
