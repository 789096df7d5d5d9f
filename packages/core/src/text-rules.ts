import { z } from 'zod';

/**
 * Rules every stored string and data value follows, identical on SQLite and PostgreSQL:
 * - no NUL character (`\u0000`): PostgreSQL cannot store it in text or jsonb, so neither does roster;
 * - no lone UTF-16 surrogate: it is not Unicode, PostgreSQL's jsonb refuses it;
 * - data values are JSON: finite numbers only (`1e400` would silently become `null`);
 * - data nests at most `MAX_DATA_DEPTH` levels (SQLite's JSON functions stop at 1000 levels, and
 *   every merge re-serialises the whole value);
 * - `__proto__` is not a data key (JavaScript objects cannot hold it as a plain key).
 */
export const MAX_DATA_DEPTH = 32;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `String.prototype.isWellFormed` (V8 11.4+, Node 20): false exactly when a lone surrogate is there. */
const isWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** What is wrong with a string under the rules above, or null. */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  // The built-in check answers as the pattern does, without running it on every stored string.
  const lone = isWellFormed ? !isWellFormed.call(value) : LONE_SURROGATE.test(value);
  if (lone) return 'must be valid Unicode (it contains a lone surrogate)';
  return null;
}

/** The string with every NUL and lone surrogate replaced by U+FFFD, so it can be stored (e.g. echoed in an error). */
export function storableText(value: string): string {
  return value.replaceAll('\u0000', '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

export interface DataIssue {
  /** Path below the data object, e.g. `['profile', 'name']`. */
  path: (string | number)[];
  message: string;
}

/**
 * The problems of a data object under the rules above (keys and values, at any depth), in path
 * order; at most `max` of them. The walk never goes deeper than the depth limit, so a value nested
 * thousands of levels deep costs nothing and cannot overflow the stack.
 */
export function dataIssues(data: Record<string, unknown>, max = 20): DataIssue[] {
  const issues: DataIssue[] = [];
  // A value's path is its parent's path plus its key, built only for a value with an issue (most
  // data has none, and every contact write walks it).
  interface At {
    parent: At | null;
    key: string | number;
  }
  const pathOf = (at: At | null): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let node = at; node; node = node.parent) path.push(node.key);
    return path.reverse();
  };
  const visit = (value: unknown, at: At | null, depth: number): void => {
    if (issues.length >= max) return;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) issues.push({ path: pathOf(at), message: problem });
      return;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) issues.push({ path: pathOf(at), message: 'must be a finite number' });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth > MAX_DATA_DEPTH) {
      issues.push({ path: pathOf(at), message: `is nested deeper than ${MAX_DATA_DEPTH} levels` });
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(value[i], { parent: at, key: i }, depth + 1);
      return;
    }
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (key === '__proto__') {
        issues.push({ path: pathOf({ parent: at, key }), message: 'is not allowed as a data key' });
        continue;
      }
      const keyProblem = textProblem(key);
      if (keyProblem) {
        issues.push({ path: pathOf({ parent: at, key }), message: `key ${keyProblem}` });
        continue;
      }
      visit(item, { parent: at, key }, depth + 1);
    }
  };
  visit(data, null, 1);
  return issues.slice(0, max);
}

/** Adds the data rules to a zod record schema (issues are named `data.<path>`). */
export function checkData(data: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  for (const issue of dataIssues(data))
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
}

/** Adds the text rules to a zod string schema. */
export function checkText(value: string, ctx: z.core.$RefinementCtx): void {
  const problem = textProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

/**
 * A required name: a trimmed string of 1 to `max` characters that passes `checkText`.
 * `emptyMessage` is what an empty (or all-blank) name is told.
 */
export function nameSchema(max: number, emptyMessage = 'is required') {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, emptyMessage)
    .max(max, `must be at most ${max} characters`)
    .superRefine(checkText);
}

/** A free-text description of at most `max` characters that passes `checkText` (not trimmed). */
export function descriptionSchema(max: number) {
  return z
    .string({ error: 'must be a string' })
    .max(max, `must be at most ${max} characters`)
    .superRefine(checkText);
}

/** Whether `value` is an absolute http: or https: URL (as the WHATWG URL parser reads it). */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
