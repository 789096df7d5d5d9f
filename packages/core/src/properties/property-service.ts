import type { Kysely } from 'kysely';
import { isoNow } from '../clock.js';
import type { Database } from '../db/schema.js';
import { orNotFound, RosterError } from '../errors.js';
import { isUuid, uuidv7 } from '../ids.js';
import type { FilterCondition } from '../segments/filter-types.js';
import { listSegments } from '../segments/segment-repository.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { type PropertyTypeCache, uncachedPropertyTypes } from './property-check.js';
import * as repo from './property-repository.js';
import {
  type CreatePropertyInput,
  createPropertySchema,
  MAX_PROPERTIES,
  PROPERTY_KEY_PATTERN,
  type UpdatePropertyInput,
  updatePropertySchema,
} from './property-schemas.js';
import { type ContactProperty, rowToProperty } from './property-types.js';

export interface PropertyServiceDeps extends ServiceDeps {
  /** The cache the write paths check types with: told of every change made here. */
  propertyTypes?: PropertyTypeCache;
}

/** Whether a filter tree tests `data.<key>` (or a path under it) anywhere. */
export function filterUsesDataKey(condition: unknown, key: string): boolean {
  const tree = condition as FilterCondition | null;
  if (!tree || typeof tree !== 'object' || !Array.isArray(tree.groups)) return false;
  const field = `data.${key}`;
  return tree.groups.some(
    (group) =>
      (Array.isArray(group?.filters) &&
        group.filters.some(
          (f) => typeof f?.field === 'string' && (f.field === field || f.field.startsWith(`${field}.`)),
        )) ||
      filterUsesDataKey(group?.conditions, key),
  );
}

export function createPropertyService(deps: PropertyServiceDeps) {
  const { db, dialect, clock } = deps;
  const cache = deps.propertyTypes ?? uncachedPropertyTypes;
  const toProperty = (row: Parameters<typeof rowToProperty>[0]) => rowToProperty(row, dialect);

  /** The property by id (a UUID) or else by key; `not_found` when the project has neither. */
  async function findRow(projectId: string, idOrKey: string, conn = db) {
    const row =
      typeof idOrKey === 'string' && isUuid(idOrKey)
        ? await repo.propertyRows.find(conn, projectId, idOrKey.toLowerCase())
        : typeof idOrKey === 'string' && PROPERTY_KEY_PATTERN.test(idOrKey)
          ? await repo.propertyRows.find(conn, projectId, idOrKey, 'key')
          : undefined;
    return orNotFound(row, 'contact_property', 'Contact property not found');
  }

  return {
    /**
     * Declares a property: `key` (1-50 letters, digits, underscores; unique in the project),
     * `type` (`string` | `number`) and an optional `fallbackValue` of that type. From then on every
     * write that sets `data.<key>` must give a value of `type`. Contacts' existing values are not
     * checked. A key the project already declares is a `conflict`.
     */
    async create(projectId: string, input: CreatePropertyInput): Promise<ContactProperty> {
      const valid = parseInput(createPropertySchema, input);
      if ((await repo.propertyRows.count(db, projectId)) >= MAX_PROPERTIES) {
        throw RosterError.validation(
          [{ field: 'key', message: `a project declares at most ${MAX_PROPERTIES} properties` }],
          `A project declares at most ${MAX_PROPERTIES} contact properties`,
        );
      }
      const row = await repo.insertPropertyIfNew(db, {
        id: uuidv7(),
        project_id: projectId,
        key: valid.key,
        type: valid.type,
        fallback_value: dialect.json(valid.fallbackValue ?? null),
        created_at: isoNow(clock),
      });
      cache.invalidate(projectId);
      if (!row) {
        throw RosterError.conflict(
          'contact_property',
          `A contact property with key "${valid.key}" already exists`,
        );
      }
      return toProperty(row);
    },

    /** The property with this id, or else this key; `not_found` otherwise. */
    async get(projectId: string, idOrKey: string): Promise<ContactProperty> {
      return toProperty(await findRow(projectId, idOrKey));
    },

    /** Every property of the project, newest first. */
    async list(projectId: string): Promise<ContactProperty[]> {
      return (await repo.propertyRows.list(db, projectId)).map(toProperty);
    },

    /**
     * Changes only `fallbackValue` (as Resend: `key` and `type` are fixed once declared); it must
     * have the property's type, `null` clears it.
     */
    async update(projectId: string, idOrKey: string, input: UpdatePropertyInput): Promise<ContactProperty> {
      const valid = parseInput(updatePropertySchema, input);
      const row = await findRow(projectId, idOrKey);
      if (valid.fallbackValue === undefined) return toProperty(row);
      const fallback = valid.fallbackValue;
      if (fallback !== null && typeof fallback !== row.type) {
        throw RosterError.validation([
          {
            field: 'fallbackValue',
            message: `must be a ${row.type}: the property ${row.key} is declared as ${row.type}`,
          },
        ]);
      }
      const updated = await repo.propertyRows.update(db, projectId, row.id, {
        fallback_value: dialect.json(fallback),
      });
      cache.invalidate(projectId);
      if (!updated) throw RosterError.notFound('contact_property', 'Contact property not found');
      return toProperty(updated);
    },

    /**
     * Deletes the declaration (contacts keep their values, now free-form). Refused with a
     * `conflict` naming them while a segment's filter tests `data.<key>`.
     */
    async delete(projectId: string, idOrKey: string): Promise<ContactProperty> {
      const deleted = await (db as Kysely<Database>).transaction().execute(async (trx) => {
        const row = await findRow(projectId, idOrKey, trx);
        const users = (await listSegments(trx, projectId)).filter((segment) =>
          filterUsesDataKey(dialect.parseJson(segment.condition), row.key),
        );
        if (users.length > 0) {
          const names = users.map((s) => `"${s.name}" (${s.id})`).join(', ');
          throw RosterError.conflict(
            'contact_property',
            `The contact property ${row.key} is used by the filter of segment${users.length === 1 ? '' : 's'} ${names}: change or delete ${users.length === 1 ? 'it' : 'them'} first`,
          );
        }
        await repo.propertyRows.delete(trx, projectId, row.id);
        return row;
      });
      cache.invalidate(projectId);
      return toProperty(deleted);
    },
  };
}

export type PropertyService = ReturnType<typeof createPropertyService>;
