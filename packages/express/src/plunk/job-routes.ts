import type { FieldIssue, JobStatusView, Roster } from '@roster/core';
import { isRosterError, RosterError } from '@roster/core';
import type { BulkQueryOperation } from '@roster/core/schemas';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import multer from 'multer';
import { projectIdOf } from '../auth.js';

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

/**
 * Bounds of the rest of an import's multipart body: the CSV is the only thing roster reads, so text
 * fields beside it are few and small (their memory is held until the request ends).
 */
export const MULTIPART_LIMITS = {
  /** Text fields beside the file. */
  fields: 10,
  /** Bytes of one text field's value. */
  fieldSize: 1024,
  /** Bytes of one field name. */
  fieldNameSize: 100,
  /** Parts in all (fields + the file). */
  parts: 11,
  /** Header lines of one part. */
  headerPairs: 20,
} as const;

const MULTIPART_LIMIT_MESSAGES: Record<string, string> = {
  LIMIT_PART_COUNT: `has more than ${MULTIPART_LIMITS.parts} parts`,
  LIMIT_FIELD_COUNT: `has more than ${MULTIPART_LIMITS.fields} text fields`,
  LIMIT_FIELD_KEY: `has a field name longer than ${MULTIPART_LIMITS.fieldNameSize} bytes`,
  LIMIT_FIELD_VALUE: `has a text field longer than ${MULTIPART_LIMITS.fieldSize} bytes`,
};

/** A second file is a malformed request (400), not a large one: the upload takes exactly one. */
const ONE_FILE = 'must be one file: the request has more than one';

/**
 * Multipart field `file`, held in memory up to the import limit; multer's errors become RosterErrors.
 * File names are read as UTF-8, as browsers send them (multer's default, latin1, garbles `café.csv`).
 */
export function uploadFile(roster: Roster): RequestHandler {
  const limit = roster.options.limits.maxImportBytes;
  const upload = multer({
    storage: multer.memoryStorage(),
    // No `files` limit: `.single('file')` refuses any second file itself (LIMIT_UNEXPECTED_FILE, with
    // the field it came in), which names the field at fault; the part limit bounds the rest.
    limits: { ...MULTIPART_LIMITS, fileSize: limit },
    defParamCharset: 'utf8',
  }).single('file');
  return (req: Request, res: Response, next: NextFunction) => {
    upload(req, res, (error: unknown) => {
      if (!error) return next();
      // Read and discard what the client is still sending, so it receives the answer.
      req.resume();
      if (error instanceof multer.MulterError) {
        if (error.code === 'LIMIT_FILE_SIZE') {
          return next(
            RosterError.payloadTooLarge(`The file is larger than the limit of ${limit} bytes`, {
              field: 'file',
              limit,
            }),
          );
        }
        const bound = MULTIPART_LIMIT_MESSAGES[error.code];
        if (bound) {
          return next(
            RosterError.payloadTooLarge(`The multipart body ${bound}`, {
              field: error.field ?? 'body',
              problem: bound,
            }),
          );
        }
        const field = error.field ?? 'file';
        if (
          error.code === 'LIMIT_FILE_COUNT' ||
          (error.code === 'LIMIT_UNEXPECTED_FILE' && field === 'file')
        ) {
          return next(RosterError.validation([{ field: 'file', message: ONE_FILE }], `file: ${ONE_FILE}`));
        }
        if (error.code === 'LIMIT_UNEXPECTED_FILE') {
          return next(
            RosterError.validation(
              [{ field, message: 'is not expected: send the CSV as the multipart field "file"' }],
              `Unexpected file field "${field}": send the CSV as the multipart field "file"`,
            ),
          );
        }
        return next(
          RosterError.validation(
            [{ field, message: error.message.toLowerCase() }],
            `${field}: ${error.message}`,
          ),
        );
      }
      next(RosterError.validation([{ field: 'body', message: 'is not a valid multipart/form-data body' }]));
    });
  };
}

const BULK_ROUTES: [path: string, operation: BulkQueryOperation][] = [
  ['/contacts/bulk-subscribe', 'subscribe'],
  ['/contacts/bulk-unsubscribe', 'unsubscribe'],
  ['/contacts/bulk-delete', 'delete'],
];

/**
 * Plunk's flat error body (`{"error": "<message>"}`, its OpenAPI `LegacyError`), which Plunk's
 * controller sends for the cases it validates by hand: bulk payloads, a missing CSV file, unknown
 * job ids, a missing email.
 */
export function sendFlatError(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}

/** The first problem of a `validation_failed` error, as one line naming the field. */
export function flatMessage(error: { message: string; details: { issues?: FieldIssue[] } }): string {
  const issue = error.details.issues?.[0];
  return issue ? `${issue.field}: ${issue.message}` : error.message;
}

/** Runs `work`; a `validation_failed` (or `not_found`) from core is answered in Plunk's flat shape. */
async function flatOn(
  res: Response,
  codes: Partial<Record<'validation_failed' | 'not_found', { status: number; message?: string }>>,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (isRosterError(error) && (error.code === 'validation_failed' || error.code === 'not_found')) {
      const flat = codes[error.code];
      if (flat) return sendFlatError(res, flat.status, flat.message ?? flatMessage(error));
    }
    throw error;
  }
}

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
