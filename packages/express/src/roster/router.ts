import type { ImportPreset, Roster, RosterLogger } from '@roster/core';
import { csvDataType, RosterError } from '@roster/core';
import { SUMMARIZED_JOB_TYPES, toImportView, toJobView } from '@roster/core/internal';
import express, { type Request, type Response, type Router } from 'express';
import { recordAudit } from '../audit.js';
import { projectIdOf, type ResolveProject } from '../auth.js';
import { changeSource } from '../consent/change-source.js';
import { unexpectedErrorLogger } from '../errors.js';
import { audienceNames, EXPORT_ONLY_COLUMNS, escapedCell, streamExport } from '../export-stream.js';
import { observeRequests, type RequestRecorder } from '../observability/request-observer.js';
import { toPlunkContactPage, toPlunkErrorBody } from '../plunk/plunk-format.js';
import {
  finishDialectRouter,
  firstQueryValue,
  type ResourceChangeHook,
  registerResourceRoutes,
  requireObject,
  secretKeyRoutes,
} from '../router-kit.js';
import { uploadFile } from '../upload.js';

export interface RosterRouterOptions {
  /**
   * Resolve the project from the request yourself instead of `Authorization: Bearer sk_...` keys.
   * @default Bearer secret keys stored hashed in the roster database
   */
  resolveProject?: ResolveProject;
  /**
   * Called with every unexpected error (the client gets a generic 500).
   * @default logs to stderr
   */
  onError?: (error: unknown) => void;
  /** Writes one line per answered request (pino-compatible logger). @default none */
  logger?: RosterLogger | undefined;
  /** Records request counts and durations (`createMetrics(roster)`). @default none */
  metrics?: RequestRecorder | undefined;
}

/** The paths the management router serves, relative to where it is mounted. */
export const ROSTER_ROUTE_PATHS = [
  '/project',
  '/overview',
  '/keys',
  '/imports',
  '/migrations',
  '/jobs',
  '/contacts',
  '/webhooks',
  '/topics',
  '/properties',
  '/audit',
  '/consent',
  '/suppressions',
  '/inbound-settings',
  '/personal-data',
];

/** `true` / `false` / absent; anything else is a 400 naming the parameter. */
function booleanParam(name: string, value: unknown): boolean | undefined {
  const text = firstQueryValue(value);
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  throw RosterError.validation([{ field: name, message: 'must be true or false' }]);
}

function oneOfParam<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  const text = firstQueryValue(value);
  if (text === undefined || text === '') return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw RosterError.validation([{ field: name, message: `must be one of ${allowed.join(', ')}` }]);
}

function limitParam(value: unknown, fallback: number): number {
  const text = firstQueryValue(value);
  if (text === undefined || text === '') return fallback;
  const n = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= 100)) {
    throw RosterError.validation([{ field: 'limit', message: 'must be an integer from 1 to 100' }]);
  }
  return n;
}

/**
 * The contact filters of `GET /contacts` and `GET /contacts/export`: `search`, `subscribed`,
 * `audience_id` and `segment_id` (checked to be a segment of the project: `not_found` otherwise).
 */
async function contactFilters(roster: Roster, projectId: string, query: Record<string, unknown>) {
  const search = firstQueryValue(query.search)?.trim() || undefined;
  const subscribed = booleanParam('subscribed', query.subscribed);
  const audienceId = firstQueryValue(query.audience_id) || undefined;
  const segmentId = firstQueryValue(query.segment_id) || undefined;
  let filter: object | undefined;
  if (segmentId) {
    const segment = await roster.segments.get(projectId, segmentId);
    filter = {
      logic: 'AND',
      groups: [{ filters: [{ field: `segment.${segment.id}`, operator: 'memberOfSegment' }] }],
    };
  }
  return { search, subscribed, audienceId, filter };
}

/** What an export's audit entry says: its format and the filters given (never their values' data). */
export function exportDetail(format: string, query: Record<string, unknown>): Record<string, unknown> {
  const filters: Record<string, string> = {};
  for (const name of ['search', 'subscribed', 'audience_id', 'segment_id']) {
    const value = firstQueryValue(query[name]);
    if (value) filters[name] = value.slice(0, 200);
  }
  return { format, filters };
}

/** A numeric query parameter as core expects it: a number when it is one, else the text (core names the problem). */
function queryNumber(value: unknown): number | string | undefined {
  const text = firstQueryValue(value);
  if (text === undefined) return undefined;
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/**
 * roster's own management API, beyond what Plunk and Unosend define: the caller's project, its API
 * keys, an import's row counts while it runs, the project's recent jobs, and the contacts list and
 * export with every filter together (search, subscription, audience, segment). Mount it at `/roster`; authenticated like the
 * Plunk router (secret keys), errors in Plunk's envelope.
 */
export function createRosterRouter(roster: Roster, options: RosterRouterOptions = {}): Router {
  const router = express.Router();
  router.use(ROSTER_ROUTE_PATHS, observeRequests('roster', options));
  const onError = options.onError ?? unexpectedErrorLogger(options.logger);
  router.use(changeSource('roster'));

  router.use(ROSTER_ROUTE_PATHS, secretKeyRoutes(roster, options.resolveProject, '16kb'));
  const audit = (
    req: Request,
    res: Response,
    action: string,
    target: string | null,
    detail?: Record<string, unknown>,
  ) => recordAudit(roster, req, res, { action, target, detail }, onError);
  /** Audits a resource's creates (described), updates (the fields sent) and deletes. */
  const auditedAs =
    <Item extends { id: string }>(
      resource: string,
      describe: (item: Item) => Record<string, unknown>,
    ): ResourceChangeHook<Item> =>
    (req, res, change) =>
      change.kind === 'deleted'
        ? audit(req, res, `${resource}.deleted`, change.id)
        : audit(
            req,
            res,
            `${resource}.${change.kind}`,
            change.item.id,
            change.kind === 'created' ? describe(change.item) : { fields: Object.keys(change.body) },
          );

  /**
   * A project's settings at `path`: GET answers them; a `method` request writes its body's fields,
   * audited as `action` with the fields' names (never their values), and answers the new settings.
   */
  const settingsRoutes = <Settings>(
    path: string,
    method: 'put' | 'patch',
    read: (projectId: string) => Promise<Settings>,
    write: (projectId: string, body: never) => Promise<Settings>,
    action: string,
  ) => {
    router.get(path, async (_req, res) => {
      res.json(await read(projectIdOf(res)));
    });
    router[method](path, async (req, res) => {
      const body = requireObject(req.body);
      const settings = await write(projectIdOf(res), body as never);
      await audit(req, res, action, null, { fields: Object.keys(body) });
      res.json(settings);
    });
  };

  router.get('/project', async (_req, res) => {
    const project = await roster.projects.get(projectIdOf(res));
    res.json({ id: project.id, name: project.name, createdAt: project.createdAt });
  });

  router.get('/overview', async (req, res) => {
    // A text that is not a number goes to core as it is: core names `days` and the problem.
    const days = queryNumber(req.query.days);
    const options = (days === undefined || days === '' ? {} : { days }) as { days?: number };
    res.json(await roster.stats.overview(projectIdOf(res), options));
  });

  router.get('/keys', async (_req, res) => {
    res.json({ data: await roster.keys.list(projectIdOf(res)) });
  });

  router.post('/keys', async (req, res) => {
    const body = requireObject(req.body);
    if (body.prefix !== undefined && typeof body.prefix !== 'string') {
      throw RosterError.validation([{ field: 'prefix', message: 'must be a string' }]);
    }
    const created = await roster.keys.create(projectIdOf(res), { prefix: body.prefix as string });
    await audit(req, res, 'key.created', created.id, { prefix: created.prefix });
    res.status(201).json(created);
  });

  router.delete('/keys/:id', async (req, res) => {
    await roster.keys.revoke(req.params.id, { projectId: projectIdOf(res) });
    await audit(req, res, 'key.revoked', req.params.id);
    res.status(204).end();
  });

  // Reads back what `GET /contacts/export` writes: names from first_name / last_name, subscribed
  // (Yes/No), data from the `data.<key>` columns (typed ones, `data.seats:number`, parsed); the
  // audience and created_at columns are not stored.
  router.post('/imports', uploadFile(roster), async (req, res) => {
    if (!req.file) {
      throw RosterError.validation([
        { field: 'file', message: 'is required: send the CSV as the multipart field "file"' },
      ]);
    }
    const projectId = projectIdOf(res);
    const body = req.body as Record<string, unknown> | undefined;
    const audienceId = firstQueryValue(body?.audience_id);
    // `preset` (mailchimp, listmonk): another tool's export CSV, read through core's preset.
    const preset = firstQueryValue(body?.preset);
    const job = await roster.imports.enqueue(projectId, {
      file: req.file.buffer,
      name: req.file.originalname || null,
      audienceId: audienceId || undefined,
      nameColumns: true,
      skipColumns: EXPORT_ONLY_COLUMNS,
      typedColumns: true,
      ...(preset ? { preset: preset as ImportPreset } : {}),
    });
    await audit(req, res, 'import.started', job.id, {
      file: req.file.originalname || null,
      bytes: req.file.size,
    });
    res.status(202).json(toImportView(await roster.imports.status(projectId, job.id), null));
  });

  router.get('/imports/:jobId', async (req, res) => {
    const projectId = projectIdOf(res);
    const status = await roster.imports.status(projectId, req.params.jobId);
    const progress =
      status.state === 'completed' ? null : await roster.imports.progress(projectId, status.id);
    res.json(toImportView(status, progress));
  });

  // Body `{ from, url?, key, concurrency?, dryRun? }`: `roster migrate` as a background job, 202 with
  // the job (its state and counts through `GET /jobs/:id`). The key is never echoed, logged nor audited.
  router.post('/migrations', async (req, res) => {
    const projectId = projectIdOf(res);
    const job = await roster.migrate.start(projectId, requireObject(req.body) as never);
    const { source, url, concurrency, dryRun } = job.payload;
    await audit(req, res, 'migration.started', job.id, { source, url, concurrency, dryRun });
    res.status(202).json(toJobView(job));
  });

  router.get('/jobs', async (req, res) => {
    const typeParam = firstQueryValue(req.query.type);
    const types = typeParam
      ? typeParam
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : [...SUMMARIZED_JOB_TYPES];
    const page = await roster.jobs.list(projectIdOf(res), {
      limit: limitParam(req.query.limit, 20),
      cursor: firstQueryValue(req.query.cursor) || undefined,
      types,
    });
    res.json({ data: page.data.map(toJobView), cursor: page.cursor, hasMore: page.hasMore });
  });

  router.get('/jobs/:id', async (req, res) => {
    res.json(toJobView(await roster.jobs.get(projectIdOf(res), req.params.id)));
  });

  router.get('/contacts', async (req, res) => {
    const projectId = projectIdOf(res);
    const cursor = firstQueryValue(req.query.cursor) || undefined;
    const filters = await contactFilters(roster, projectId, req.query);
    const page = await roster.contacts.list(projectId, {
      ...filters,
      limit: limitParam(req.query.limit, 20),
      cursor,
      sort: oneOfParam('sort', req.query.sort, ['createdAt', 'email'] as const),
      dir: oneOfParam('dir', req.query.dir, ['asc', 'desc'] as const),
      includeTotal: cursor === undefined,
    });
    res.json(toPlunkContactPage(page));
  });

  router.get('/contacts/export', async (req, res) => {
    const projectId = projectIdOf(res);
    const format = oneOfParam('format', req.query.format, ['csv', 'json'] as const) ?? 'csv';
    const filters = await contactFilters(roster, projectId, req.query);
    await audit(req, res, 'contacts.exported', null, exportDetail(format, req.query));
    // Cells a spreadsheet would run as formulas get a leading `'`. Data columns are typed
    // (`data.seats:number`) so that `POST /imports` reads the values back with their types.
    await streamExport(
      res,
      () => roster.contacts.stream(projectId, filters),
      format,
      escapedCell,
      () => audienceNames(roster, projectId),
      async () =>
        (await roster.contacts.dataKeyTypes(projectId, filters)).map((key) => ({
          key: key.key,
          type: csvDataType(key),
        })),
    );
  });

  // ---- topics and each contact's subscriptions (core decides; see the OpenAPI document) -----------

  registerResourceRoutes(router, '/topics', roster.topics, {
    onChange: auditedAs('topic', (topic) => ({ name: topic.name })),
  });

  router.get('/contacts/:id/topics', async (req, res) => {
    res.json({ data: await roster.topics.contactTopics(projectIdOf(res), req.params.id) });
  });

  // Body `{ topics: [{ id, subscription }] }`: sets those topics, others keep their subscription.
  router.put('/contacts/:id/topics', async (req, res) => {
    const body = requireObject(req.body);
    if (!Array.isArray(body.topics)) {
      throw RosterError.validation([
        { field: 'topics', message: 'must be an array of { id, subscription }' },
      ]);
    }
    const data = await roster.topics
      .setContactTopics(projectIdOf(res), req.params.id, body.topics as never)
      .catch((error: unknown) => {
        // Core names the items of the array it was given (`0.id`); the client sent them as `topics`.
        if (error instanceof RosterError && error.code === 'validation_failed') {
          const issues = (error.details as { issues: { field: string; message: string }[] }).issues;
          throw RosterError.validation(
            issues.map((issue) => ({
              field: issue.field === 'body' ? 'topics' : `topics.${issue.field}`,
              message: issue.message,
            })),
          );
        }
        throw error;
      });
    res.json({ data });
  });

  // ---- consent: double opt-in, one-click unsubscribe headers, the contact's events, the pages' settings ----
  // ---- suppressions, the bounce webhooks' credentials, personal data (core decides) -----------------

  router.get('/suppressions', async (req, res) => {
    res.json(
      await roster.suppressions.list(projectIdOf(res), {
        origin: firstQueryValue(req.query.origin) || undefined,
        limit: limitParam(req.query.limit, 20),
        cursor: firstQueryValue(req.query.cursor) || undefined,
      } as never),
    );
  });

  // Body `{ email, origin?, reason? }`: 201 with the new entry, 200 with the existing one.
  router.post('/suppressions', async (req, res) => {
    const body = requireObject(req.body);
    const result = await roster.suppressions.add(projectIdOf(res), body as never);
    // The entry's id, never the address: an erasure must not leave it in the audit log.
    if (result.created) {
      await audit(req, res, 'suppression.added', result.suppression.id, {
        origin: typeof body.origin === 'string' ? body.origin : 'manual',
      });
    }
    res.status(result.created ? 201 : 200).json(result);
  });

  router.get('/suppressions/:idOrEmail', async (req, res) => {
    res.json(await roster.suppressions.get(projectIdOf(res), req.params.idOrEmail));
  });

  router.delete('/suppressions/:idOrEmail', async (req, res) => {
    const entry = await roster.suppressions.get(projectIdOf(res), req.params.idOrEmail);
    await roster.suppressions.remove(projectIdOf(res), req.params.idOrEmail);
    await audit(req, res, 'suppression.removed', entry.id);
    res.status(204).end();
  });

  // PUT body `{ resendSecret?, postmark?: { username, password } }` (null removes one).
  settingsRoutes(
    '/inbound-settings',
    'put',
    (projectId) => roster.suppressions.inboundSettings(projectId),
    (projectId, body) => roster.suppressions.configureInbound(projectId, body),
    'inbound_settings.updated',
  );

  // Body `{ email }`: the person's data as one JSON document.
  router.post('/personal-data/export', async (req, res) => {
    const body = requireObject(req.body);
    const exported = await roster.consent.exportPersonalData(projectIdOf(res), body.email as string);
    await audit(req, res, 'personal_data.exported', null);
    res.json(exported);
  });

  // Body `{ email }`: erases the person; answers the report of what was removed.
  router.post('/personal-data/erase', async (req, res) => {
    const body = requireObject(req.body);
    const report = await roster.consent.erase(projectIdOf(res), body.email as string);
    // Who erased and when, never whom (the address is what was erased).
    await audit(req, res, 'personal_data.erased', null);
    res.json(report);
  });

  // ---- declared contact properties (by id or key) ---------------------------------------------------

  router.post('/contacts/:id/confirmation', async (req, res) => {
    const body = requireObject(req.body);
    res.status(201).json(
      await roster.consent.requestConfirmation(projectIdOf(res), req.params.id, {
        redirectUrl: body.redirectUrl as string | undefined,
      }),
    );
  });

  router.get('/contacts/:id/unsubscribe-headers', async (req, res) => {
    const topicId = firstQueryValue(req.query.topic_id) || undefined;
    res.json(await roster.consent.unsubscribeHeaders(projectIdOf(res), req.params.id, { topicId }));
  });

  router.get('/contacts/:id/consent', async (req, res) => {
    res.json(await roster.consent.status(projectIdOf(res), req.params.id));
  });

  // The contact's events, newest first: its activity timeline (consent records included).
  router.get('/contacts/:id/events', async (req, res) => {
    const limit = limitParam(req.query.limit, 100);
    res.json({ data: await roster.events.list(projectIdOf(res), req.params.id, { limit }) });
  });

  settingsRoutes(
    '/consent',
    'patch',
    (projectId) => roster.consent.settings(projectId),
    (projectId, body) => roster.consent.updateSettings(projectId, body),
    'consent.settings_updated',
  );

  router.post('/consent/rotate-secret', async (req, res) => {
    const rotated = await roster.consent.rotateSecret(projectIdOf(res), requireObject(req.body) as never);
    await audit(req, res, 'consent.secret_rotated', null);
    res.json(rotated);
  });

  // ---- declared contact properties (by id or key) ---------------------------------------------------

  registerResourceRoutes(router, '/properties', roster.properties, {
    param: 'idOrKey',
    onChange: auditedAs('property', (property) => ({ key: property.key, type: property.type })),
  });

  // ---- the audit log (append-only: there is no write route) ---------------------------------------

  router.get('/audit', async (req, res) => {
    const query = {
      since: firstQueryValue(req.query.since) || undefined,
      action: firstQueryValue(req.query.action) || undefined,
      limit: queryNumber(req.query.limit),
      cursor: firstQueryValue(req.query.cursor) || undefined,
    };
    const input = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    res.json(await roster.audit.list(projectIdOf(res), input as never));
  });

  // ---- webhooks: endpoints, deliveries, attempts (see the OpenAPI document) ----------------------

  registerResourceRoutes(router, '/webhooks', roster.webhooks, {
    onChange: auditedAs('webhook', (endpoint) => ({ url: endpoint.url, eventTypes: endpoint.eventTypes })),
  });

  router.get('/webhooks/:id/secret', async (req, res) => {
    res.json(await roster.webhooks.secret(projectIdOf(res), req.params.id));
  });

  router.post('/webhooks/:id/rotate-secret', async (req, res) => {
    const rotated = await roster.webhooks.rotateSecret(
      projectIdOf(res),
      req.params.id,
      requireObject(req.body) as never,
    );
    await audit(req, res, 'webhook.secret_rotated', req.params.id);
    res.json(rotated);
  });

  router.post('/webhooks/:id/test', async (req, res) => {
    res.json(await roster.webhooks.sendTest(projectIdOf(res), req.params.id));
  });

  router.post('/webhooks/:id/replay', async (req, res) => {
    res
      .status(202)
      .json(
        await roster.webhooks.replaySince(projectIdOf(res), req.params.id, requireObject(req.body) as never),
      );
  });

  router.get('/webhooks/:id/deliveries', async (req, res) => {
    const query = {
      limit: queryNumber(req.query.limit),
      cursor: firstQueryValue(req.query.cursor),
      status: firstQueryValue(req.query.status),
    };
    const input = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    res.json(await roster.webhooks.deliveries(projectIdOf(res), req.params.id, input as never));
  });

  /** The delivery, if it belongs to the endpoint in the path (else `not_found`). */
  async function endpointDelivery(projectId: string, endpointId: string, deliveryId: string) {
    const endpoint = await roster.webhooks.get(projectId, endpointId);
    const delivery = await roster.webhooks.delivery(projectId, deliveryId);
    if (delivery.endpointId !== endpoint.id)
      throw RosterError.notFound('webhook_delivery', 'Webhook delivery not found');
    return delivery;
  }

  router.get('/webhooks/:id/deliveries/:deliveryId', async (req, res) => {
    res.json(await endpointDelivery(projectIdOf(res), req.params.id, req.params.deliveryId));
  });

  router.get('/webhooks/:id/deliveries/:deliveryId/attempts', async (req, res) => {
    const projectId = projectIdOf(res);
    const delivery = await endpointDelivery(projectId, req.params.id, req.params.deliveryId);
    res.json({ data: await roster.webhooks.attempts(projectId, delivery.id) });
  });

  router.post('/webhooks/:id/deliveries/:deliveryId/replay', async (req, res) => {
    const projectId = projectIdOf(res);
    const delivery = await endpointDelivery(projectId, req.params.id, req.params.deliveryId);
    res.status(202).json(await roster.webhooks.replay(projectId, delivery.id));
  });

  finishDialectRouter(router, ROSTER_ROUTE_PATHS, toPlunkErrorBody, onError);
  return router;
}
