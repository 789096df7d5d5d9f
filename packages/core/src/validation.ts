import type { z } from 'zod';
import { type FieldIssue, RosterError } from './errors.js';

/**
 * Parses `input` with a zod schema and turns every failure into one `validation_failed`
 * RosterError whose issues name the field and the problem in plain words.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw RosterError.validation(result.error.issues.map((issue) => toFieldIssue(issue, input)));
}

function toFieldIssue(issue: z.core.$ZodIssue, input: unknown): FieldIssue {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  if (issue.code === 'invalid_type') {
    const value = valueAt(input, issue.path);
    if (value === undefined) return { field, message: 'is required' };
    if (issue.message && !issue.message.startsWith('Invalid input')) return { field, message: issue.message };
    return { field, message: `must be ${article(issue.expected)}, got ${describe(value)}` };
  }
  if (issue.code === 'unrecognized_keys') {
    return { field, message: `unknown field(s): ${issue.keys.join(', ')}` };
  }
  return { field, message: issue.message };
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    // Own properties only: a path part may be a user-named key (`data.constructor`).
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function article(expected: string): string {
  if (expected === 'record' || expected === 'object') return 'an object';
  if (expected === 'array') return 'an array';
  if (expected === 'int') return 'an integer';
  return `a ${expected}`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
