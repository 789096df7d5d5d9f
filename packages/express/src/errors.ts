import { type FieldIssue, isRosterError, type RosterErrorCode, type RosterLogger } from '@roster/core';

/**
 * Why a request was refused before reaching core: no key, not the Bearer scheme, a key of the wrong
 * type, an unknown or revoked key, a host `authenticate` hook that said no, a cross-site dashboard
 * request. Plunk and Unosend render some of them as their own error codes.
 */
export type AuthFailureReason = 'missing' | 'scheme' | 'key_type' | 'invalid_key' | 'rejected' | 'csrf';

/** Authentication (401) and authorisation (403) failures: HTTP's, never raised by core. */
export class HttpAuthError extends Error {
  constructor(
    readonly code: 'unauthorized' | 'forbidden',
    message: string,
    readonly reason: AuthFailureReason,
  ) {
    super(message);
    this.name = 'HttpAuthError';
  }
}

/** A 401 answer. */
export function unauthorized(message: string, reason: AuthFailureReason): HttpAuthError {
  return new HttpAuthError('unauthorized', message, reason);
}

/** A 403 answer. */
export function forbidden(message: string, reason: AuthFailureReason): HttpAuthError {
  return new HttpAuthError('forbidden', message, reason);
}

/** A 429 answer: the client sent too many requests; it may try again after `retryAfterSeconds`. */
export class RateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** The one place an error code becomes an HTTP status. Exhaustive by construction. */
export const STATUS_BY_CODE = {
  validation_failed: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  job_failed: 422,
} as const satisfies Record<RosterErrorCode | HttpAuthError['code'], number>;

/** Transport-level problems that never reach core. */
export type HttpOnlyCode = 'malformed_json' | 'route_not_found' | 'rate_limited' | 'internal';

/** An error classified for an HTTP answer; each dialect renders it in its own body format. */
export interface HttpError {
  status: number;
  code: RosterErrorCode | HttpAuthError['code'] | HttpOnlyCode;
  message: string;
  issues: FieldIssue[];
  /** The resource involved, e.g. `contact`, `audience`, `job`, `api_key`. */
  resource?: string;
  /** Why authentication or authorisation failed (401 and 403 only). */
  reason?: AuthFailureReason;
  /** Seconds the client should wait before trying again (429 only; also sent as `Retry-After`). */
  retryAfterSeconds?: number;
  /** The request's id (`X-Request-Id`), for the dialects whose error body has room for it. */
  requestId?: string | undefined;
}

/** An unknown route under a dialect router's paths. */
export class RouteNotFoundError extends Error {
  constructor(method: string, path: string) {
    super(`Route ${method} ${path} not found`);
    this.name = 'RouteNotFoundError';
  }
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  limit?: number;
  message?: string;
}

/**
 * True for a request the client gave up on (it closed the connection while sending its body): no
 * answer can reach it, and it is not a server problem.
 */
export function isClientAbort(error: unknown): boolean {
  const type = (error as BodyParserError | null)?.type;
  return type === 'request.aborted' || (error as { code?: string } | null)?.code === 'ECONNRESET';
}

/**
 * Turns anything thrown by a handler into an HttpError. Unknown errors become a generic 500 and are
 * passed to `log` (never to the client).
 */
export function classifyError(error: unknown, log: (error: unknown) => void): HttpError {
  if (isRosterError(error)) {
    return {
      status: STATUS_BY_CODE[error.code],
      code: error.code,
      message: error.message,
      issues: error.details.issues ?? [],
      resource: error.details.resource,
    };
  }
  if (error instanceof HttpAuthError) {
    return {
      status: STATUS_BY_CODE[error.code],
      code: error.code,
      message: error.message,
      issues: [],
      reason: error.reason,
    };
  }
  if (error instanceof RateLimitedError) {
    return {
      status: 429,
      code: 'rate_limited',
      message: error.message,
      issues: [],
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof RouteNotFoundError) {
    return { status: 404, code: 'route_not_found', message: error.message, issues: [] };
  }
  const parserError = error as BodyParserError | null;
  if (parserError?.type === 'entity.parse.failed') {
    return {
      status: 400,
      code: 'malformed_json',
      message: 'Malformed JSON in request body',
      issues: [{ field: 'body', message: 'is not valid JSON' }],
    };
  }
  if (parserError?.type === 'entity.too.large') {
    return {
      status: 413,
      code: 'payload_too_large',
      message: `Request body is larger than the limit of ${parserError.limit ?? 'the server'} bytes`,
      issues: [{ field: 'body', message: 'is too large' }],
    };
  }
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
    return {
      status: 415,
      code: 'validation_failed',
      message: 'Unsupported request body encoding',
      issues: [{ field: 'body', message: 'has an unsupported encoding' }],
    };
  }
  if (error instanceof URIError && parserError?.status === 400) {
    // Express could not percent-decode a path parameter (`/contacts/%ZZ`).
    return {
      status: 400,
      code: 'validation_failed',
      message: 'Malformed percent-encoding in the request path',
      issues: [{ field: 'path', message: 'contains malformed percent-encoding' }],
    };
  }
  if (isClientAbort(error)) {
    return {
      status: 400,
      code: 'validation_failed',
      message: 'The client closed the request before sending its whole body',
      issues: [{ field: 'body', message: 'was not received completely' }],
    };
  }
  // Other transport errors of Express and its body parsers (e.g. a `Content-Encoding: gzip` body that
  // is not gzip) carry their 4xx status and a message meant for the client.
  const status = parserError?.status ?? parserError?.statusCode;
  if (parserError?.expose === true && typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      code: status === 413 ? 'payload_too_large' : 'validation_failed',
      message: `Malformed request body: ${parserError.message ?? 'cannot be read'}`,
      issues: [{ field: 'body', message: `cannot be read (${parserError.message ?? 'malformed'})` }],
    };
  }
  log(error);
  return { status: 500, code: 'internal', message: 'Internal server error', issues: [] };
}

/** Default logger for unexpected errors: one line with the stack to stderr, nothing to the client. */
export function logUnexpected(error: unknown): void {
  console.error('[roster] unexpected error:', error);
}

/** The default `onError` of a router: the logger's error line when it has one, else `logUnexpected`. */
export function unexpectedErrorLogger(logger: RosterLogger | undefined): (error: unknown) => void {
  return logger ? (error) => logger.error({ err: error }, 'unexpected error') : logUnexpected;
}
