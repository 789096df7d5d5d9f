/**
 * Every error code core can raise. Transports map each one to their own status (see @roster/express);
 * authentication and authorisation (`unauthorized`, `forbidden`) are the transport's, not core's.
 */
export const ROSTER_ERROR_CODES = [
  'validation_failed',
  'not_found',
  'conflict',
  'invalid_cursor',
  'payload_too_large',
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

/** The details each code carries (typed per code: a constructor call with the wrong details does not compile). */
export interface RosterErrorDetailsByCode {
  /** Field-level problems. */
  validation_failed: { issues: FieldIssue[] };
  /** What was not found, e.g. `contact`, `audience`, `job`. */
  not_found: { resource: string };
  /** What conflicted; `jobId` names the job in the way (an import that cannot resume). */
  conflict: { resource: string; jobId?: string };
  invalid_cursor: { issues?: FieldIssue[] };
  /** The limit in bytes that was exceeded (when it is one number) and the field that exceeded it. */
  payload_too_large: { limit?: number; issues: FieldIssue[] };
  /** The job's resource where it is known, e.g. `import`. */
  job_failed: { resource?: string };
}

/**
 * Most field issues an error lists: a body with thousands of problems gets the first ones (in input
 * order) and a count of the rest, so an answer never grows with the input.
 */
export const MAX_ERROR_ISSUES = 20;
/** Longest `field` or `message` of one issue, in characters: echoed input is clipped with `…`. */
export const MAX_ERROR_TEXT = 500;
/** Longest error `message`, in characters (room for every listed issue, fields and messages at their longest). */
export const MAX_ERROR_MESSAGE = 24 * 1024;

/** `text` cut to at most `max` characters (ending in `…` when cut; never splitting a surrogate pair). */
export function clipText(text: string, max = MAX_ERROR_TEXT): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** At most `MAX_ERROR_ISSUES` issues, field and message clipped. */
function capIssues(issues: FieldIssue[]): FieldIssue[] {
  return issues.slice(0, MAX_ERROR_ISSUES).map((issue) => ({
    ...issue,
    field: clipText(issue.field),
    message: clipText(issue.message),
  }));
}

/** The details of any code, as read by transports. */
export type RosterErrorDetails = Partial<{
  issues: FieldIssue[];
  resource: string;
  limit: number;
  jobId: string;
}>;

/** The one error class core throws on purpose. Anything else that escapes core is a bug. */
export class RosterError<C extends RosterErrorCode = RosterErrorCode> extends Error {
  readonly code: C;
  readonly details: RosterErrorDetails & RosterErrorDetailsByCode[C];

  constructor(
    code: C,
    message: string,
    ...[details]: Partial<RosterErrorDetailsByCode[C]> extends RosterErrorDetailsByCode[C]
      ? [details?: RosterErrorDetailsByCode[C]]
      : [details: RosterErrorDetailsByCode[C]]
  ) {
    // Bounded whatever the input: messages and issues often echo what the client sent.
    super(clipText(message, MAX_ERROR_MESSAGE));
    this.name = 'RosterError';
    this.code = code;
    const all = (details ?? {}) as RosterErrorDetails & RosterErrorDetailsByCode[C];
    this.details = all.issues ? { ...all, issues: capIssues(all.issues) } : all;
  }

  /** One `validation_failed` error; its message lists the (first `MAX_ERROR_ISSUES`) issues. */
  static validation(issues: FieldIssue[], message?: string): RosterError {
    const listed = capIssues(issues);
    const more = issues.length - listed.length;
    const text =
      message ??
      listed.map((i) => `${i.field}: ${i.message}`).join('; ') +
        (more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : '');
    return new RosterError('validation_failed', text || 'Validation failed', { issues });
  }

  static notFound(resource: string, message = `${capitalise(resource)} not found`): RosterError {
    return new RosterError('not_found', message, { resource });
  }

  static conflict(resource: string, message: string): RosterError {
    return new RosterError('conflict', message, { resource });
  }

  /**
   * A cursor that names nothing it could continue after: the one way `invalid_cursor` is built.
   * `field` is the parameter that held it (`cursor`, `after`); `target` what a cursor of that list
   * points at, e.g. `a contact of this project`.
   */
  static invalidCursor(field: string, target: string): RosterError {
    return new RosterError('invalid_cursor', `Invalid cursor: it does not point at ${target}`, {
      issues: [{ field, message: 'is not a valid cursor' }],
    });
  }

  /**
   * More bytes than a limit allows: the one way `payload_too_large` is built. `field` names what
   * was too large (`file`, `body`); `problem` says how, by default `must be at most <limit> bytes`.
   */
  static payloadTooLarge(
    message: string,
    { field, limit, problem }: { field: string; limit?: number; problem?: string },
  ): RosterError {
    const issue = problem ?? (limit === undefined ? 'is too large' : `must be at most ${limit} bytes`);
    return new RosterError('payload_too_large', message, {
      ...(limit === undefined ? {} : { limit }),
      issues: [{ field, message: issue }],
    });
  }
}

export function isRosterError(value: unknown): value is RosterError {
  return value instanceof RosterError;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The value, or else throws `RosterError.notFound(resource, message)`: the services' get-or-throw. */
export function orNotFound<T>(value: T | undefined, resource: string, message?: string): T {
  if (value === undefined) throw RosterError.notFound(resource, message);
  return value;
}
