import { type RawBuilder, sql } from 'kysely';
import { likePattern } from '../contacts/contact-repository.js';
import { contactTime, contactTimeOf } from '../contacts/contact-time.js';
import type { DialectInfo } from '../db/dialect.js';
import { clipText, isRosterError, RosterError } from '../errors.js';
import {
  nextDay,
  type ParsedCondition,
  type ParsedFilter,
  type ScalarValue,
  type ValueTest,
  validateFilterCondition,
} from './filter-validate.js';

/** What the compiler needs to know about a segment a `segment.<id>` filter names. */
export interface SegmentReference {
  id: string;
  type: 'DYNAMIC' | 'STATIC';
  trackMembership: boolean;
  /** The stored tree of a DYNAMIC segment. */
  condition: unknown;
}

/** What the compiler needs to know about a topic a `topic.<id>` filter names. */
export interface TopicReference {
  id: string;
  defaultSubscription: 'opt_in' | 'opt_out';
}

export interface FilterContext {
  dialect: DialectInfo;
  /** "Now" for windowed operators (the roster clock). */
  now: Date;
  /** Looks up a segment of the same project; undefined when the project has no such segment. */
  findSegment?: (id: string) => Promise<SegmentReference | undefined>;
  /** Looks up a topic of the same project; undefined when the project has no such topic. */
  findTopic?: (id: string) => Promise<TopicReference | undefined>;
  /** Segments being expanded (cycle detection). */
  visiting?: ReadonlySet<string>;
}

type Sql = RawBuilder<boolean>;

const contactColumn = (column: string) => sql.ref(`roster_contacts.${column}`);

/**
 * Compiles a filter tree into ONE boolean SQL expression over `roster_contacts` (the caller adds
 * the project condition). Event and segment filters become correlated `exists` subqueries, and a
 * DYNAMIC segment named by `segment.<id>` is expanded inline, so nothing is evaluated per contact
 * in JavaScript. `input` is validated first (`validation_failed` naming the bad node's path).
 */
export async function compileFilter(input: unknown, ctx: FilterContext, root = 'condition'): Promise<Sql> {
  return compileCondition(validateFilterCondition(input, root), ctx);
}

export async function compileCondition(condition: ParsedCondition, ctx: FilterContext): Promise<Sql> {
  const groups: Sql[] = [];
  for (const group of condition.groups) {
    const parts: Sql[] = [];
    for (const filter of group.filters) parts.push(await compileOne(filter, ctx));
    if (group.conditions) parts.push(await compileCondition(group.conditions, ctx));
    groups.push(join(parts, 'and'));
  }
  return join(groups, condition.logic === 'AND' ? 'and' : 'or');
}

function join(parts: Sql[], op: 'and' | 'or'): Sql {
  if (parts.length === 1) return parts[0]!;
  return sql<boolean>`(${sql.join(parts, sql.raw(` ${op} `))})`;
}

/** NOT that treats NULL (unknown, e.g. a missing key) as false, so the complement includes it. */
function not(expr: Sql): Sql {
  return sql<boolean>`(not coalesce(${expr}, false))`;
}

async function compileOne(filter: ParsedFilter, ctx: FilterContext): Promise<Sql> {
  const { dialect } = ctx;
  switch (filter.kind) {
    case 'email': {
      const email = contactColumn('email');
      // Emails are stored lowercased; the value was lowercased by the validator.
      const match =
        filter.operator === 'equals' || filter.operator === 'notEquals'
          ? sql<boolean>`(${email} = ${filter.value})`
          : sql<boolean>`(${email} like ${likePattern(filter.value)} escape '\\')`;
      return filter.operator === 'equals' || filter.operator === 'contains' ? match : not(match);
    }
    case 'subscribed': {
      const wanted = filter.operator === 'equals' ? filter.value : !filter.value;
      return sql<boolean>`(${contactColumn('subscribed')} = ${dialect.bool(wanted)})`;
    }
    case 'timestamp':
      return timestampTest(contactColumn(filter.column) as RawBuilder<unknown>, filter.test, ctx.now);
    case 'data':
      return dataTest(filter.path, filter.test, ctx);
    case 'event':
      return eventTest(filter.name, filter.operator, filter.windowMs, ctx.now);
    case 'segment':
      return segmentTest(filter, ctx);
    case 'topic':
      return topicTest(filter, ctx);
  }
}

function since(now: Date, windowMs: number): string {
  return new Date(now.getTime() - windowMs).toISOString();
}

function compare(left: RawBuilder<unknown>, operator: ValueTest['operator'], right: unknown): Sql {
  const op = { greaterThan: '>', lessThan: '<', greaterThanOrEqual: '>=', lessThanOrEqual: '<=' }[
    operator as 'greaterThan'
  ];
  return sql<boolean>`(${left} ${sql.raw(op)} ${right})`;
}

function dayRange(value: RawBuilder<unknown>, day: string): Sql {
  return sql<boolean>`(${value} >= ${day} and ${value} < ${nextDay(day)})`;
}

/**
 * A test of a contact's `created_at` / `updated_at`, stored as milliseconds (contact-time.ts): the
 * validated ISO values and days become milliseconds, so the comparison is numeric on both dialects.
 */
function timestampTest(column: RawBuilder<unknown>, test: ValueTest, now: Date): Sql {
  switch (test.operator) {
    case 'equals':
    case 'notEquals': {
      const value = test.value as ScalarValue;
      const match =
        value.type === 'day'
          ? sql<boolean>`(${column} >= ${contactTime(value.day)} and ${column} < ${contactTime(nextDay(value.day))})`
          : sql<boolean>`(${column} = ${contactTime((value as { value: string }).value)})`;
      return test.operator === 'equals' ? match : not(match);
    }
    case 'within':
      return sql<boolean>`(${column} >= ${contactTimeOf(new Date(now.getTime() - test.windowMs))})`;
    case 'olderThan':
      return sql<boolean>`(${column} < ${contactTimeOf(new Date(now.getTime() - test.windowMs))})`;
    case 'greaterThan':
    case 'lessThan':
    case 'greaterThanOrEqual':
    case 'lessThanOrEqual':
      return compare(column, test.operator, contactTime(test.value as string));
    default:
      throw new Error(`unreachable timestamp operator ${test.operator}`);
  }
}

function dataTest(path: string[], test: ValueTest, ctx: FilterContext): Sql {
  const { dialect } = ctx;
  const data = contactColumn('data') as RawBuilder<unknown>;
  // A test of the value as text, true only where it is a JSON string.
  const text = (test: (text: RawBuilder<unknown>) => Sql) => dialect.jsonStringTest(data, path, test);
  switch (test.operator) {
    case 'exists':
      return dialect.jsonPresent(data, path);
    case 'notExists':
      return not(dialect.jsonPresent(data, path));
    case 'equals':
    case 'notEquals': {
      const value = test.value;
      let match: Sql;
      if (value.type === 'day') match = text((t) => dayRange(t, value.day));
      else if (value.type === 'string') match = text((t) => sql<boolean>`(${t} = ${value.value})`);
      else if (value.type === 'number')
        match = sql<boolean>`(${dialect.jsonNumber(data, path)} = ${value.value})`;
      else match = dialect.jsonIsBoolean(data, path, value.value);
      return test.operator === 'equals' ? match : not(match);
    }
    case 'contains':
      return text((t) => dialect.containsText(t, test.value));
    case 'notContains':
      return not(text((t) => dialect.containsText(t, test.value)));
    case 'greaterThan':
    case 'lessThan':
    case 'greaterThanOrEqual':
    case 'lessThanOrEqual':
      return typeof test.value === 'number'
        ? compare(dialect.jsonNumber(data, path), test.operator, test.value)
        : text((t) => compare(t, test.operator, test.value));
    case 'within':
      return text((t) => sql<boolean>`(${t} >= ${since(ctx.now, test.windowMs)})`);
    case 'olderThan':
      return text((t) => sql<boolean>`(${t} < ${since(ctx.now, test.windowMs)})`);
  }
}

function eventExists(name: string, after?: string): Sql {
  return sql<boolean>`exists (select 1 from roster_events ev where ev.contact_id = roster_contacts.id and ev.name = ${name}${
    after === undefined ? sql`` : sql` and ev.created_at >= ${after}`
  })`;
}

function eventTest(
  name: string,
  operator: 'triggered' | 'triggeredWithin' | 'triggeredOlderThan' | 'notTriggered' | 'notTriggeredWithin',
  windowMs: number | undefined,
  now: Date,
): Sql {
  switch (operator) {
    case 'triggered':
      return eventExists(name);
    case 'notTriggered':
      return sql<boolean>`(not ${eventExists(name)})`;
    case 'triggeredWithin':
      return eventExists(name, since(now, windowMs!));
    case 'notTriggeredWithin':
      return sql<boolean>`(not ${eventExists(name, since(now, windowMs!))})`;
    case 'triggeredOlderThan':
      // Has happened, but not within the window.
      return sql<boolean>`(${eventExists(name)} and not ${eventExists(name, since(now, windowMs!))})`;
  }
}

async function segmentTest(
  filter: Extract<ParsedFilter, { kind: 'segment' }>,
  ctx: FilterContext,
): Promise<Sql> {
  const visiting = ctx.visiting ?? new Set<string>();
  const fail = (message: string) => RosterError.validation([{ field: filter.at, message }]);
  if (visiting.has(filter.segmentId)) {
    throw fail(`segment ${filter.segmentId} refers back to itself (a membership cycle)`);
  }
  const segment = ctx.findSegment ? await ctx.findSegment(filter.segmentId) : undefined;
  if (!segment) throw fail(`segment ${filter.segmentId} does not exist in this project`);
  let member: Sql;
  if (segment.type === 'STATIC' || segment.trackMembership) {
    member = sql<boolean>`exists (select 1 from roster_segment_members sm where sm.segment_id = ${segment.id} and sm.contact_id = roster_contacts.id and sm.exited_at is null)`;
  } else {
    // Problems inside the referenced segment (a cycle back to the segment being defined, a
    // reference to a deleted segment) are reported at this filter, which is what the caller wrote.
    try {
      const inner = validateFilterCondition(segment.condition, `segment(${segment.id}).condition`);
      member = await compileCondition(inner, { ...ctx, visiting: new Set([...visiting, segment.id]) });
    } catch (error) {
      if (!isRosterError(error) || error.code !== 'validation_failed') throw error;
      const inner = (error.details.issues ?? []).map((issue) => issue.message).join('; ');
      throw fail(`segment ${segment.id} cannot be used here: ${inner || error.message}`);
    }
  }
  return filter.member ? member : not(member);
}

/**
 * The contact's effective subscription to the topic (its own row, else the topic's default) is
 * `filter.subscription`: a correlated subquery, so contacts without a row get the default.
 */
async function topicTest(filter: Extract<ParsedFilter, { kind: 'topic' }>, ctx: FilterContext): Promise<Sql> {
  const topic = ctx.findTopic ? await ctx.findTopic(filter.topicId) : undefined;
  if (!topic) {
    throw RosterError.validation([
      { field: filter.at, message: `topic ${clipText(filter.topicId, 100)} does not exist in this project` },
    ]);
  }
  return sql<boolean>`(coalesce((select ct.subscription from roster_contact_topics ct where ct.contact_id = roster_contacts.id and ct.topic_id = ${topic.id}), ${topic.defaultSubscription}) = ${filter.subscription})`;
}
