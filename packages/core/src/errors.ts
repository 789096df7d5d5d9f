/** Every error code core can raise. Transports map each one to their own status (see @roster/express). */
export const ROSTER_ERROR_CODES = [
  'validation_failed',
  'not_found',
  'conflict',
  'invalid_cursor',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'job_failed',
] as const;

export type RosterErrorCode = (typeof ROSTER_ERROR_CODES)[number];

/** One problem with one input field, e.g. `{ field: 'email', message: 'must be a valid email address' }`. */
export interface FieldIssue {
  field: string;
  message: string;
  /** A machine-readable reason where one exists, e.g. `reserved_event`. */
  code?: string;
}

export interface RosterErrorDetails {
  /** Field-level problems for `validation_failed`. */
  issues?: FieldIssue[];
  /** What was not found or conflicted, e.g. `contact`, `audience`, `job`. */
  resource?: string;
  [key: string]: unknown;
}

/** The one error class core throws on purpose. Anything else that escapes core is a bug. */
export class RosterError extends Error {
  readonly code: RosterErrorCode;
  readonly details: RosterErrorDetails;

  constructor(code: RosterErrorCode, message: string, details: RosterErrorDetails = {}) {
    super(message);
    this.name = 'RosterError';
    this.code = code;
    this.details = details;
  }

  static validation(issues: FieldIssue[], message?: string): RosterError {
    const text = message ?? issues.map((i) => `${i.field}: ${i.message}`).join('; ');
    return new RosterError('validation_failed', text || 'Validation failed', { issues });
  }

  static notFound(resource: string, message = `${capitalise(resource)} not found`): RosterError {
    return new RosterError('not_found', message, { resource });
  }

  static conflict(resource: string, message: string): RosterError {
    return new RosterError('conflict', message, { resource });
  }
}

export function isRosterError(value: unknown): value is RosterError {
  return value instanceof RosterError;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
