/** Plunk's 19 filter operators, in the order of its spec. */
export const FILTER_OPERATORS = [
  'equals',
  'notEquals',
  'contains',
  'notContains',
  'greaterThan',
  'lessThan',
  'greaterThanOrEqual',
  'lessThanOrEqual',
  'exists',
  'notExists',
  'within',
  'olderThan',
  'triggered',
  'triggeredWithin',
  'triggeredOlderThan',
  'notTriggered',
  'notTriggeredWithin',
  'memberOfSegment',
  'notMemberOfSegment',
] as const;

export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export const TIME_UNITS = ['days', 'hours', 'minutes'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

/**
 * One test on a contact. `field` is `email`, `subscribed`, `createdAt`, `updatedAt`,
 * `data.<key>[.<key>...]`, `event.<name>` (or a bare event name with an event operator) or
 * `segment.<id>` or `topic.<id>` (with `equals` / `notEquals` and `value` `opt_in` or `opt_out`: the
 * contact's own subscription to the topic, else the topic's default). `value` is the comparison value, or the number of `unit`s for windowed operators.
 */
export interface Filter {
  field: string;
  operator: FilterOperator;
  value?: unknown;
  unit?: TimeUnit;
}

/** Filters (and the nested condition, if any) of a group are ANDed together. */
export interface FilterGroup {
  filters: Filter[];
  conditions?: FilterCondition;
}

/** Plunk's filter tree: `logic` combines the groups. Nested to any depth (roster caps it, see limits). */
export interface FilterCondition {
  logic: 'AND' | 'OR';
  groups: FilterGroup[];
}

/**
 * Longest window of `within`, `olderThan` and the windowed event operators: 1000 years (365 250
 * days, 8 766 000 hours, 525 960 000 minutes). "Now minus the window" must stay a date (JavaScript
 * dates end 100 million days from 1970) with a four-digit year, so ISO strings still compare in order.
 */
export const MAX_WINDOW_DAYS = 365_250;

/** Deepest nesting of `groups[].conditions` accepted. */
export const MAX_FILTER_DEPTH = 8;
/** Most filters in one tree (all levels together). */
export const MAX_FILTERS = 100;
