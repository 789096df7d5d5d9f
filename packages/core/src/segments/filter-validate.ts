import { normaliseEmail } from '../contacts/contact-fields.js';
import { clipText, type FieldIssue, RosterError } from '../errors.js';
import { MAX_EVENT_NAME_LENGTH } from '../events/event-schemas.js';
import { textProblem } from '../text-rules.js';
import { describe } from '../validation.js';
import {
  FILTER_OPERATORS,
  type FilterOperator,
  MAX_FILTER_DEPTH,
  MAX_FILTERS,
  MAX_WINDOW_DAYS,
  TIME_UNITS,
  type TimeUnit,
} from './filter-types.js';

/** A filter after validation: what it tests, with its value in the type the compiler needs. */
export type ParsedFilter =
  | { kind: 'email'; operator: 'equals' | 'notEquals' | 'contains' | 'notContains'; value: string }
  | { kind: 'subscribed'; operator: 'equals' | 'notEquals'; value: boolean }
  | { kind: 'timestamp'; column: 'created_at' | 'updated_at'; test: ValueTest }
  | { kind: 'data'; path: string[]; test: ValueTest }
  | { kind: 'event'; name: string; operator: EventOperator; windowMs?: number }
  | { kind: 'segment'; segmentId: string; member: boolean; at: string }
  | { kind: 'topic'; topicId: string; subscription: 'opt_in' | 'opt_out'; at: string };

export type EventOperator =
  | 'triggered'
  | 'triggeredWithin'
  | 'triggeredOlderThan'
  | 'notTriggered'
  | 'notTriggeredWithin';

/** A test on a value (a column or a JSON value). */
export type ValueTest =
  | { operator: 'equals' | 'notEquals'; value: ScalarValue }
  | { operator: 'contains' | 'notContains'; value: string }
  | {
      operator: 'greaterThan' | 'lessThan' | 'greaterThanOrEqual' | 'lessThanOrEqual';
      value: number | string;
    }
  | { operator: 'exists' | 'notExists' }
  | { operator: 'within' | 'olderThan'; windowMs: number };

/** A comparison value: a day (`YYYY-MM-DD`, meaning the whole UTC day), a string, a number or a boolean. */
export type ScalarValue =
  | { type: 'day'; day: string }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean };

export interface ParsedGroup {
  filters: ParsedFilter[];
  conditions?: ParsedCondition;
}

export interface ParsedCondition {
  logic: 'AND' | 'OR';
  groups: ParsedGroup[];
}

const EVENT_OPERATORS = new Set<string>([
  'triggered',
  'triggeredWithin',
  'triggeredOlderThan',
  'notTriggered',
  'notTriggeredWithin',
]);
const WINDOWED = new Set<string>([
  'within',
  'olderThan',
  'triggeredWithin',
  'triggeredOlderThan',
  'notTriggeredWithin',
]);
const COMPARISONS = new Set<string>(['greaterThan', 'lessThan', 'greaterThanOrEqual', 'lessThanOrEqual']);
const UNIT_MS: Record<TimeUnit, number> = { days: 86_400_000, hours: 3_600_000, minutes: 60_000 };

const FIELD_OPERATORS: Record<string, readonly string[]> = {
  email: ['equals', 'notEquals', 'contains', 'notContains'],
  subscribed: ['equals', 'notEquals'],
  timestamp: ['equals', 'notEquals', ...COMPARISONS, 'within', 'olderThan'],
  data: [
    'equals',
    'notEquals',
    'contains',
    'notContains',
    ...COMPARISONS,
    'exists',
    'notExists',
    'within',
    'olderThan',
  ],
  segment: ['memberOfSegment', 'notMemberOfSegment'],
  topic: ['equals', 'notEquals'],
};

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_PREFIX_RE = /^\d{4}-\d{2}-\d{2}(T|$)/;

/**
 * Checks a Plunk filter tree and returns it parsed. Every problem is reported with the path of the
 * node at fault under `root` (e.g. `condition.groups[1].filters[0].operator`), all in one
 * `validation_failed` error.
 */
export function validateFilterCondition(input: unknown, root = 'condition'): ParsedCondition {
  const walk: Walk = { issues: [], filters: 0 };
  const parsed = condition(input, root, 1, walk);
  const { issues } = walk;
  if (walk.filters > MAX_FILTERS) {
    issues.push({
      field: root,
      message: `has ${walk.filters} filters; at most ${MAX_FILTERS} are allowed`,
    });
  }
  if (issues.length > 0 || !parsed) throw RosterError.validation(issues);
  return parsed;
}

/** What a walk of the tree gathers: the problems found, and how many filters it has met. */
interface Walk {
  issues: FieldIssue[];
  filters: number;
}

/** True when the node at `at` is an object; otherwise reports it in `issues`. */
function isObjectAt(input: unknown, at: string, issues: FieldIssue[]): input is Record<string, unknown> {
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) return true;
  issues.push({ field: at, message: `must be an object, got ${describe(input)}` });
  return false;
}

function condition(input: unknown, at: string, depth: number, walk: Walk): ParsedCondition | undefined {
  const { issues } = walk;
  if (!isObjectAt(input, at, issues)) return undefined;
  if (depth > MAX_FILTER_DEPTH) {
    issues.push({ field: at, message: `nests conditions deeper than ${MAX_FILTER_DEPTH} levels` });
    return undefined;
  }
  let ok = true;
  if (input.logic !== 'AND' && input.logic !== 'OR') {
    issues.push({ field: `${at}.logic`, message: 'must be "AND" or "OR"' });
    ok = false;
  }
  if (!Array.isArray(input.groups) || input.groups.length === 0) {
    issues.push({ field: `${at}.groups`, message: 'must be a non-empty array of groups' });
    return undefined;
  }
  const groups: ParsedGroup[] = [];
  input.groups.forEach((group, i) => {
    const parsed = groupOf(group, `${at}.groups[${i}]`, depth, walk);
    if (parsed) groups.push(parsed);
    else ok = false;
  });
  return ok ? { logic: input.logic as 'AND' | 'OR', groups } : undefined;
}

function groupOf(input: unknown, at: string, depth: number, walk: Walk): ParsedGroup | undefined {
  const { issues } = walk;
  if (!isObjectAt(input, at, issues)) return undefined;
  if (!Array.isArray(input.filters)) {
    issues.push({ field: `${at}.filters`, message: 'must be an array of filters' });
    return undefined;
  }
  if (input.filters.length === 0 && input.conditions === undefined) {
    issues.push({ field: at, message: 'must have at least one filter or a nested condition' });
    return undefined;
  }
  let ok = true;
  const filters: ParsedFilter[] = [];
  input.filters.forEach((filter, i) => {
    walk.filters++;
    const parsed = filterOf(filter, `${at}.filters[${i}]`, issues);
    if (parsed) filters.push(parsed);
    else ok = false;
  });
  let conditions: ParsedCondition | undefined;
  if (input.conditions !== undefined) {
    conditions = condition(input.conditions, `${at}.conditions`, depth + 1, walk);
    if (!conditions) ok = false;
  }
  if (!ok) return undefined;
  return conditions ? { filters, conditions } : { filters };
}

function filterOf(input: unknown, at: string, issues: FieldIssue[]): ParsedFilter | undefined {
  if (!isObjectAt(input, at, issues)) return undefined;
  const { field, operator, value, unit } = input;
  const fail = (suffix: string, message: string): undefined => {
    issues.push({ field: `${at}.${suffix}`, message });
    return undefined;
  };
  if (typeof field !== 'string' || field.length === 0)
    return fail('field', 'is required (a non-empty string)');
  const fieldProblem = textProblem(field);
  if (fieldProblem) return fail('field', fieldProblem);
  const valueProblem = typeof value === 'string' ? textProblem(value) : null;
  if (valueProblem) return fail('value', valueProblem);
  if (typeof operator !== 'string' || !(FILTER_OPERATORS as readonly string[]).includes(operator)) {
    return fail('operator', `must be one of ${FILTER_OPERATORS.join(', ')}`);
  }
  const op = operator as FilterOperator;
  let windowMs: number | undefined;
  if (WINDOWED.has(op)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return fail('value', `must be a non-negative number of units for "${op}"`);
    }
    if (typeof unit !== 'string' || !(TIME_UNITS as readonly string[]).includes(unit)) {
      return fail('unit', `is required for "${op}": days, hours or minutes`);
    }
    const max = (MAX_WINDOW_DAYS * UNIT_MS.days) / UNIT_MS[unit as TimeUnit];
    if (value > max) return fail('value', `must be at most ${max} ${unit} (1000 years) for "${op}"`);
    windowMs = value * UNIT_MS[unit as TimeUnit];
  } else if (unit !== undefined && !(TIME_UNITS as readonly string[]).includes(unit as string)) {
    return fail('unit', 'must be days, hours or minutes');
  }

  const kind = fieldKind(field, op);
  if (kind === 'event') {
    const name = field.startsWith('event.') ? field.slice('event.'.length) : field;
    if (!EVENT_OPERATORS.has(op)) {
      return fail(
        'operator',
        `"${op}" does not apply to event fields; use ${[...EVENT_OPERATORS].join(', ')}`,
      );
    }
    if (name.length === 0 || name.length > MAX_EVENT_NAME_LENGTH) {
      return fail('field', `must name an event of 1-${MAX_EVENT_NAME_LENGTH} characters`);
    }
    return {
      kind: 'event',
      name,
      operator: op as EventOperator,
      ...(windowMs === undefined ? {} : { windowMs }),
    };
  }
  if (kind === 'emailActivity') {
    return fail(
      'field',
      `"${clipText(field, 100)}": email activity filters are not supported (roster stores contacts, not sent emails)`,
    );
  }
  if (kind === 'unknown') return fail('field', `unsupported filter field "${clipText(field, 100)}"`);
  const allowed = FIELD_OPERATORS[kind]!;
  if (!allowed.includes(op)) {
    return fail('operator', `"${op}" does not apply to ${clipText(field, 100)}; use ${allowed.join(', ')}`);
  }

  switch (kind) {
    case 'segment': {
      const segmentId = field.slice('segment.'.length);
      if (segmentId.length === 0) return fail('field', 'must be segment.<id>');
      return { kind: 'segment', segmentId, member: op === 'memberOfSegment', at: `${at}.field` };
    }
    case 'topic': {
      const topicId = field.slice('topic.'.length);
      if (topicId.length === 0) return fail('field', 'must be topic.<id>');
      if (value !== 'opt_in' && value !== 'opt_out') return fail('value', 'must be "opt_in" or "opt_out"');
      // notEquals opt_in is equals opt_out: every contact has one of the two (default applied).
      const subscription = (op === 'equals') === (value === 'opt_in') ? 'opt_in' : 'opt_out';
      return { kind: 'topic', topicId, subscription, at: `${at}.field` };
    }
    case 'email': {
      if (typeof value !== 'string' && typeof value !== 'number') return fail('value', 'must be a string');
      return { kind: 'email', operator: op as 'equals', value: normaliseEmail(String(value)) };
    }
    case 'subscribed': {
      // Plunk compares with `value === true`: anything but the boolean true means false.
      if (value === undefined) return fail('value', `is required for "${op}"`);
      return { kind: 'subscribed', operator: op as 'equals', value: value === true };
    }
    case 'timestamp': {
      const test = valueTest(op, value, windowMs, at, issues, true);
      if (!test) return undefined;
      return { kind: 'timestamp', column: field === 'createdAt' ? 'created_at' : 'updated_at', test };
    }
    case 'data': {
      const path = field.slice('data.'.length).split('.');
      if (path.some((key) => key.length === 0 || key.includes('"'))) {
        return fail('field', 'must be data.<key> with non-empty keys separated by dots (no double quotes)');
      }
      const test = valueTest(op, value, windowMs, at, issues, false);
      if (!test) return undefined;
      return { kind: 'data', path, test };
    }
  }
  return undefined;
}

type FieldKind =
  | 'email'
  | 'subscribed'
  | 'timestamp'
  | 'data'
  | 'event'
  | 'segment'
  | 'topic'
  | 'emailActivity'
  | 'unknown';

function fieldKind(field: string, operator: FilterOperator): FieldKind {
  if (field === 'email') return 'email';
  if (field === 'subscribed') return 'subscribed';
  if (field === 'createdAt' || field === 'updatedAt') return 'timestamp';
  if (field.startsWith('data.')) return 'data';
  if (field.startsWith('event.')) return 'event';
  if (field.startsWith('segment.')) return 'segment';
  if (field.startsWith('topic.')) return 'topic';
  if (field.startsWith('email.')) return 'emailActivity';
  // Plunk's spec example names the event directly ("purchase" with triggeredWithin).
  if (EVENT_OPERATORS.has(operator)) return 'event';
  return 'unknown';
}

function valueTest(
  op: FilterOperator,
  value: unknown,
  windowMs: number | undefined,
  at: string,
  issues: FieldIssue[],
  timestamp: boolean,
): ValueTest | undefined {
  const fail = (message: string): undefined => {
    issues.push({ field: `${at}.value`, message });
    return undefined;
  };
  switch (op) {
    case 'exists':
    case 'notExists':
      return { operator: op };
    case 'within':
    case 'olderThan':
      return { operator: op, windowMs: windowMs! };
    case 'contains':
    case 'notContains':
      if (typeof value !== 'string' && typeof value !== 'number') return fail(`must be a string for "${op}"`);
      return { operator: op, value: String(value) };
    case 'equals':
    case 'notEquals': {
      if (timestamp) {
        const day = dayOf(value);
        if (day) return { operator: op, value: { type: 'day', day } };
        const instant = instantOf(value);
        if (!instant)
          return fail('must be a date (YYYY-MM-DD for the whole UTC day, or an ISO 8601 timestamp)');
        return { operator: op, value: { type: 'string', value: instant } };
      }
      if (typeof value === 'string') {
        const day = dayOf(value);
        return { operator: op, value: day ? { type: 'day', day } : { type: 'string', value } };
      }
      if (typeof value === 'number' && Number.isFinite(value))
        return { operator: op, value: { type: 'number', value } };
      if (typeof value === 'boolean') return { operator: op, value: { type: 'boolean', value } };
      return fail(`must be a string, number or boolean for "${op}", got ${describe(value)}`);
    }
    case 'greaterThan':
    case 'lessThan':
    case 'greaterThanOrEqual':
    case 'lessThanOrEqual': {
      if (timestamp) {
        const instant = instantOf(value);
        if (!instant) return fail('must be a date or an ISO 8601 timestamp');
        return { operator: op, value: instant };
      }
      if (typeof value === 'number' && Number.isFinite(value)) return { operator: op, value };
      if (typeof value === 'string') {
        // Dates compare as dates: a full timestamp is normalised to the form toISOString() stores.
        const instant = DATE_PREFIX_RE.test(value) && !DAY_RE.test(value) ? instantOf(value) : undefined;
        return { operator: op, value: instant ?? value };
      }
      return fail(`must be a number or a string for "${op}", got ${describe(value)}`);
    }
  }
  return fail(`"${op}" does not apply here`);
}

/** `YYYY-MM-DD` (a valid calendar day) or undefined. */
function dayOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || !DAY_RE.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) ? value : undefined;
}

/** An ISO timestamp string (as roster stores times) for a date string or epoch milliseconds. */
function instantOf(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  if (typeof value === 'string' && !DATE_PREFIX_RE.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The day after `day` (`YYYY-MM-DD`). */
export function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}
