import type { ImportColumnMapInput, Job, Roster } from '@roster/core';
import { isRosterError, RosterError } from '@roster/core';
import { importCounts } from '@roster/core/internal';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { firstQueryValue } from '../router-kit.js';
import { uploadFile } from '../upload.js';
import { resendList, toResendTime } from './resend-format.js';
import { limitParam, segmentIdsOf } from './resend-params.js';

/** Bytes of one multipart text field (`column_map`, `segments`, `topics` are JSON texts). */
export const RESEND_IMPORT_FIELD_BYTES = 64 * 1024;

/** Resend's import statuses, by roster's job status. */
const RESEND_IMPORT_STATUS = {
  queued: 'queued',
  running: 'in_progress',
  completed: 'completed',
  failed: 'failed',
} as const;
type JobStatus = keyof typeof RESEND_IMPORT_STATUS;
const STATUS_OF_RESEND = new Map(
  Object.entries(RESEND_IMPORT_STATUS).map(([job, resend]) => [resend as string, job as JobStatus]),
);

/** An import job as Resend answers it (`GET /contacts/imports/{id}` and the list's items). */
export function toResendImport(job: Job) {
  const status = RESEND_IMPORT_STATUS[job.status];
  const finished = job.status === 'completed' || job.status === 'failed';
  return {
    object: 'contact_import' as const,
    id: job.id,
    status,
    created_at: toResendTime(job.createdAt),
    completed_at: finished ? toResendTime(job.updatedAt) : null,
    counts: importCounts(job as Parameters<typeof importCounts>[0]),
  };
}

/** A multipart text field holding JSON, parsed (absent or empty: undefined). */
function jsonField(body: Record<string, unknown>, field: string): unknown {
  const value = body[field];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw RosterError.validation([{ field, message: 'must be one text field holding JSON' }]);
  }
  try {
    return JSON.parse(value);
  } catch {
    throw RosterError.validation([{ field, message: 'must be valid JSON' }]);
  }
}

/** `column_map` (snake_case, as the SDK sends it) in core's words; core validates the rest. */
function columnMapOf(value: unknown): ImportColumnMapInput | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw RosterError.validation([{ field: 'column_map', message: 'must be a JSON object' }]);
  }
  const map = value as Record<string, unknown>;
  const fields = {
    email: map.email,
    firstName: map.first_name,
    lastName: map.last_name,
    unsubscribed: map.unsubscribed,
    properties: map.properties,
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && v !== null),
  ) as ImportColumnMapInput;
}

// Core's field names in the body's words (`columnMap.firstName` is `column_map.first_name`).
const FIELD_PARTS: ReadonlyMap<string, string> = new Map([
  ['columnMap', 'column_map'],
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['onConflict', 'on_conflict'],
  ['segmentIds', 'segments'],
]);

function wireImportField(field: string): string {
  const [first = '', second, ...rest] = field.split('.');
  const head = FIELD_PARTS.get(first) ?? first;
  if (second === undefined) return head;
  // Inside `column_map` the next part is a field name; property keys (further in) are the user's.
  const next = first === 'columnMap' ? (FIELD_PARTS.get(second) ?? second) : second;
  return [head, next, ...rest].join('.');
}

async function withImportFields<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isRosterError(error) || error.code !== 'validation_failed') throw error;
    const issues = (error.details.issues ?? []).map((issue) => ({
      field: wireImportField(issue.field),
      message: issue.message,
    }));
    throw issues.length > 0 ? RosterError.validation(issues) : error;
  }
}

/**
 * Resend's contact imports: `POST /contacts/imports` (multipart `file`, `column_map`, `on_conflict`,
 * `segments`, `topics`) queues roster's durable import job (the file is stored in the database
 * before the answer); `GET /contacts/imports[/{id}]` reads those jobs back.
 */
export function registerResendImportRoutes(router: Router, roster: Roster): void {
  router.post(
    '/contacts/imports',
    uploadFile(roster, { fieldSize: RESEND_IMPORT_FIELD_BYTES }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!req.file) throw RosterError.validation([{ field: 'file', message: 'is required' }]);
      const onConflict = body.on_conflict;
      if (onConflict !== undefined && onConflict !== 'skip' && onConflict !== 'upsert') {
        throw RosterError.validation([{ field: 'on_conflict', message: 'must be "upsert" or "skip"' }]);
      }
      const topics = jsonField(body, 'topics');
      const job = await withImportFields(() =>
        roster.imports.enqueue(projectIdOf(res), {
          file: req.file!.buffer,
          name: req.file!.originalname || null,
          columnMap: columnMapOf(jsonField(body, 'column_map')) ?? {},
          // Resend's default: existing contacts are left alone.
          onConflict: (onConflict as 'skip' | 'upsert' | undefined) ?? 'skip',
          segmentIds: segmentIdsOf(jsonField(body, 'segments')),
          ...(topics === undefined ? {} : { topics: topics as never }),
        }),
      );
      res.status(201).json({ object: 'contact_import', id: job.id });
    },
  );

  router.get('/contacts/imports', async (req, res) => {
    const limit = limitParam(req.query.limit);
    if (firstQueryValue(req.query.before) !== undefined) {
      throw RosterError.validation([
        { field: 'before', message: 'is not supported on imports: page with after (newest first)' },
      ]);
    }
    const statusParam = firstQueryValue(req.query.status);
    let statuses: JobStatus[] | undefined;
    if (statusParam !== undefined) {
      const status = STATUS_OF_RESEND.get(statusParam);
      if (!status) {
        throw RosterError.validation([
          { field: 'status', message: 'must be queued, in_progress, completed or failed' },
        ]);
      }
      statuses = [status];
    }
    const page = await roster.imports.list(projectIdOf(res), {
      limit,
      cursor: firstQueryValue(req.query.after) ?? null,
      ...(statuses ? { statuses } : {}),
    });
    res.json(resendList(page.data.map(toResendImport), page.hasMore));
  });

  router.get('/contacts/imports/:id', async (req, res) => {
    res.json(toResendImport(await roster.imports.get(projectIdOf(res), req.params.id as string)));
  });
}
