import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { audienceExists } from '../audiences/audience-repository.js';
import { RESERVED_DATA_KEYS } from '../contacts/contact-data.js';
import type { JobRow } from '../db/schema.js';
import type { FieldIssue } from '../errors.js';
import { RosterError } from '../errors.js';
import { type FileSource, storeFile } from '../files/file-store.js';
import { isUuid, uuidv7 } from '../ids.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { expectType, type JobStatusView, toJobStatus } from '../jobs/job-status.js';
import type { Job } from '../jobs/job-types.js';
import { type PropertyTypeCache, uncachedPropertyTypes } from '../properties/property-check.js';
import { findSegment } from '../segments/segment-repository.js';
import type { ServiceDeps } from '../service-deps.js';
import { topicRows } from '../topics/topic-repository.js';
import type { SetContactTopicsInput } from '../topics/topic-schemas.js';
import type { TopicSubscription } from '../topics/topic-types.js';
import { parseInput } from '../validation.js';
import {
  HEADER_SNIFF_BYTES,
  headerLine,
  mapColumnMap,
  mapHeader,
  parseHeaderLine,
  sniffDelimiter,
} from './csv-format.js';
import { IMPORT_JOB_TYPE, IMPORT_JOB_TYPES, LOCAL_IMPORT_JOB_TYPE } from './import-job.js';
import {
  type ImportPreset,
  type MailchimpStatus,
  mailchimpStatusOf,
  normaliseImportMap,
  planColumns,
} from './import-presets.js';
import {
  type ImportColumnMap,
  type ImportColumnMapInput,
  type ImportOnConflict,
  importAudienceSchema,
  importContactOptionsSchema,
  importPresetSchema,
} from './import-schemas.js';

import { readHead } from './import-source.js';
import type {
  ImportJobPayload,
  ImportProgress,
  ImportResult,
  ImportSource,
  LiveImportProgress,
} from './import-types.js';
import { looksLikeZip, readZipEntries } from './zip-entries.js';

export type { ImportColumnMapInput };

export interface ImportServiceDeps extends ServiceDeps {
  jobs: JobRunner;
  maxImportBytes: number;
  /** The imports this process is running (shared with the import job). */
  live: Map<string, LiveImportProgress>;
  /** The declared property types a column map is checked against. @default no cache */
  propertyTypes?: PropertyTypeCache | undefined;
  /** Reads and checks an import as its job would, writing nothing (`dryRunImport` with the job's deps). */
  dryRun: (projectId: string, payload: ImportJobPayload) => Promise<ImportResult>;
}

/** How a file from another tool is read: a preset for its export format, and/or column mappings. */
export interface ImportPresetOptions {
  /**
   * The export format the file comes from: `mailchimp` (an audience export's CSV: `Email Address`,
   * `First Name`, `Last Name`, `TAGS`, `MEMBER_RATING`, merge fields …) or `listmonk` (its
   * subscriber export: `attributes` spread into data, `status` blocklisted → unsubscribed). See
   * docs/moving-to-roster.md for every column. Absent: roster's plain CSV.
   */
  preset?: ImportPreset;
  /**
   * Column mappings, applied over the preset: header (any case) → `email`, `firstName`,
   * `lastName`, `subscribed`, `data.<key>`, `data.<key>:number|boolean|json`, or `skip`. A column
   * the file's header lacks, or an unknown field, is `validation_failed` on `map`.
   */
  map?: Record<string, string>;
  /**
   * Mailchimp: the section of the export the file holds (`subscribed` sets contacts subscribed,
   * `unsubscribed` and `cleaned` unsubscribed). Absent: read from the file's (or ZIP entry's) name
   * when it names one; else the file sets no subscription state.
   */
  mailchimpStatus?: MailchimpStatus;
}

export interface ImportFileInput extends ImportPresetOptions {
  /** The CSV: bytes, or a stream of chunks (stored as it arrives, never held whole). */
  file: FileSource;
  /** The file's name, for reference. */
  name?: string | null;
  /**
   * Put every imported contact (created or updated) in this audience of the project: a UUID
   * (`validation_failed` otherwise) of an existing audience (`not_found` otherwise).
   * Absent or null: contacts keep their audience.
   */
  audienceId?: string | null;
  /**
   * Fill the contacts' first and last names from `first_name` / `firstName` / `first name` (and
   * the same for last) columns instead of storing those columns in `data`. The Unosend dialect
   * imports with it; Plunk's contacts have no names, so its imports keep every column in `data`.
   * @default false
   */
  nameColumns?: boolean;
  /**
   * Header names (any case) whose columns are neither stored in `data` nor read, e.g. the
   * `audience` and `created_at` columns of a Unosend export. A `data.<name>` column still counts.
   */
  skipColumns?: string[];
  /**
   * Read `data.<key>:number`, `data.<key>:boolean` and `data.<key>:json` headers (as roster's own
   * export writes them, see `CsvDataType`) as typed columns of `<key>`: each cell is parsed (a cell
   * that does not parse is that row's error, naming the column); an empty cell is no value.
   * Without it such a header is a string column of the key `seats:number` (Plunk and Unosend
   * imports: their providers know no typed headers).
   * @default false
   */
  typedColumns?: boolean;
  /**
   * Read the header by this column map (Resend's `column_map`, see `ImportColumnMap`) instead of
   * `nameColumns` / `skipColumns` / `typedColumns`: a named column missing from the header is
   * `validation_failed` naming `columnMap.<field>`; a mapped property whose `type` differs from
   * its declared type is `validation_failed` naming `columnMap.properties.<key>.type`.
   */
  columnMap?: ImportColumnMapInput;
  /** `skip` leaves existing contacts alone (counted in `skippedCount`). @default 'upsert' */
  onConflict?: ImportOnConflict;
  /**
   * STATIC segments every imported contact joins (created ones, and updated ones when upserting):
   * an unknown one is `not_found`, a dynamic one `validation_failed` naming `segmentIds.<i>`.
   */
  segmentIds?: string[];
  /** Explicit topic subscriptions every imported contact gets; an unknown topic is `not_found`. */
  topics?: SetContactTopicsInput;
}

/** Options of `enqueueFromPath`. */
export interface PathImportOptions extends ImportPresetOptions {
  /** The CSV entry (its full name) of a ZIP archive to import, instead of a CSV file. */
  entry?: string;
  /** As `ImportFileInput.audienceId`. */
  audienceId?: string | null;
  /** As `ImportFileInput.nameColumns`. @default false */
  nameColumns?: boolean;
  /**
   * The header name (any case, trimmed) of the column holding the emails, instead of `email`;
   * a column named `email` is then ignored (`email` is a reserved data key). A header without this
   * column is `validation_failed` on `emailColumn`. Absent: the `email` column.
   */
  emailColumn?: string;
  /**
   * Start a new import even though a completed import of the same unchanged file exists, or an
   * unfinished import of the file changed since (that job is then cancelled).
   * @default false
   */
  force?: boolean;
}

function importPayload(
  source: ImportSource,
  audienceId: string | null,
  nameColumns?: boolean,
  emailColumn?: string,
): ImportJobPayload {
  return {
    source,
    ...(audienceId === null ? {} : { audienceId }),
    ...(nameColumns ? { nameColumns: true } : {}),
    ...(emailColumn === undefined ? {} : { emailColumn }),
  };
}

/** The preset options checked (`validation_failed` naming `preset`, `mailchimpStatus` or `map`), as payload fields. */
function mappingOf(
  options: ImportPresetOptions,
  fileName: string | null,
): Pick<ImportJobPayload, 'preset' | 'map' | 'mailchimpStatus'> {
  const { preset, mailchimpStatus } = parseInput(importPresetSchema, {
    preset: options.preset,
    mailchimpStatus: options.mailchimpStatus,
  });
  const map = normaliseImportMap(options.map);
  const status =
    preset === 'mailchimp'
      ? (mailchimpStatus ?? (fileName ? mailchimpStatusOf(fileName) : undefined))
      : undefined;
  return {
    ...(preset === undefined ? {} : { preset }),
    ...(map === undefined ? {} : { map }),
    ...(status === undefined ? {} : { mailchimpStatus: status }),
  };
}

/** True when an import is read through a preset or column mappings. */
const isMapped = (mapping: Pick<ImportJobPayload, 'preset' | 'map'>) =>
  mapping.preset !== undefined || mapping.map !== undefined;

/**
 * What `enqueueFromPath` answers: the job, and whether it resumes an unfinished one
 * (`resumed`) or is a completed import of the same unchanged file (`alreadyImported`: nothing
 * was queued). `replaced` is the unfinished job of the changed file that `force` cancelled.
 */
export interface PathImportJob {
  job: Job<ImportJobPayload, ImportResult>;
  resumed: boolean;
  alreadyImported: boolean;
  replaced?: Job<ImportJobPayload, ImportResult>;
}

/** How many completed imports `enqueueFromPath` looks through for one of the same file. */
const COMPLETED_IMPORTS_CHECKED = 200;

/**
 * Rejects a header that can be read and has no email column, or lacks a column the column map
 * names (cheap: one line).
 */
/** Rejects a header that can be read and has no email column, or that a preset or `map` cannot read (cheap: one line). */
function checkHeader(
  head: Uint8Array,
  complete: boolean,
  emailColumn?: string,
  columnMap?: ImportColumnMap,
  mapping: Pick<ImportJobPayload, 'preset' | 'map' | 'mailchimpStatus'> = {},
): void {
  const line = headerLine(head, complete);
  if (line === null) return; // no complete line in the first bytes: the job will tell
  const header = parseHeaderLine(line, sniffDelimiter(line));
  if (!header?.some((cell) => cell.trim() !== '')) return;
  if (columnMap) mapColumnMap(header, columnMap);
  else if (isMapped(mapping)) {
    const plan = planColumns(
      header.map((name) => name.replace(/^\uFEFF/, '')),
      mapping,
    );
    mapHeader(plan.header, true, [], undefined, true, plan.spread);
  } else mapHeader(header, false, [], emailColumn);
}

/** `emailColumn` trimmed; empty is `validation_failed`. */
function emailColumnOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw RosterError.validation([{ field: 'emailColumn', message: 'must be a non-empty column name' }]);
  return value.trim();
}

/** An import job of either type; `not_found` for any other job. */
function expectImport<J extends Job<any, any>>(job: J): J {
  return expectType(job, IMPORT_JOB_TYPES.includes(job.type) ? job.type : IMPORT_JOB_TYPE);
}

export function createImportService(deps: ImportServiceDeps) {
  const { db, clock, jobs } = deps;
  const propertyTypes = deps.propertyTypes ?? uncachedPropertyTypes;

  /**
   * The contact-model options of an import (column map, conflicts, segments, topics), checked
   * against the project: the payload fields they become.
   */
  async function contactOptionsOf(
    projectId: string,
    input: ImportFileInput,
  ): Promise<Partial<ImportJobPayload>> {
    const valid = parseInput(importContactOptionsSchema, {
      columnMap: input.columnMap,
      onConflict: input.onConflict,
      segmentIds: input.segmentIds,
      topics: input.topics,
    });
    const segmentIds: string[] = [];
    for (const [i, id] of (valid.segmentIds ?? []).entries()) {
      const row = isUuid(id) ? await findSegment(db, projectId, id.toLowerCase()) : undefined;
      if (!row) throw RosterError.notFound('segment');
      if (row.type !== 'STATIC') {
        throw RosterError.validation([
          { field: `segmentIds.${i}`, message: 'must be a static segment (a list), not a dynamic one' },
        ]);
      }
      if (!segmentIds.includes(row.id)) segmentIds.push(row.id);
    }
    const topics: { id: string; subscription: TopicSubscription }[] = [];
    for (const item of valid.topics ?? []) {
      const id = item.id.toLowerCase();
      if (!isUuid(id) || !(await topicRows.find(db, projectId, id))) throw RosterError.notFound('topic');
      topics.push({ id, subscription: item.subscription });
    }
    const { columnMap } = valid;
    if (columnMap?.properties) {
      const declared = await propertyTypes.typesOf(db, projectId);
      const issues: FieldIssue[] = [];
      for (const [key, { type = 'string' }] of Object.entries(columnMap.properties)) {
        const field = `columnMap.properties.${key}`;
        if (RESERVED_DATA_KEYS.has(key)) {
          issues.push({ field, message: `"${key}" is a contact field, not a property: map it as such` });
          continue;
        }
        const want = declared.get(key);
        // A string column under a declared number property is read as numbers (as every import does).
        if (want !== undefined && type !== want && !(type === 'string' && want === 'number')) {
          issues.push({
            field: `${field}.type`,
            message: `must match the property's declared type (${want}), not ${type}`,
          });
        }
      }
      if (issues.length > 0) throw RosterError.validation(issues);
    }
    return {
      ...(columnMap === undefined ? {} : { columnMap }),
      ...(valid.onConflict === undefined ? {} : { onConflict: valid.onConflict }),
      ...(segmentIds.length > 0 ? { segmentIds } : {}),
      ...(topics.length > 0 ? { topics } : {}),
    };
  }

  /** The import's audience, checked: null when none is asked for. */
  async function audienceOf(
    projectId: string,
    audienceId: string | null | undefined,
  ): Promise<string | null> {
    const valid = parseInput(importAudienceSchema, { audienceId }).audienceId ?? null;
    if (valid !== null && !(await audienceExists(db, projectId, valid)))
      throw RosterError.notFound('audience');
    return valid;
  }

  async function status(projectId: string, jobId: string): Promise<JobStatusView<ImportResult>> {
    return toJobStatus(expectImport(await jobs.get<ImportJobPayload, ImportResult>(projectId, jobId)));
  }

  return {
    /**
     * Stores the CSV durably in the database and queues its import, in one transaction. More
     * than `limits.maxImportBytes` is `payload_too_large` (nothing stored); a header without
     * an email column is `validation_failed` on `file`. An empty file is accepted and its job fails.
     * An `audienceId` is checked first (nothing is stored for a bad one).
     */
    async enqueue(projectId: string, input: ImportFileInput): Promise<Job<ImportJobPayload, ImportResult>> {
      if (input.columnMap != null && (input.preset != null || input.map != null)) {
        throw RosterError.validation([
          {
            field: 'preset',
            message:
              'a preset or map cannot be combined with a columnMap: give one way of reading the columns',
          },
        ]);
      }
      const audienceId = await audienceOf(projectId, input.audienceId);
      const contactOptions = await contactOptionsOf(projectId, input);
      const columnMap = contactOptions.columnMap;
      const mapping = mappingOf(input, input.name ?? null);
      if (input.file instanceof Uint8Array) {
        if (input.file.byteLength > deps.maxImportBytes) {
          throw RosterError.payloadTooLarge(
            `The file is larger than the limit of ${deps.maxImportBytes} bytes`,
            {
              field: 'file',
              limit: deps.maxImportBytes,
            },
          );
        }
        checkHeader(
          input.file.subarray(0, HEADER_SNIFF_BYTES),
          input.file.byteLength <= HEADER_SNIFF_BYTES,
          undefined,
          columnMap,
          mapping,
        );
      }
      const jobId = uuidv7();
      const job = await db.transaction().execute(async (trx) => {
        const stored = await storeFile(trx, clock, {
          projectId,
          name: input.name ?? null,
          source: input.file,
          maxBytes: deps.maxImportBytes,
        });
        const source: ImportSource = {
          kind: 'stored',
          fileId: stored.id,
          name: input.name ?? null,
          size: stored.size,
        };
        if (!(input.file instanceof Uint8Array)) {
          const head = await readHead(trx, source, HEADER_SNIFF_BYTES);
          checkHeader(head, head.byteLength >= stored.size, undefined, columnMap, mapping);
        }
        const skip = (input.skipColumns ?? []).map((name) => name.trim().toLowerCase());
        const payload = {
          ...importPayload(source, audienceId, input.nameColumns),
          ...(skip.length > 0 ? { skipColumns: skip } : {}),
          ...(input.typedColumns ? { typedColumns: true } : {}),
          ...contactOptions,
          ...mapping,
        };
        return jobs.enqueue<ImportJobPayload>(projectId, IMPORT_JOB_TYPE, payload, { id: jobId, db: trx });
      });
      jobs.wake(); // committed: this process's runner may claim it now
      return job as Job<ImportJobPayload, ImportResult>;
    },

    /**
     * Queues the import of a CSV file on disk (any size: it is read in place, never copied into
     * the database, and must not change until the job is done). If an unfinished import of the
     * same unchanged file exists in the project, that job is returned (`resumed: true`) so it
     * continues where it stopped instead of starting over (only if it imports into the same audience).
     */
    async enqueueFromPath(
      projectId: string,
      path: string,
      options: PathImportOptions = {},
    ): Promise<PathImportJob> {
      const audienceId = await audienceOf(projectId, options.audienceId);
      const emailColumn = emailColumnOf(options.emailColumn);
      const { source, mapping } = await pathSource(path, options);
      const absolute = source.path;
      const info = { size: source.kind === 'zip' ? source.fileSize : source.size, mtimeMs: source.mtimeMs };
      const head = await readHead(db, source, HEADER_SNIFF_BYTES);
      checkHeader(head, head.byteLength >= source.size, emailColumn, undefined, mapping);
      const nameColumns = options.nameColumns ?? false;
      type PathJob = Job<ImportJobPayload, ImportResult>;
      const sameFile = (job: PathJob) => {
        const other = job.payload.source;
        if (other.kind === 'stored' || other.kind !== source.kind || other.path !== absolute) return false;
        return other.kind !== 'zip' || (source.kind === 'zip' && other.entry.name === source.entry.name);
      };
      const unchanged = (job: PathJob) => {
        const other = job.payload.source;
        if (other.kind === 'stored') return false;
        const size = other.kind === 'zip' ? other.fileSize : other.size;
        return size === info.size && other.mtimeMs === info.mtimeMs;
      };
      const sameOptions = (job: PathJob) =>
        (job.payload.audienceId ?? null) === audienceId &&
        (job.payload.nameColumns ?? false) === nameColumns &&
        job.payload.emailColumn === emailColumn &&
        job.payload.preset === mapping.preset &&
        job.payload.mailchimpStatus === mapping.mailchimpStatus &&
        JSON.stringify(job.payload.map ?? null) === JSON.stringify(mapping.map ?? null);

      // Path imports queued before they had their own type (`import`) are still found.
      const unfinished = (
        await Promise.all(
          IMPORT_JOB_TYPES.map((type) => jobs.unfinished<ImportJobPayload, ImportResult>(projectId, type)),
        )
      )
        .flat()
        .filter(sameFile);
      const resumable = unfinished.find((job) => unchanged(job) && sameOptions(job));
      if (resumable) return { job: resumable, resumed: true, alreadyImported: false };
      let replaced: PathJob | undefined;
      const stale = unfinished.find((job) => !unchanged(job));
      if (stale) {
        if (!options.force || stale.status === 'running') {
          const started = (stale.progress as ImportProgress | null)?.counts.totalRows ?? 0;
          throw new RosterError(
            'conflict',
            `${path} changed after import job ${stale.id} started (${started} rows imported): ` +
              'that import cannot resume. ' +
              (stale.status === 'running'
                ? `The job is running in ${stale.lockedBy ?? 'another worker'}; wait for it to fail, then import again.`
                : 'Import it again with force to cancel that job and start from row 1.'),
            { resource: 'import', jobId: stale.id },
          );
        }
        replaced = (await jobs.cancel(
          projectId,
          stale.id,
          `Cancelled: ${absolute} changed after the import started; a new import replaces this one`,
        )) as PathJob;
      }
      if (!options.force) {
        const completed = (
          await Promise.all(
            IMPORT_JOB_TYPES.map((type) =>
              jobs.withStatus<ImportJobPayload, ImportResult>(
                projectId,
                type,
                'completed',
                COMPLETED_IMPORTS_CHECKED,
              ),
            ),
          )
        ).flat();
        const done = completed.find((job) => sameFile(job) && unchanged(job) && sameOptions(job));
        if (done) return { job: done, resumed: false, alreadyImported: true };
      }
      const payload = { ...importPayload(source, audienceId, nameColumns, emailColumn), ...mapping };
      // Run only by the process that queued it (`runJob`): a server sharing the database may not see the path.
      const job = (await jobs.enqueue<ImportJobPayload>(
        projectId,
        LOCAL_IMPORT_JOB_TYPE,
        payload,
      )) as PathJob;
      return { job, resumed: false, alreadyImported: false, ...(replaced ? { replaced } : {}) };
    },

    /**
     * What `enqueueFromPath` with these options would do, with nothing written: the file (or ZIP
     * entry) is read and every row checked as the import checks it, and the rows that would
     * create a contact, update one or be rejected are counted (`createdCount`, `updatedCount`,
     * `failureCount` with the first `errors`). Bad options fail as `enqueueFromPath` fails.
     */
    async dryRunFromPath(
      projectId: string,
      path: string,
      options: PathImportOptions = {},
    ): Promise<ImportResult> {
      const audienceId = await audienceOf(projectId, options.audienceId);
      const emailColumn = emailColumnOf(options.emailColumn);
      const { source, mapping } = await pathSource(path, options);
      const head = await readHead(db, source, HEADER_SNIFF_BYTES);
      checkHeader(head, head.byteLength >= source.size, emailColumn, undefined, mapping);
      const payload = {
        ...importPayload(source, audienceId, options.nameColumns ?? false, emailColumn),
        ...mapping,
      };
      return deps.dryRun(projectId, payload);
    },

    /**
     * The CSV entries (names ending in `.csv`, any case) of a ZIP archive on disk, in archive
     * order, e.g. the three files of a Mailchimp audience export. Not a ZIP archive roster can
     * read (ZIP64, encrypted, or another compression than deflate) is `validation_failed` on `file`.
     */
    async zipEntries(path: string): Promise<string[]> {
      const absolute = resolve(path);
      const info = await stat(absolute).catch(() => null);
      if (!info?.isFile()) {
        throw RosterError.validation([{ field: 'file', message: `${path} is not a readable file` }]);
      }
      const entries = await readZipEntries(absolute);
      return entries.filter((entry) => entry.name.toLowerCase().endsWith('.csv')).map((entry) => entry.name);
    },

    /**
     * The import as this process runs it right now (rows read so far, including the batch not
     * yet committed), or null if this process is not running it. Synchronous and free: meant for
     * progress displays polled many times a second.
     */
    live(jobId: string): LiveImportProgress | null {
      const live = deps.live.get(jobId);
      return live ? { ...live } : null;
    },

    /** The import job's status (never its file). `not_found` for an unknown id or another project's job. */
    status,

    /** The import job itself (either type), e.g. for `importCounts`. `not_found` as `status`. */
    async get(projectId: string, jobId: string): Promise<Job<ImportJobPayload, ImportResult>> {
      return expectImport(await jobs.get<ImportJobPayload, ImportResult>(projectId, jobId));
    },

    /**
     * The project's import jobs (both types), newest first, `limit` (1–100, default 20) per page
     * after `cursor` (an import's id, as `jobs.list`), keeping only those whose status is one of
     * `statuses` when given (read page by page until the page is full).
     */
    async list(
      projectId: string,
      options: { limit?: number; cursor?: string | null; statuses?: readonly JobRow['status'][] } = {},
    ): Promise<{ data: Job<ImportJobPayload, ImportResult>[]; hasMore: boolean }> {
      const limit = options.limit ?? 20;
      const keep = options.statuses;
      const data: Job<ImportJobPayload, ImportResult>[] = [];
      let cursor = options.cursor ?? null;
      while (true) {
        const page = await jobs.list<ImportJobPayload, ImportResult>(projectId, {
          limit: keep ? 100 : limit,
          cursor,
          types: [...IMPORT_JOB_TYPES],
        });
        for (const job of page.data) {
          if (keep && !keep.includes(job.status)) continue;
          if (data.length === limit) return { data, hasMore: true };
          data.push(job);
        }
        if (!page.hasMore || page.cursor === null) return { data, hasMore: false };
        if (!keep && data.length === limit) return { data, hasMore: true };
        cursor = page.cursor;
      }
    },

    /**
     * Waits for the import job to finish: answers its status once it is `completed` or `failed`,
     * or as it stands when `timeoutMs` has passed or `signal` aborts (so check `state`). Polls,
     * 10 ms at first, backing off to 200 ms. The job runs only where a job runner is started
     * (`roster.jobs.start()`). `not_found` as `status`.
     */
    async wait(
      projectId: string,
      jobId: string,
      options: { timeoutMs: number; signal?: AbortSignal },
    ): Promise<JobStatusView<ImportResult>> {
      const { signal } = options;
      const deadline = Date.now() + options.timeoutMs;
      let delay = 10;
      while (true) {
        const current = await status(projectId, jobId);
        if (current.state === 'completed' || current.state === 'failed') return current;
        if (Date.now() >= deadline || signal?.aborted) return current;
        await sleep(Math.min(delay, Math.max(1, deadline - Date.now())), signal);
        delay = Math.min(delay * 2, 200);
      }
    },

    /** Rows done so far, for progress displays (null before the first batch). */
    async progress(projectId: string, jobId: string): Promise<ImportProgress | null> {
      const job = expectImport(await jobs.get<ImportJobPayload, ImportResult>(projectId, jobId));
      return job.progress as ImportProgress | null;
    },
  };
}

export type ImportService = ReturnType<typeof createImportService>;

/** The source of a path import (a CSV file, or an entry of a ZIP archive) and its checked preset options. */
async function pathSource(
  path: string,
  options: PathImportOptions,
): Promise<{
  source: Extract<ImportSource, { kind: 'path' | 'zip' }>;
  mapping: Pick<ImportJobPayload, 'preset' | 'map' | 'mailchimpStatus'>;
}> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => null);
  if (!info?.isFile()) {
    throw RosterError.validation([{ field: 'file', message: `${path} is not a readable file` }]);
  }
  if (options.entry === undefined) {
    if (await looksLikeZip(absolute)) {
      throw RosterError.validation([
        { field: 'file', message: `${path} is a ZIP archive: name the CSV entry to import (entry)` },
      ]);
    }
    return {
      source: { kind: 'path', path: absolute, size: info.size, mtimeMs: info.mtimeMs },
      mapping: mappingOf(options, absolute),
    };
  }
  const entry = (await readZipEntries(absolute)).find((e) => e.name === options.entry);
  if (!entry) {
    throw RosterError.validation([{ field: 'entry', message: `${path} has no entry "${options.entry}"` }]);
  }
  return {
    source: {
      kind: 'zip',
      path: absolute,
      entry,
      size: entry.size,
      fileSize: info.size,
      mtimeMs: info.mtimeMs,
    },
    mapping: mappingOf(options, entry.name),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
