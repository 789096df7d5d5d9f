import type { Db } from '../db/schema.js';
import type { FieldIssue } from '../errors.js';
import { listPropertyTypes } from './property-repository.js';
import type { PropertyType } from './property-types.js';

/** A project's declared keys and their types. */
export type PropertyTypes = ReadonlyMap<string, PropertyType>;

const NONE: PropertyTypes = new Map();

/**
 * The declared property types of each project, cached in this process so a write that sets data
 * costs no query: the property service invalidates a project's entry on every change it makes,
 * and an entry older than `maxAgeMs` is read again (so a property declared by another process
 * sharing a PostgreSQL database is enforced here within that time).
 */
export interface PropertyTypeCache {
  /** The project's declared types (from the cache when fresh, else one indexed query). */
  typesOf(db: Db, projectId: string): Promise<PropertyTypes>;
  /** Forgets the project's entry: the next write reads its properties again. */
  invalidate(projectId: string): void;
}

/** How long a cached entry is trusted without a local change. */
export const DEFAULT_PROPERTY_CACHE_MAX_AGE_MS = 1000;

export function createPropertyTypeCache(
  options: { maxAgeMs?: number; now?: () => number } = {},
): PropertyTypeCache {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_PROPERTY_CACHE_MAX_AGE_MS;
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, { types: PropertyTypes; at: number }>();
  // Bumped on each invalidation, so a read that started before a change never caches what it read.
  const generations = new Map<string, number>();
  return {
    async typesOf(db, projectId) {
      const cached = entries.get(projectId);
      if (cached && now() - cached.at < maxAgeMs) return cached.types;
      const generation = generations.get(projectId) ?? 0;
      const at = now();
      const rows = await listPropertyTypes(db, projectId);
      const types: PropertyTypes = rows.length === 0 ? NONE : new Map(rows.map((r) => [r.key, r.type]));
      if ((generations.get(projectId) ?? 0) === generation) entries.set(projectId, { types, at });
      return types;
    },
    invalidate(projectId) {
      entries.delete(projectId);
      generations.set(projectId, (generations.get(projectId) ?? 0) + 1);
    },
  };
}

/** No cache: one indexed query per call (for services built without a roster's cache). */
export const uncachedPropertyTypes: PropertyTypeCache = {
  typesOf: async (db, projectId) => {
    const rows = await listPropertyTypes(db, projectId);
    return rows.length === 0 ? NONE : new Map(rows.map((r) => [r.key, r.type]));
  },
  invalidate: () => {},
};

/** The problem of a value stored under a declared key, or null when it has the declared type. */
export function propertyTypeProblem(key: string, type: PropertyType, value: unknown): string | null {
  if (typeof value === type && (type !== 'number' || Number.isFinite(value))) return null;
  return `must be a ${type}: the property ${key} is declared as ${type}`;
}

/**
 * The issues of the values a write stores (`values`: key → value, null and undefined skipped):
 * each value under a declared key must have its type; undeclared keys are free-form. `prefix` is
 * the field the values sit under, e.g. `data` or `contacts.3.data`.
 */
export function dataTypeIssues(
  types: PropertyTypes,
  values: Record<string, unknown> | null | undefined,
  prefix: string,
): FieldIssue[] {
  if (types.size === 0 || !values) return [];
  const issues: FieldIssue[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue;
    const type = types.get(key);
    if (type === undefined) continue;
    const problem = propertyTypeProblem(key, type, value);
    if (problem) issues.push({ field: `${prefix}.${key}`, message: problem });
  }
  return issues;
}
