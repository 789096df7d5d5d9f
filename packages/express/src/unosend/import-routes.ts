import { type Roster, RosterError } from '@roster/core';
import type { Response, Router } from 'express';
import { recordAudit } from '../audit.js';
import { projectIdOf } from '../auth.js';
import { EXPORT_ONLY_COLUMNS } from '../export-stream.js';
import { requireObject } from '../router-kit.js';

/**
 * `POST /contacts/import` (the CSV inside the JSON body; waits up to `importWaitMs` for the job)
 * and `GET /contacts/import/:id`.
 */
export function registerUnosendImportRoutes(router: Router, roster: Roster, importWaitMs: number): void {
  router.post('/contacts/import', async (req, res) => {
    const body = requireObject(req.body);
    const projectId = projectIdOf(res);
    if (body.format !== undefined && body.format !== 'csv') {
      throw RosterError.validation([{ field: 'format', message: 'must be csv' }]);
    }
    if (typeof body.file !== 'string') {
      throw RosterError.validation([
        { field: 'file', message: body.file === undefined ? 'is required' : 'must be a string (the CSV)' },
      ]);
    }
    // Core checks the audience first (non-UUID 400, unknown or another project's 404), before storing anything.
    const job = await roster.imports.enqueue(projectId, {
      file: csvBytesOf(body.file),
      name: 'unosend-import.csv',
      audienceId: body.audience_id as string | null | undefined,
      // Unosend contacts have names: first_name / last_name columns fill them.
      nameColumns: true,
      // The other columns of Unosend's own export are not metadata (the audience is chosen with
      // audience_id; imported contacts get their own creation time).
      skipColumns: EXPORT_ONLY_COLUMNS,
    });
    await recordAudit(roster, req, res, {
      action: 'import.started',
      target: job.id,
      detail: { file: 'unosend-import.csv', bytes: body.file.length },
    });
    // Stop waiting when the client goes away.
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.once('close', onClose);
    if (res.destroyed) gone.abort();
    try {
      sendImportStatus(
        res,
        await roster.imports.wait(projectId, job.id, { timeoutMs: importWaitMs, signal: gone.signal }),
      );
    } finally {
      res.off('close', onClose);
    }
  });

  router.get('/contacts/import/:id', async (req, res) => {
    sendImportStatus(res, await roster.imports.status(projectIdOf(res), req.params.id));
  });
}

type ImportStatus = Awaited<ReturnType<Roster['imports']['status']>>;

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The CSV of an import body: the text itself, or its base64 (as the SDK's README shows). A CSV
 * with data rows always holds an `@`, which base64 never does, so the two cannot be confused.
 */
function csvBytesOf(file: string): Uint8Array {
  const compact = file.replace(/\s+/g, '');
  if (compact.length >= 8 && compact.length % 4 === 0 && BASE64_RE.test(compact)) {
    const decoded = Buffer.from(compact, 'base64');
    const text = decoded.toString('utf8');
    if (!text.includes('\uFFFD') && /email/i.test(text)) return decoded;
  }
  return Buffer.from(file, 'utf8');
}

/**
 * A finished import in Unosend's words (`imported` new contacts, `duplicates` rows whose email was
 * already there and which roster merged, `errors` rejected rows), with roster's job id. An import
 * still running is a 202 with the job id to poll at `GET /v1/contacts/import/:id`.
 */
function sendImportStatus(res: Response, status: ImportStatus): void {
  if (status.state === 'failed') {
    throw new RosterError('job_failed', `Import failed: ${status.failedReason ?? 'unknown error'}`, {
      resource: 'import',
    });
  }
  if (status.state !== 'completed' || !status.result) {
    res.status(202).json({ data: { id: status.id, status: status.state, progress: status.progress } });
    return;
  }
  const result = status.result;
  res.json({
    data: {
      id: status.id,
      status: 'completed',
      imported: result.createdCount,
      duplicates: result.updatedCount,
      errors: result.failureCount,
      total: result.totalRows,
      errorDetails: result.errors.slice(0, 10),
    },
  });
}
