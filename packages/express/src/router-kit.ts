import type { Roster } from '@roster/core';
import { RosterError } from '@roster/core';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { authenticate, projectIdOf, type ResolveProject } from './auth.js';
import { classifyError, type HttpError, RouteNotFoundError } from './errors.js';
import { requestIdOf } from './observability/request-observer.js';

/**
 * Headers on every answer of a dialect router, errors included: answers carry personal data, so no
 * cache (browser or proxy) keeps them, and browsers never sniff them into something executable.
 */
export const privateAnswers: RequestHandler = (_req, res, next) => {
  setPrivateHeaders(res);
  next();
};

function setPrivateHeaders(res: Response): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cache-control', 'no-store');
}

/**
 * `express.json(options)` for the requests that may carry a body: GET and HEAD requests skip it
 * (no route reads a body from them, and the parser's checks cost every read request, e.g. every
 * `GET /contacts/:id`). Their body, if a client sends one, is discarded by Node unread.
 */
export function jsonBodies(options: { limit: number | string }): RequestHandler {
  const parse = express.json(options);
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') next();
    else parse(req, res, next);
  };
}

/**
 * The head of the routes that take secret keys (Plunk's `/contacts` and `/segments`, roster's own
 * routes): private answers; then the key, checked from the headers before any body is read (a
 * client without a valid key gets its 401 without the server buffering what it sends), a public
 * `pk_` key refused; then JSON bodies up to `jsonLimit`. One middleware doing the three in turn
 * (one router layer where three cost every request a path match each).
 */
export function secretKeyRoutes(
  roster: Roster,
  resolveProject: ResolveProject | undefined,
  jsonLimit: number | string,
): RequestHandler {
  const auth = authenticate(roster, {
    resolveProject,
    rejectPrefixes: [{ prefix: 'pk_', message: 'This endpoint requires a secret key (sk_*)' }],
  });
  const bodies = jsonBodies({ limit: jsonLimit });
  return (req, res, next) => {
    setPrivateHeaders(res);
    // `authenticate` throws or rejects its refusals (the router gives them to `next`, as before).
    return auth(req, res, (error?: unknown) => (error === undefined ? bodies(req, res, next) : next(error)));
  };
}

/**
 * `res.status(status).json(body)` for a 200 or 201, with the same bytes on the wire: when Express
 * would add nothing but `Content-Type` and `Content-Length` (no ETag, no JSON settings of the app,
 * no conditional request, not HEAD, no `Content-Type` or `Transfer-Encoding` set before), the
 * answer is written directly, skipping `res.json`'s and `res.send`'s header parsing and checks;
 * otherwise it goes through `res.json`.
 */
export function answerJson(res: Response, status: 200 | 201, body: unknown): void {
  const req = res.req;
  const app = res.app;
  if (
    req.method === 'HEAD' ||
    req.headers['if-none-match'] !== undefined ||
    req.headers['if-modified-since'] !== undefined ||
    res.getHeader('content-type') !== undefined ||
    res.getHeader('transfer-encoding') !== undefined ||
    res.getHeader('etag') !== undefined ||
    typeof app.get('etag fn') === 'function' ||
    app.get('json replacer') ||
    app.get('json spaces') ||
    app.get('json escape')
  ) {
    res.status(status).json(body);
    return;
  }
  // What `res.json` sends with those settings off: `JSON.stringify(body)`, its Content-Type with
  // the charset `res.send` adds, and its length in bytes.
  const json = JSON.stringify(body) as string | undefined;
  if (json === undefined) {
    res.status(status).json(body);
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(json, 'utf8')));
  res.end(json, 'utf8');
}

/** A JSON body must be an object; an absent body counts as `{}` so field-level errors name the fields. */
export function requireObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw RosterError.validation([{ field: 'body', message: 'must be a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

/** The core calls behind one resource's item routes (e.g. `roster.contacts`), in the key's project. */
export interface ItemService<Item, Updated, Patch, Removed = void> {
  get(projectId: string, id: string): Promise<Item>;
  update(projectId: string, id: string, patch: Patch): Promise<Updated>;
  delete(projectId: string, id: string): Promise<Removed>;
}

/** How a dialect renders one resource's item routes. */
export type ItemWire<Item, Updated, Patch, Removed = void> = {
  /** The name of the path's parameter (`idOrKey` where a key names an item too). @default 'id' */
  param?: string;
  /** The core patch of a `PATCH` body (the request's JSON object, see `requireObject`). */
  patch: (body: Record<string, unknown>) => Patch;
  /**
   * Answers a done deletion (e.g. 204, or a JSON confirmation naming `id`): `id` is the path's,
   * `removed` what core's `delete` returned (e.g. the deleted item, when the path may name it by key).
   */
  deleted: (res: Response, id: string, removed: Removed) => void;
  /** Runs after a done `PATCH` or `DELETE`, before the answer (e.g. the audit log's entry). */
  onChange?: ResourceChangeHook<Updated>;
} & (
  | { /** The body of `GET` and `PATCH`. */ wire: (item: Item | Updated) => unknown; updated?: undefined }
  | {
      /** The body of `GET`. */ wire: (item: Item) => unknown /** The body of `PATCH`. */;
      updated: (item: Updated) => unknown;
    }
);

/** A change made through a resource's routes: what was done, to which item, with which body. */
export type ResourceChange<Item> =
  | { kind: 'created' | 'updated'; id: string; item: Item; body: Record<string, unknown> }
  | { kind: 'deleted'; id: string };

/** Told of each change made through a resource's routes, before the answer is sent. */
export type ResourceChangeHook<Item> = (
  req: Request,
  res: Response,
  change: ResourceChange<Item>,
) => Promise<void> | void;

/** Registers `GET`, `PATCH` and `DELETE` of `<collection>/:id`, in that order: each one core call. */
export function registerItemRoutes<Item, Updated, Patch, Removed = void>(
  router: Router,
  collection: string,
  service: ItemService<Item, Updated, Patch, Removed>,
  render: ItemWire<Item, Updated, Patch, Removed>,
): void {
  const param = render.param ?? 'id';
  const path = `${collection}/:${param}`;
  // A named segment (`:id`, not a wildcard) is always one string.
  const idOf = (req: Request) => req.params[param] as string;
  const updated: (item: Updated) => unknown = render.updated ? render.updated : render.wire;
  router.get(path, async (req, res) => {
    answerJson(res, 200, render.wire(await service.get(projectIdOf(res), idOf(req))));
  });
  router.patch(path, async (req, res) => {
    const body = requireObject(req.body);
    const item = await service.update(projectIdOf(res), idOf(req), render.patch(body));
    await render.onChange?.(req, res, { kind: 'updated', id: idOf(req), item, body });
    res.json(updated(item));
  });
  router.delete(path, async (req, res) => {
    const removed = await service.delete(projectIdOf(res), idOf(req));
    await render.onChange?.(req, res, { kind: 'deleted', id: idOf(req) });
    render.deleted(res, idOf(req), removed);
  });
}

/** The core calls behind one of roster's own resources (topics, properties, webhook endpoints). */
export interface ResourceService<Item, Created, Patch, Removed>
  extends ItemService<Item, Item, Patch, Removed> {
  list(projectId: string): Promise<Item[]>;
  create(projectId: string, input: never): Promise<Created>;
}

/**
 * Registers the routes of one of roster's own resources, answered as core returns them: `GET
 * <collection>` (`{ data }`), `POST <collection>` (201), then `GET`, `PATCH` and `DELETE` (204) of
 * `<collection>/:id`. The bodies go to core as sent: core validates them and names the fields.
 */
export function registerResourceRoutes<Item, Created, Patch, Removed>(
  router: Router,
  collection: string,
  service: ResourceService<Item, Created, Patch, Removed>,
  options: {
    /** The name of the item path's parameter. @default 'id' */
    param?: string;
    /** Told of each create, update and delete, before the answer (e.g. the audit log's entry). */
    onChange?: ResourceChangeHook<Item | Created>;
  } = {},
): void {
  const { param = 'id', onChange } = options;
  router.get(collection, async (_req, res) => {
    res.json({ data: await service.list(projectIdOf(res)) });
  });
  router.post(collection, async (req, res) => {
    const body = requireObject(req.body);
    const created = await service.create(projectIdOf(res), body as never);
    const id = (created as { id?: unknown }).id;
    await onChange?.(req, res, {
      kind: 'created',
      id: typeof id === 'string' ? id : '',
      item: created,
      body,
    });
    res.status(201).json(created);
  });
  registerItemRoutes(router, collection, service, {
    param,
    onChange,
    wire: (item) => item,
    patch: (body) => body as Patch,
    deleted: (res) => res.status(204).end(),
  });
}

/** The first string of a query parameter (`?a=1&a=2` gives `'1'`), or undefined. */
export function firstQueryValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** Renders a classified error as a dialect's error body. */
export type RenderErrorBody = (error: HttpError) => unknown;

/**
 * Ends a dialect router: unknown routes under `paths` answer 404 in the dialect's error format, and
 * everything thrown by its routes is classified once and rendered by `render`. Unexpected errors go
 * to `onError` and the client gets a generic 500.
 */
export function finishDialectRouter(
  router: Router,
  paths: string[],
  render: RenderErrorBody,
  onError: (error: unknown) => void,
  /** Adjusts a classified error per route (e.g. Plunk's `/v1/track` answers validation with 422). */
  adjust?: (error: HttpError, req: Request) => HttpError,
): void {
  router.use(paths, (req, _res, next) => {
    next(new RouteNotFoundError(req.method, req.originalUrl.split('?')[0] ?? req.originalUrl));
  });
  const handleError: ErrorRequestHandler = (error, req, res, _next) => {
    const classified = classifyError(error, onError);
    const http = adjust ? adjust(classified, req) : classified;
    if (res.headersSent || res.destroyed) {
      // The answer had started (a streamed export failed midway): ending it cleanly would hand
      // the client a short body that looks complete. Abort the connection instead, so the client
      // sees an incomplete transfer (no final chunk) and its read fails.
      res.destroy();
      return;
    }
    // Answered before the body was read (e.g. 401 without a key): close the connection after the
    // answer, so a client that keeps sending (or stalls) holds neither memory nor a socket.
    if (!req.complete) res.setHeader('connection', 'close');
    if (http.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(http.retryAfterSeconds));
    res.status(http.status).json(render({ ...http, requestId: requestIdOf(res) }));
  };
  router.use(handleError);
}
