import { basename } from 'node:path';
import { audienceExists } from '../audiences/audience-repository.js';
import { isoNow } from '../clock.js';
import {
  type ContactBatchUpsert,
  findSubscriptionsByEmail,
  upsertContactBatch,
} from '../contacts/contact-batch-repository.js';
import { recordSubscriptionFlips } from '../contacts/contact-changes.js';
import { RESERVED_DATA_KEYS } from '../contacts/contact-data.js';
import { MAX_NAME_LENGTH, normaliseEmail, validateContactFields } from '../contacts/contact-fields.js';
import type { ContactIndex } from '../contacts/contact-index.js';
import { findContactIdsByEmail, insertContactsIfNew } from '../contacts/contact-repository.js';
import type { Db } from '../db/schema.js';
import { clipText, RosterError } from '../errors.js';
import { deleteFile } from '../files/file-store.js';
import { uuidv7 } from '../ids.js';
import type { JobStatusView } from '../jobs/job-status.js';
import type { Job, JobContext, JobDefinition } from '../jobs/job-types.js';
import type { ContactField, OutboxBatchGroup } from '../outbox/outbox-types.js';
import { recordBatch, recordJobChange } from '../outbox/outbox-writes.js';
import {
  type PropertyTypeCache,
  type PropertyTypes,
  propertyTypeProblem,
  uncachedPropertyTypes,
} from '../properties/property-check.js';
import { countMembers, enterMembers, findSegment, saveMemberCount } from '../segments/segment-repository.js';
import type { ServiceDeps } from '../service-deps.js';
import { lockAddresses } from '../suppressions/suppression-repository.js';
import { countUnsuppressed, suppressManyIn } from '../suppressions/suppression-service.js';
import { dataIssues, storableText, textProblem } from '../text-rules.js';
import { topicRows, upsertTopicsOfContacts } from '../topics/topic-repository.js';
import type { ImportView, JobSummary } from '../wire.js';
import {
  type CsvColumns,
  type CsvDelimiter,
  countLineBreaks,
  HEADER_SNIFF_BYTES,
  headerLine,
  MAX_CSV_RECORD_BYTES,
  mapColumnMap,
  mapHeader,
  parseSubscribedCell,
  parseTypedCell,
  sniffDelimiter,
  unescapeFormula,
} from './csv-format.js';
import { parseCsvRecords } from './csv-records.js';
import { planColumns } from './import-presets.js';
import { checkImportSource, openImportSource, readHead } from './import-source.js';
import {
  type ImportJobPayload,
  type ImportProgress,
  type ImportResult,
  type ImportRowError,
  type LiveImportProgress,
  MAX_KEPT_IMPORT_ERRORS,
} from './import-types.js';

export const IMPORT_JOB_TYPE = 'import';

/**
 * Imports of a file on the local disk of the process that queued them (`enqueueFromPath`, the
 * CLI): the same work as `import`, but only `runJob(id)` runs them (`byIdOnly`), so a server
 * sharing the database never claims one and reads a path that may not exist on its host.
 */
export const LOCAL_IMPORT_JOB_TYPE = 'import.local';

/** The reason of the suppressions an import of Mailchimp's cleaned members adds. */
export const MAILCHIMP_CLEANED_REASON = 'Mailchimp: cleaned';

/** Both import job types. */
export const IMPORT_JOB_TYPES: readonly string[] = [IMPORT_JOB_TYPE, LOCAL_IMPORT_JOB_TYPE];

const NON_BLANK = /\S/;
/** A cell starting with `'`, which `unescapeFormula` may change. */
const startsWithQuote = (cell: string) => cell.charCodeAt(0) === 39;
/** A decimal number as a CSV cell may write it (`12`, `-3.5`, `1e3`), read as a declared number property. */
const NUMBER_CELL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** True for a job of either import type, typed as one. */
export function isImportJob(job: Job): job is Job<ImportJobPayload, ImportResult> {
  return IMPORT_JOB_TYPES.includes(job.type);
}

/**
 * What an import job says about its work (`GET /roster/jobs`): the uploaded file's name, or the
 * name (never the server's folders) of a file `roster import` read in place, and the rows counted
 * so far (the result once completed). Never the payload.
 */
export function summarizeImportJob(
  job: Job<ImportJobPayload, ImportResult>,
): Extract<JobSummary, { kind: 'import' }> {
  const progress = job.progress as ImportProgress | null;
  const counts = (job.status === 'completed' ? job.result : null) ?? progress?.counts ?? null;
  const source = job.payload?.source;
  let file: string | null = null;
  if (source?.kind === 'stored' && typeof source.name === 'string') file = source.name;
  else if (source?.kind === 'path' && typeof source.path === 'string') file = basename(source.path) || null;
  else if (source?.kind === 'zip' && typeof source.path === 'string')
    file = `${basename(source.path)}/${basename(source.entry?.name ?? '')}`;
  return {
    kind: 'import',
    file,
    rows: {
      total: counts?.totalRows ?? 0,
      created: counts?.createdCount ?? 0,
      updated: counts?.updatedCount ?? 0,
      failed: counts?.failureCount ?? 0,
    },
  };
}

/**
 * The rows an import counted so far (its result once completed): Resend's `counts`. `skipped` is
 * 0 unless the import skips existing contacts.
 */
export function importCounts(job: Job<ImportJobPayload, ImportResult>): {
  total: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
} {
  const progress = job.progress as ImportProgress | null;
  const counts = (job.status === 'completed' ? job.result : null) ?? progress?.counts ?? null;
  return {
    total: counts?.totalRows ?? 0,
    created: counts?.createdCount ?? 0,
    updated: counts?.updatedCount ?? 0,
    skipped: counts?.skippedCount ?? 0,
    failed: counts?.failureCount ?? 0,
  };
}

/**
 * An import's state plus the rows counted so far (`GET /roster/imports/:jobId`): `progress` is
 * what `imports.progress` read (null once completed or before the first batch).
 */
export function toImportView(
  status: JobStatusView<ImportResult>,
  progress: ImportProgress | null,
): ImportView {
  const counts = status.result ?? progress?.counts ?? null;
  return {
    id: status.id,
    state: status.state,
    progress: status.progress,
    rows: counts
      ? {
          total: counts.totalRows,
          created: counts.createdCount,
          updated: counts.updatedCount,
          failed: counts.failureCount,
          suppressed: counts.suppressedCount ?? 0,
        }
      : { total: 0, created: 0, updated: 0, failed: 0, suppressed: 0 },
    errors: status.result?.errors ?? progress?.errors ?? [],
    ...(status.failedReason === undefined ? {} : { failedReason: status.failedReason }),
    createdAt: status.createdAt,
    updatedAt: status.updatedAt,
  };
}

export interface ImportJobDeps extends ServiceDeps {
  /** Rows per transaction. */
  batchSize: number;
  /** Parse in a worker thread (overlapping with the writes) instead of this thread. */
  parseInWorker: boolean;
  /** ...unless less than this is left to read (a worker costs more to start than parsing that). */
  workerMinBytes: number;
  /** The imports this process is running, by job id (kept up to date while they run). */
  live: Map<string, LiveImportProgress>;
  /** Told after each batch's contacts were written, in the batch's transaction. */
  contactIndex: ContactIndex;
  /** The declared property types rows are checked against (read again for every batch). */
  propertyTypes?: PropertyTypeCache | undefined;
}

interface Pending extends ContactBatchUpsert {
  /** Rows of the batch with this email (the first may create, the rest update). */
  rows: number;
  /** With `onConflict: 'skip'`: later rows of this email in the batch, skipped (never merged). */
  repeats?: number;
}

/** Names longer than this are row errors (the contact schemas' limit). */

/** The import's audience was deleted after the upload: retrying cannot help, the job fails. */
const audienceGone = (audienceId: string) =>
  new RosterError(
    'job_failed',
    `The audience ${audienceId} no longer exists: it was deleted before the import finished`,
    { resource: 'audience' },
  );

/** A segment or topic of the import was deleted (or made dynamic) after the upload: the job fails. */
const referenceGone = (resource: 'segment' | 'topic', id: string) =>
  new RosterError(
    'job_failed',
    `The ${resource} ${id} no longer exists${resource === 'segment' ? ' as a static segment' : ''}: it changed before the import finished`,
    { resource },
  );

/** Throws `referenceGone` unless every segment (STATIC) and topic of the import exists. */
async function checkReferences(
  db: Db,
  projectId: string,
  segmentIds: readonly string[],
  topics: readonly { id: string }[],
): Promise<void> {
  for (const id of segmentIds) {
    if ((await findSegment(db, projectId, id))?.type !== 'STATIC') throw referenceGone('segment', id);
  }
  for (const { id } of topics) {
    if (!(await topicRows.find(db, projectId, id))) throw referenceGone('topic', id);
  }
}

const emptyFile = () =>
  new RosterError('validation_failed', 'The CSV file is empty', {
    issues: [{ field: 'file', message: 'is empty' }],
  });

/**
 * Streams the CSV through csv-parse and upserts it in batches, one transaction per batch that
 * also records the byte offset and counters reached. A new attempt (after a crash or a stop)
 * continues from that offset, so no row is applied twice or lost, and the final counters equal
 * those of an uninterrupted run.
 *
 * With `payload.audienceId`, every imported contact is put in that audience. The audience is
 * checked when each attempt starts and again in every batch's transaction: if it was deleted
 * meanwhile the job fails (`The audience ... no longer exists ...`) rather than importing the rest
 * without it; batches committed before stay imported (and, the audience being gone, in none).
 */
export function importJobDefinition(
  deps: ImportJobDeps,
  type: typeof IMPORT_JOB_TYPE | typeof LOCAL_IMPORT_JOB_TYPE = IMPORT_JOB_TYPE,
): JobDefinition<ImportJobPayload, ImportResult> {
  return {
    type,
    ...(type === LOCAL_IMPORT_JOB_TYPE ? { byIdOnly: true } : {}),
    run: (ctx) => runImport(deps, ctx),
    async completedIn(trx, job, result) {
      const { errors: _errors, ...counts } = result;
      await recordJobChange(deps, trx, job, 'import.completed', counts);
    },
    async failedIn(trx, job, error) {
      await recordJobChange(deps, trx, job, 'import.failed', { error });
    },
    async onFinished(db, job) {
      const { source } = job.payload;
      if (source.kind === 'stored') await deleteFile(db, source.fileId);
      await deps.contactIndex.afterImport(db);
    },
  };
}

/**
 * What an import would do, read and checked as the import reads it, with nothing written: rows
 * that would create a contact, update one, or be rejected (`failureCount`, with `errors`).
 */
export async function dryRunImport(
  deps: ImportJobDeps,
  projectId: string,
  payload: ImportJobPayload,
): Promise<ImportResult> {
  const controller = new AbortController();
  const job = { id: uuidv7(), projectId, payload, progress: null } as unknown as Job<ImportJobPayload>;
  const ctx = {
    job,
    db: deps.db,
    signal: controller.signal,
    throwIfStopping() {},
    transaction() {
      throw new Error('a dry run writes nothing');
    },
  } as unknown as JobContext<ImportJobPayload>;
  return runImport(deps, ctx, true);
}

/**
 * The column mapping of a header: a Resend `columnMap`'s, a preset's or `map`'s plan (with its record
 * transform), or the plain one. A payload never holds both a `columnMap` and a preset or `map`.
 */
function columnsOf(
  payload: ImportJobPayload,
  header: string[],
): { columns: CsvColumns; transform: ((record: string[]) => string[]) | null } {
  if (payload.columnMap) return { columns: mapColumnMap(header, payload.columnMap), transform: null };
  if (payload.preset === undefined && payload.map === undefined) {
    const columns = mapHeader(
      header,
      payload.nameColumns ?? false,
      payload.skipColumns ?? [],
      payload.emailColumn,
      payload.typedColumns ?? false,
    );
    return { columns, transform: null };
  }
  const plan = planColumns(header, payload);
  return {
    columns: mapHeader(plan.header, true, [], undefined, true, plan.spread),
    transform: plan.transform,
  };
}

async function runImport(
  deps: ImportJobDeps,
  ctx: JobContext<ImportJobPayload>,
  dryRun = false,
): Promise<ImportResult> {
  const { db, dialect, clock } = deps;
  const { source } = ctx.job.payload;
  const audienceId = ctx.job.payload.audienceId ?? null;
  const skipExisting = ctx.job.payload.onConflict === 'skip';
  const segmentIds = ctx.job.payload.segmentIds ?? [];
  const topics = ctx.job.payload.topics ?? [];
  const projectId = ctx.job.projectId;
  await checkImportSource(db, source);
  const propertyTypes = deps.propertyTypes ?? uncachedPropertyTypes;
  // The project's declared property types: read once per batch (a cached lookup).
  let declared = await propertyTypes.typesOf(db, projectId);
  if (audienceId !== null && !(await audienceExists(db, projectId, audienceId)))
    throw audienceGone(audienceId);
  await checkReferences(db, projectId, segmentIds, topics);

  const saved = ctx.job.progress as ImportProgress | null;
  let progress: ImportProgress;
  let columns: CsvColumns | null = null;
  let transform: ((record: string[]) => string[]) | null = null;
  if (saved) {
    progress = saved;
    ({ columns, transform } = columnsOf(ctx.job.payload, saved.header));
  } else {
    if (source.size === 0) throw emptyFile();
    const head = await readHead(db, source, HEADER_SNIFF_BYTES);
    const line = headerLine(head, head.byteLength >= source.size);
    progress = {
      percent: 0,
      bytes: 0,
      line: 1,
      header: [],
      delimiter: sniffDelimiter(line ?? ''),
      counts: {
        totalRows: 0,
        successCount: 0,
        createdCount: 0,
        updatedCount: 0,
        failureCount: 0,
        ...(skipExisting ? { skippedCount: 0 } : {}),
      },
      errors: [],
    };
  }
  const base = progress.bytes;
  if (base >= source.size && saved) return { ...progress.counts, errors: progress.errors };
  const live: LiveImportProgress = {
    rows: progress.counts.totalRows,
    rowsBefore: progress.counts.totalRows,
    failures: progress.counts.failureCount,
    bytes: base,
    size: source.size,
    percent: progress.percent,
  };
  deps.live.set(ctx.job.id, live);

  const batches = parseCsvRecords(
    openImportSource(db, source, base),
    {
      delimiter: progress.delimiter as CsvDelimiter,
      bom: base === 0,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_CSV_RECORD_BYTES,
    },
    deps.parseInWorker && source.size - base >= deps.workerMinBytes,
    // With a worker, the first batch's records are parsed here while it starts (its first write
    // would otherwise wait ~0.1–0.3 s for the worker), the rest in the worker during that write.
    deps.batchSize,
  );

  // State of the batch being built (committed together with the progress).
  let batch = new Map<string, Pending>();
  let batchErrors: ImportRowError[] = [];
  let batchFailures = 0;
  let batchRows = 0;
  let consumed = false; // records read since the last commit (including the header)
  let header: string[] = progress.header;
  let line = progress.line;
  let emptiesSeen = 0;
  let bytes = base;
  /** Dry run: emails a earlier batch would have created (so a later row of one counts as an update). */
  const wouldCreate = new Set<string>();
  /** Mailchimp's cleaned members (hard bounces) are also suppressed, in each batch's transaction. */
  const suppressRows =
    ctx.job.payload.preset === 'mailchimp' && ctx.job.payload.mailchimpStatus === 'cleaned';
  /** Dry run: emails an earlier batch would have suppressed. */
  const wouldSuppress = new Set<string>();

  const dryCommit = async () => {
    const rows = [...batch.values()];
    const counts = { ...progress.counts };
    counts.totalRows += batchRows;
    counts.failureCount += batchFailures;
    const existing = new Set(
      (
        await findContactIdsByEmail(
          db,
          projectId,
          rows.map((row) => row.email),
        )
      ).map((row) => row.email),
    );
    for (const row of rows) {
      const created = !existing.has(row.email) && !wouldCreate.has(row.email);
      if (created) wouldCreate.add(row.email);
      counts.createdCount += created ? 1 : 0;
      counts.updatedCount += created ? row.rows - 1 : row.rows;
      counts.successCount += row.rows;
    }
    if (suppressRows) {
      const fresh = rows.map((row) => row.email).filter((email) => !wouldSuppress.has(email));
      for (const email of fresh) wouldSuppress.add(email);
      counts.suppressionsAddedCount =
        (counts.suppressionsAddedCount ?? 0) + (await countUnsuppressed(db, projectId, fresh));
    }
    const errors =
      progress.errors.length < MAX_KEPT_IMPORT_ERRORS
        ? [...progress.errors, ...batchErrors.slice(0, MAX_KEPT_IMPORT_ERRORS - progress.errors.length)]
        : progress.errors;
    progress = { ...progress, bytes, line, header, counts, errors };
    batch = new Map();
    batchErrors = [];
    batchFailures = 0;
    batchRows = 0;
    consumed = false;
  };

  const commit = async () => {
    if (dryRun) return dryCommit();
    const rows = [...batch.values()];
    const counts = { ...progress.counts };
    counts.totalRows += batchRows;
    counts.failureCount += batchFailures;
    const errors =
      progress.errors.length < MAX_KEPT_IMPORT_ERRORS
        ? [...progress.errors, ...batchErrors.slice(0, MAX_KEPT_IMPORT_ERRORS - progress.errors.length)]
        : progress.errors;
    const next: ImportProgress = {
      percent: source.size > 0 ? Math.floor((bytes / source.size) * 100) : 100,
      bytes,
      line,
      header,
      delimiter: progress.delimiter,
      counts,
      errors,
    };
    await ctx.transaction(async (trx, saveProgress) => {
      let stored: Map<string, string> | null = null;
      const suppressed = new Set<string>();
      const now = isoNow(clock);
      if (rows.length > 0) {
        if (audienceId !== null && !(await audienceExists(trx, projectId, audienceId))) {
          throw audienceGone(audienceId);
        }
        await checkReferences(trx, projectId, segmentIds, topics);
        if (suppressRows) {
          counts.suppressionsAddedCount =
            (counts.suppressionsAddedCount ?? 0) +
            (await suppressManyIn(
              deps,
              trx,
              projectId,
              rows.map((row) => row.email),
              { origin: 'bounce', reason: MAILCHIMP_CLEANED_REASON },
            ));
        }
        const names = columns !== null && (columns.firstName !== -1 || columns.lastName !== -1);
        // The subscription before the write of the contacts whose rows set it: what flipped is
        // recorded as their consent events (source `import`), in this transaction.
        const setting = skipExisting ? [] : rows.filter((row) => row.subscribed !== undefined);
        // The batch's address locks before any contact row is locked (see `lockAddresses`).
        await lockAddresses(
          trx,
          dialect,
          projectId,
          rows.filter((row) => row.subscribed !== false).map((row) => row.email),
          'shared',
        );
        const previous =
          setting.length > 0
            ? await findSubscriptionsByEmail(
                trx,
                dialect,
                projectId,
                setting.map((row) => row.email),
              )
            : null;
        try {
          stored = skipExisting
            ? await insertNew(trx, rows, now, suppressed)
            : await upsertContactBatch(trx, dialect, projectId, rows, now, { names, audienceId }, suppressed);
        } catch (error) {
          // Deleted by a concurrent transaction after the check above: the foreign key tells.
          if (audienceId !== null && dialect.isForeignKeyViolation(error)) throw audienceGone(audienceId);
          throw error;
        }
        if (previous) await recordImportFlips(trx, setting, previous, now);
        const ids = [...stored.values()];
        for (const segmentId of segmentIds) {
          await enterMembers(trx, segmentId, ids, now);
          await saveMemberCount(trx, segmentId, await countMembers(trx, segmentId));
        }
        await upsertTopicsOfContacts(trx, projectId, ids, topics, now);
      }
      await deps.contactIndex.afterImportBatch(trx);
      let createdInBatch = 0;
      for (const row of rows) {
        const created = stored?.get(row.email) === row.id; // its new id was stored: inserted
        if (skipExisting) {
          // Only an inserted row applied; an existing contact's rows (and repeats) were skipped.
          counts.createdCount += created ? 1 : 0;
          counts.successCount += created ? 1 : 0;
          counts.skippedCount = (counts.skippedCount ?? 0) + (created ? 0 : 1) + (row.repeats ?? 0);
          continue;
        }
        createdInBatch += created ? 1 : 0;
        counts.createdCount += created ? 1 : 0;
        counts.updatedCount += created ? row.rows - 1 : row.rows;
        counts.successCount += row.rows;
        if (suppressed.has(row.email)) counts.suppressedCount = (counts.suppressedCount ?? 0) + row.rows;
      }
      // The overview's growth by source: these contacts were created (created_at = now) by an import.
      await deps.contactIndex.recordImported(trx, projectId, now.slice(0, 10), createdInBatch);
      await saveProgress(next);
      if (stored) {
        const names = columns !== null && (columns.firstName !== -1 || columns.lastName !== -1);
        const groups = importChangeGroups(rows, stored, {
          jobId: ctx.job.id,
          names,
          audienceId,
          topics: topics.length > 0,
        });
        await recordBatch(deps, trx, projectId, { groups }, now);
      }
    });
    progress = next;
    declared = await propertyTypes.typesOf(db, projectId);
    batch = new Map();
    batchErrors = [];
    batchFailures = 0;
    batchRows = 0;
    consumed = false;
  };

  try {
    for await (const batch of batches) {
      for (let i = 0; i < batch.records.length; i++) {
        const record = batch.records[i]!;
        const empties = batch.empties[i]!;
        const startLine = line + (empties - emptiesSeen);
        emptiesSeen = empties;
        line = startLine + 1 + countLineBreaks(record);
        bytes = base + batch.bytes[i]!;
        consumed = true;
        if (!columns) {
          header = record.map((name) => name.trim());
          ({ columns, transform } = columnsOf(ctx.job.payload, header));
          continue;
        }
        if (!record.some((cell) => NON_BLANK.test(cell))) continue;
        batchRows++;
        readRow(transform ? transform(record) : record, startLine, columns);
        if (batchRows >= deps.batchSize) {
          await commit();
          ctx.throwIfStopping();
        }
      }
      live.rows = progress.counts.totalRows + batchRows;
      live.failures = progress.counts.failureCount + batchFailures;
      live.bytes = bytes;
      live.percent = source.size > 0 ? Math.floor((bytes / source.size) * 100) : 100;
      // Parsing and row checks are synchronous: let timers (progress displays) and I/O run.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    if (String((error as { code?: unknown }).code ?? '').startsWith('CSV_')) {
      throw new RosterError(
        'job_failed',
        `The CSV file could not be parsed near line ${line}: ${(error as Error).message}`,
      );
    }
    throw error;
  } finally {
    deps.live.delete(ctx.job.id);
    await batches.return(undefined);
  }
  if (!columns) throw emptyFile();
  if (consumed) await commit();
  return { ...progress.counts, errors: progress.errors };

  /**
   * The consent record of an import: a `contact.subscribed` / `contact.unsubscribed` event (source
   * `import`, with the job's id) of each existing contact whose `subscribed` the batch flipped, as
   * written (after the suppression gate): one multi-row insert per direction.
   */
  async function recordImportFlips(
    trx: Db,
    setting: Pending[],
    previous: Map<string, { id: string; subscribed: boolean }>,
    now: string,
  ): Promise<void> {
    const flipped: Record<'on' | 'off', string[]> = { on: [], off: [] };
    for (const row of setting) {
      const before = previous.get(row.email);
      if (before && row.subscribed !== undefined && before.subscribed !== row.subscribed) {
        flipped[row.subscribed ? 'on' : 'off'].push(before.id);
      }
    }
    const source = { source: 'import', jobId: ctx.job.id };
    await recordSubscriptionFlips(trx, dialect, projectId, flipped.on, true, now, source);
    await recordSubscriptionFlips(trx, dialect, projectId, flipped.off, false, now, source);
  }

  /** `onConflict: 'skip'`: inserts the batch's new emails only; the stored id of each inserted row. */
  async function insertNew(
    trx: Db,
    rows: Pending[],
    now: string,
    suppressed: Set<string>,
  ): Promise<Map<string, string>> {
    const values = rows.map((row) => ({
      id: row.id,
      projectId,
      email: row.email,
      subscribed: row.subscribed ?? true,
      data: row.data,
      firstName: row.firstName,
      lastName: row.lastName,
      audienceId,
      now,
    }));
    const inserted = await insertContactsIfNew(trx, dialect, values, suppressed);
    // The ids stored (see `followStoredContactIds`), which tell the caller which rows were inserted.
    values.forEach((value, i) => {
      rows[i]!.id = value.id;
    });
    return new Map(inserted.map((row) => [row.email, row.id]));
  }

  function readRow(cells: string[], row: number, cols: CsvColumns): void {
    // Cells roster's export wrote as `'=...` (formula injection guard) read back as `=...` (the
    // record copied only when a cell starts with a quote: most rows have none).
    const record = cells.some(startsWithQuote) ? cells.map(unescapeFormula) : cells;
    const rawEmail = (record[cols.email] ?? '').trim();
    const email = normaliseEmail(rawEmail);
    // Empty name cells (or no name column) are null: the stored name stays.
    const firstName = cols.firstName === -1 ? null : record[cols.firstName]?.trim() || null;
    const lastName = cols.lastName === -1 ? null : record[cols.lastName]?.trim() || null;
    const problems = validateContactFields({ email, firstName, lastName });
    let error: string | null = null;
    const emailProblem = problems.find((p) => p.field === 'email');
    if (emailProblem) error = emailProblem.problem === 'missing' ? 'Missing email' : 'Invalid email';
    let subscribed: boolean | undefined;
    if (!error && cols.subscribed !== -1) {
      const parsed = parseSubscribedCell(record[cols.subscribed]);
      const which = cols.invertSubscribed ? 'unsubscribed' : 'subscribed';
      if (parsed === null) {
        error = `Invalid ${which} value "${clipText((record[cols.subscribed] ?? '').trim(), 100)}" (use true/false, yes/no or 1/0)`;
      } else subscribed = parsed === undefined || !cols.invertSubscribed ? parsed : !parsed;
    }
    const nameProblem = problems.find((p) => p.field !== 'email');
    if (!error && nameProblem) {
      const which = nameProblem.field === 'firstName' ? 'first' : 'last';
      error = `Invalid ${which} name (longer than ${MAX_NAME_LENGTH} characters)`;
    }
    if (!error) error = textRuleError(record, cols);
    let data: Record<string, unknown> | null = null;
    if (!error) {
      const read = readData(record, cols, declared);
      if ('error' in read) error = read.error;
      else data = read.data;
    }
    if (error) {
      batchFailures++;
      if (progress.errors.length + batchErrors.length < MAX_KEPT_IMPORT_ERRORS) {
        batchErrors.push({ row, email: storableText(clipText(rawEmail)), error });
      }
      return;
    }
    const pending = batch.get(email);
    if (pending && skipExisting) {
      pending.repeats = (pending.repeats ?? 0) + 1; // the contact exists by then: skipped
      return;
    }
    if (pending) {
      pending.rows++;
      if (subscribed !== undefined) pending.subscribed = subscribed;
      if (data) pending.data = pending.data ? Object.assign(pending.data, data) : data;
      if (firstName !== null) pending.firstName = firstName;
      if (lastName !== null) pending.lastName = lastName;
    } else {
      batch.set(email, { id: uuidv7(), email, subscribed, data, firstName, lastName, rows: 1 });
    }
  }
}

/**
 * The change events of one import batch, as groups of one outbox batch row: `contact.created` for
 * the new contacts, and `contact.updated` for the others, grouped by the fields the file wrote
 * (`changed`: those fields, whether or not their values differed; no previous values: the import
 * does not read the contacts before writing them). A row that wrote no field makes no event.
 */
function importChangeGroups(
  rows: Pending[],
  stored: Map<string, string>,
  options: { jobId: string; names: boolean; audienceId: string | null; topics: boolean },
): OutboxBatchGroup[] {
  const created: string[] = [];
  const updated = new Map<string, { changed: ContactField[]; ids: string[] }>();
  for (const row of rows) {
    const id = stored.get(row.email);
    if (id === undefined) continue;
    if (id === row.id) {
      created.push(id);
      continue;
    }
    const changed: ContactField[] = [];
    if (row.subscribed !== undefined) changed.push('subscribed');
    if (row.data !== null) changed.push('data');
    if (options.names && row.firstName !== null) changed.push('firstName');
    if (options.names && row.lastName !== null) changed.push('lastName');
    if (options.audienceId !== null) changed.push('audienceId');
    if (options.topics) changed.push('topics');
    if (changed.length === 0) continue;
    const key = changed.join();
    let group = updated.get(key);
    if (!group) {
      group = { changed, ids: [] };
      updated.set(key, group);
    }
    group.ids.push(id);
  }
  const jobId = options.jobId;
  return [
    { type: 'contact.created', data: { jobId }, contactIds: created, withContact: true },
    ...[...updated.values()].map(
      (group): OutboxBatchGroup => ({
        type: 'contact.updated',
        data: { jobId, changed: group.changed, previous: null },
        contactIds: group.ids,
        withContact: true,
      }),
    ),
  ];
}

/**
 * The text rules of every stored string (see `text-rules.ts`), per row: a cell with a NUL character
 * fails its row, never the import; so does a value in a `__proto__` column.
 */
function textRuleError(record: string[], cols: CsvColumns): string | null {
  const named: [string, number][] = [
    ['first name', cols.firstName],
    ['last name', cols.lastName],
  ];
  for (const [name, index] of named) {
    const problem = index === -1 ? null : textProblem(record[index] ?? '');
    if (problem) return `Invalid ${name} (${problem})`;
  }
  for (const { index, key, type } of cols.data) {
    if (type !== undefined) continue; // checked once parsed (readData)
    const value = record[index]?.trim();
    if (!value) continue;
    if (key === '__proto__') return 'Invalid column "__proto__" (is not allowed as a data key)';
    const problem = textProblem(value) ?? textProblem(key);
    if (problem) return `Invalid value in column "${clipText(key, 100)}" (${problem})`;
  }
  return null;
}

/**
 * A row's data: string columns as their trimmed cells, typed columns (`data.<key>:<type>`) parsed;
 * empty cells give no value. A typed cell that does not parse, or whose value breaks the data
 * rules (`dataIssues`), is the row's error, naming the column as written in the header.
 */
function readData(
  record: string[],
  cols: CsvColumns,
  declared: PropertyTypes,
): { data: Record<string, unknown> | null } | { error: string } {
  let data: Record<string, unknown> | null = null;
  if (cols.spread !== undefined) {
    const spread = readSpread(record[cols.spread]);
    if ('error' in spread) return spread;
    if (spread.data) data = spread.data;
    for (const [key, value] of Object.entries(spread.data ?? {})) {
      const declaredType = declared.get(key);
      const problem = declaredType === undefined ? null : propertyTypeProblem(key, declaredType, value);
      if (problem) return { error: `Invalid attributes (the key "${clipText(key, 100)}" ${problem})` };
    }
  }
  for (const { index, key, type, header } of cols.data) {
    const text = record[index]?.trim();
    if (!text) continue;
    let value: unknown = text;
    if (type !== undefined) {
      const column = clipText(header ?? key, 100);
      const parsed = parseTypedCell(text, type);
      if ('problem' in parsed) {
        return { error: `Invalid value in column "${column}" ("${clipText(text, 100)}" ${parsed.problem})` };
      }
      if (key === '__proto__') return { error: 'Invalid column "__proto__" (is not allowed as a data key)' };
      const issue = dataIssues({ [key]: parsed.value }, 1)[0];
      if (issue) {
        const at = issue.path.length > 1 ? ` at ${issue.path.slice(1).join('.')}` : '';
        return { error: `Invalid value in column "${column}" (${issue.message}${at})` };
      }
      value = parsed.value;
    }
    const declaredType = declared.get(key);
    if (declaredType !== undefined) {
      // A plain (string) cell under a key declared as a number is read as a number.
      if (declaredType === 'number' && type === undefined && NUMBER_CELL.test(text)) value = Number(text);
      const problem = propertyTypeProblem(key, declaredType, value);
      if (problem) {
        const column = clipText(header ?? key, 100);
        return { error: `Invalid value in column "${column}" ("${clipText(text, 100)}" ${problem})` };
      }
    }
    data ??= {};
    data[key] = value;
  }
  return { data };
}

/**
 * A spread cell (listmonk's `attributes`): a JSON object whose keys go into `data` as they are
 * (nested values, types and nulls kept); empty or `{}` gives nothing. Anything else, a reserved
 * key, or a value breaking the data rules is the row's error.
 */
function readSpread(cell: string | undefined): { data: Record<string, unknown> | null } | { error: string } {
  const text = cell?.trim();
  if (!text) return { data: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `Invalid attributes ("${clipText(text, 100)}" is not valid JSON)` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: 'Invalid attributes (must be a JSON object)' };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return { data: null };
  const data: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    if (key === '' || RESERVED_DATA_KEYS.has(key) || key === '__proto__') {
      return { error: `Invalid attributes (the key "${clipText(key, 100)}" is not allowed as a data key)` };
    }
    data[key] = item;
  }
  const issue = dataIssues(data, 1)[0];
  if (issue) return { error: `Invalid attributes (${issue.message} at ${issue.path.join('.')})` };
  return { data };
}
