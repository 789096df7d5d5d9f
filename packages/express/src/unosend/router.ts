import {
  bulkApplySchema,
  bulkIdsSchema,
  type Contact,
  checkEmail,
  csvQuoted,
  isUuid,
  parseInput,
  type Roster,
  RosterError,
} from '@roster/core';
import express, { type Response, type Router } from 'express';
import { authenticate, projectIdOf, type ResolveProject } from '../auth.js';
import { logUnexpected } from '../errors.js';
import { finishDialectRouter, firstQueryValue, privateAnswers, requireObject } from '../router-kit.js';
import {
  toUnosendAudience,
  toUnosendContact,
  toUnosendErrorBody,
  toUnosendNewAudience,
  toUnosendNewContact,
  toUnosendUpdatedAudience,
} from './unosend-format.js';

export interface UnosendRouterOptions {
  /**
   * Resolve the project from the request yourself (e.g. from your app's session) instead of
   * `Authorization: Bearer <key>` keys.
   * @default Bearer keys stored hashed in the roster database (any prefix but Plunk's public `pk_`)
   */
  resolveProject?: ResolveProject;
  /**
   * Largest JSON body accepted, in bytes or an Express size string.
   * @default '1mb'
   */
  jsonLimit?: number | string;
  /**
   * How long `POST /contacts/import` waits for its import job to finish before answering 202 with
   * the job id. Jobs run only where the roster's job runner is started (`roster.jobs.start()`).
   * @default 5000
   */
  importWaitMs?: number;
  /**
   * Called with every unexpected error (the client gets a generic 500).
   * @default logs to stderr
   */
  onError?: (error: unknown) => void;
}

/** Unosend's page size rules: default 50, larger values are clamped to 100. */
export const UNOSEND_DEFAULT_LIMIT = 50;
export const UNOSEND_MAX_LIMIT = 100;

const BULK_VERBS = {
  delete: 'deleted',
  subscribe: 'subscribed',
  unsubscribe: 'unsubscribed',
  move: 'moved',
} as const;

/**
 * Unosend's contacts and audiences API as an Express router: `app.use('/v1', createUnosendRouter(roster))`
 * serves `/v1/contacts...` and `/v1/audiences...`, so apps using Unosend's SDK only change the base URL.
 * It parses its own JSON bodies, authenticates its own requests and renders Unosend's error envelope.
 */
export function createUnosendRouter(roster: Roster, options: UnosendRouterOptions = {}): Router {
  const router = express.Router();
  const onError = options.onError ?? logUnexpected;
  const maxIds = roster.options.limits.maxBulkIds;
  const importWaitMs = options.importWaitMs ?? 5000;

  // The CSV of an import travels inside the JSON body (as text, or base64 as the SDK's docs show).
  const importJsonLimit = Math.ceil((roster.options.limits.maxImportBytes * 4) / 3) + 64 * 1024;
  // The key is checked from the headers before any body is read: a client without a valid key
  // gets its 401 without the server buffering what it sends. Then each route's body limit applies.
  router.use(
    ['/contacts', '/audiences'],
    privateAnswers,
    authenticate(roster, {
      resolveProject: options.resolveProject,
      rejectPrefixes: [
        { prefix: 'pk_', message: 'Public keys (pk_*) cannot be used with this API; use a secret key' },
      ],
    }),
  );
  router.use('/contacts/import', express.json({ limit: importJsonLimit }));
  router.use(['/contacts', '/audiences'], express.json({ limit: options.jsonLimit ?? '1mb' }));

  // ---- contacts -------------------------------------------------------------------------------

  router.post('/contacts', async (req, res) => {
    const body = requireObject(req.body);
    const contact = await roster.contacts.create(projectIdOf(res), {
      email: body.email as string,
      firstName: body.first_name as string | null | undefined,
      lastName: body.last_name as string | null | undefined,
      audienceId: body.audience_id as string | null | undefined,
      subscribed: subscribedOf(body),
      // Unosend stores metadata as sent, null values included.
      data: body.metadata as Record<string, unknown> | null | undefined,
      dataMode: 'verbatim',
    });
    res.status(201).json(toUnosendNewContact(contact));
  });

  router.get('/contacts', async (req, res) => {
    const limitParam = integerParam('limit', req.query.limit) ?? integerParam('per_page', req.query.per_page);
    const limit = limitParam === undefined ? UNOSEND_DEFAULT_LIMIT : Math.min(limitParam, UNOSEND_MAX_LIMIT);
    let offset = integerParam('offset', req.query.offset);
    if (offset === undefined) {
      const page = integerParam('page', req.query.page);
      if (page !== undefined && page < 1) {
        throw RosterError.validation([{ field: 'page', message: 'must be at least 1' }]);
      }
      // Clamped limit, so `page` counts pages of what is actually returned.
      if (page !== undefined) offset = (page - 1) * Math.max(limit, 1);
    }
    const contacts = await roster.contacts.listOffset(projectIdOf(res), {
      limit,
      offset,
      audienceId: stringParam(req.query.audience_id),
    });
    res.json({ data: contacts.map(toUnosendContact) });
  });

  router.get('/contacts/export', async (req, res) => {
    const format = stringParam(req.query.format) ?? 'csv';
    if (format !== 'csv' && format !== 'json') {
      throw RosterError.validation([{ field: 'format', message: 'must be csv or json' }]);
    }
    const projectId = projectIdOf(res);
    const contacts = roster.contacts.stream(projectId, { audienceId: stringParam(req.query.audience_id) });
    await streamExport(res, contacts, format, async () => {
      const names = new Map<string, string>();
      for (const audience of await roster.audiences.list(projectId)) names.set(audience.id, audience.name);
      return names;
    });
  });

  router.post('/contacts/validate', async (req, res) => {
    const body = requireObject(req.body);
    if (typeof body.email !== 'string') {
      throw RosterError.validation([
        { field: 'email', message: body.email === undefined ? 'is required' : 'must be a string' },
      ]);
    }
    const check = checkEmail(body.email);
    res.json({ email: check.email, valid: check.valid, ...(check.reason ? { reason: check.reason } : {}) });
  });

  router.post('/contacts/bulk', async (req, res) => {
    const body = requireObject(req.body);
    const projectId = projectIdOf(res);

    if (body.operation === undefined && body.contacts !== undefined) {
      const result = await roster.contacts.createMany(projectId, {
        audienceId: body.audience_id as string | null | undefined,
        dataMode: 'verbatim',
        contacts: Array.isArray(body.contacts)
          ? body.contacts.map(toCoreNewContact)
          : (body.contacts as never),
      });
      res.json({
        created: result.created,
        skipped: result.skipped,
        message: `Successfully created ${result.created} contact(s)`,
      });
      return;
    }

    // The request's shape is checked whole before any id is looked up.
    const input = {
      operation: body.operation as never,
      contactIds: body.contact_ids as string[],
      audienceId: body.audience_id as string | null | undefined,
    };
    parseInput(bulkApplySchema(maxIds), input);
    // Unosend answers 400 to an id that is not a UUID (unknown UUIDs are skipped).
    parseInput(bulkIdsSchema(maxIds), { contactIds: input.contactIds });
    if (typeof input.audienceId === 'string' && !isUuid(input.audienceId)) {
      throw RosterError.validation([{ field: 'audienceId', message: 'must be a UUID' }]);
    }
    const outcome = await roster.bulk.apply(projectId, input);
    if (outcome.notFound.length === outcome.requested) {
      throw RosterError.notFound('contact', 'No valid contacts found');
    }
    // Like Unosend, every contact found counts as affected, also those already in the asked state.
    const affected = outcome.affected + outcome.unchanged;
    res.json({
      operation: outcome.operation,
      affected,
      skipped: outcome.notFound.length,
      message: `Successfully ${BULK_VERBS[outcome.operation]} ${affected} contact(s)`,
    });
  });

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
    });
    const status = await waitForImport(roster, projectId, job.id, importWaitMs, res);
    sendImportStatus(res, status);
  });

  router.get('/contacts/import/:id', async (req, res) => {
    sendImportStatus(res, await roster.imports.status(projectIdOf(res), req.params.id));
  });

  router.get('/contacts/:id', async (req, res) => {
    res.json(toUnosendContact(await roster.contacts.get(projectIdOf(res), req.params.id)));
  });

  router.patch('/contacts/:id', async (req, res) => {
    const body = requireObject(req.body);
    const contact = await roster.contacts.update(projectIdOf(res), req.params.id, {
      email: body.email as string | undefined,
      firstName: body.first_name as string | null | undefined,
      lastName: body.last_name as string | null | undefined,
      audienceId: body.audience_id as string | null | undefined,
      subscribed: subscribedOf(body),
      // Unosend replaces metadata as a whole; null clears it.
      data: body.metadata as Record<string, unknown> | null | undefined,
      dataMode: 'replace',
    });
    res.json(toUnosendContact(contact));
  });

  router.delete('/contacts/:id', async (req, res) => {
    await roster.contacts.delete(projectIdOf(res), req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });

  // ---- audiences ------------------------------------------------------------------------------

  router.post('/audiences', async (req, res) => {
    const body = requireObject(req.body);
    const audience = await roster.audiences.create(projectIdOf(res), {
      name: body.name as string,
      description: body.description as string | null | undefined,
    });
    res.status(201).json(toUnosendNewAudience(audience));
  });

  router.get('/audiences', async (_req, res) => {
    const audiences = await roster.audiences.list(projectIdOf(res));
    res.json({ data: audiences.map(toUnosendAudience) });
  });

  router.get('/audiences/:id', async (req, res) => {
    res.json(toUnosendAudience(await roster.audiences.get(projectIdOf(res), req.params.id)));
  });

  router.patch('/audiences/:id', async (req, res) => {
    const body = requireObject(req.body);
    const audience = await roster.audiences.update(projectIdOf(res), req.params.id, {
      name: body.name as string | undefined,
      description: body.description as string | null | undefined,
    });
    res.json(toUnosendUpdatedAudience(audience));
  });

  router.delete('/audiences/:id', async (req, res) => {
    await roster.audiences.delete(projectIdOf(res), req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });

  finishDialectRouter(router, ['/contacts', '/audiences'], toUnosendErrorBody, onError);
  return router;
}

/**
 * Unosend accepts `unsubscribed` as the inverse of `subscribed`. Both may be given only if they agree.
 * Type errors of `subscribed` itself are left to core, which names the field.
 */
function subscribedOf(body: Record<string, unknown>): boolean | undefined {
  const { subscribed, unsubscribed } = body;
  if (unsubscribed === undefined) return subscribed as boolean | undefined;
  if (typeof unsubscribed !== 'boolean') {
    throw RosterError.validation([{ field: 'unsubscribed', message: 'must be a boolean' }]);
  }
  if (subscribed === undefined) return !unsubscribed;
  if (subscribed === unsubscribed) {
    throw RosterError.validation([
      { field: 'unsubscribed', message: 'contradicts subscribed: give one of them, or opposite values' },
    ]);
  }
  return subscribed as boolean;
}

/** One entry of a bulk create, from Unosend's names to core's. Non-objects pass through for core to name. */
function toCoreNewContact(entry: unknown) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry as never;
  const e = entry as Record<string, unknown>;
  return {
    email: e.email as string,
    firstName: e.first_name as string | null | undefined,
    lastName: e.last_name as string | null | undefined,
    subscribed: subscribedOf(e),
    data: e.metadata as Record<string, unknown> | null | undefined,
  };
}

/** A query parameter's first value; empty counts as absent. */
function stringParam(value: unknown): string | undefined {
  return firstQueryValue(value) || undefined;
}

/** An integer query parameter; absent or empty is undefined, anything but an integer is a 400. */
function integerParam(name: string, value: unknown): number | undefined {
  const text = stringParam(value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d{1,15}$/.test(text))
    throw RosterError.validation([{ field: name, message: 'must be an integer' }]);
  return Number.parseInt(text, 10);
}

// ---- export -------------------------------------------------------------------------------------

const CSV_HEADER = ['email', 'first_name', 'last_name', 'subscribed', 'audience', 'created_at'];
const FLUSH_BYTES = 64 * 1024;

/**
 * Streams contacts as Unosend's CSV (`email,first_name,last_name,subscribed,audience,created_at`,
 * every cell quoted, subscribed as Yes/No) or as `{"data":[...contacts]}`. Reads in batches and
 * respects back-pressure, so memory stays flat however many contacts there are. The first batch is
 * read before any header is sent, so a bad `audience_id` is still a clean 400.
 */
async function streamExport(
  res: Response,
  contacts: AsyncGenerator<Contact, void, undefined>,
  format: 'csv' | 'json',
  audienceNames: () => Promise<Map<string, string>>,
): Promise<void> {
  let next = await contacts.next();
  const names = format === 'csv' ? await audienceNames() : new Map<string, string>();
  const day = new Date().toISOString().slice(0, 10);
  res.status(200);
  if (format === 'csv') {
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="contacts-${day}.csv"`);
  } else {
    res.setHeader('content-type', 'application/json; charset=utf-8');
  }
  let buffer = format === 'csv' ? CSV_HEADER.join(',') : '{"data":[';
  let first = true;
  try {
    while (!next.done) {
      const c = next.value;
      if (format === 'csv') {
        buffer += `\n${[
          c.email,
          c.firstName ?? '',
          c.lastName ?? '',
          c.subscribed ? 'Yes' : 'No',
          c.audienceId ? (names.get(c.audienceId) ?? '') : '',
          c.createdAt,
        ]
          .map(csvQuoted)
          .join(',')}`;
      } else {
        buffer += (first ? '' : ',') + JSON.stringify(toUnosendContact(c));
      }
      first = false;
      if (buffer.length >= FLUSH_BYTES) {
        if (!(await write(res, buffer))) return;
        buffer = '';
      }
      next = await contacts.next();
    }
    buffer += format === 'csv' ? '\n' : ']}';
    if (await write(res, buffer)) res.end();
  } finally {
    await contacts.return(undefined);
  }
}

/** Writes a chunk, waiting for the socket to drain when needed. False if the client went away. */
function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

// ---- import -------------------------------------------------------------------------------------

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

/** Polls the import job until it is finished, `waitMs` passes, or the client goes away. */
async function waitForImport(
  roster: Roster,
  projectId: string,
  jobId: string,
  waitMs: number,
  res: Response,
): Promise<ImportStatus> {
  const deadline = Date.now() + waitMs;
  let delay = 10;
  while (true) {
    const status = await roster.imports.status(projectId, jobId);
    if (status.state === 'completed' || status.state === 'failed') return status;
    if (Date.now() >= deadline || res.destroyed) return status;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(1, deadline - Date.now()))));
    delay = Math.min(delay * 2, 200);
  }
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
