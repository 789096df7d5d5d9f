import { type FieldIssue, isRosterError, type RosterErrorCode } from '@roster/core';

/** The one place a core error code becomes an HTTP status. Exhaustive by construction. */
export const STATUS_BY_CODE = {
  validation_failed: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  job_failed: 422,
} as const satisfies Record<RosterErrorCode, number>;

/** Transport-level problems that never reach core. */
export type HttpOnlyCode = 'malformed_json' | 'route_not_found' | 'internal';

/** An error classified for an HTTP answer; each dialect renders it in its own body format. */
export interface HttpError {
  status: number;
  code: RosterErrorCode | HttpOnlyCode;
  message: string;
  issues: FieldIssue[];
  /** The resource involved, e.g. `contact`, `audience`, `job`, `api_key`. */
  resource?: string;
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
  limit?: number;
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
  log(error);
  return { status: 500, code: 'internal', message: 'Internal server error', issues: [] };
}

/** Default logger for unexpected errors: one line with the stack to stderr, nothing to the client. */
export function logUnexpected(error: unknown): void {
  console.error('[roster] unexpected error:', error);
}
