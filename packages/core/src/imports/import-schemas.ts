import { z } from 'zod';
import { audienceIdSchema } from '../audiences/audience-schemas.js';
import { propertyKeySchema } from '../properties/property-schemas.js';
import { setContactTopicsSchema } from '../topics/topic-schemas.js';
import { IMPORT_PRESETS, MAILCHIMP_STATUSES } from './import-presets.js';

/** Most segments an import may put its contacts in. */
export const MAX_IMPORT_SEGMENTS = 100;
/** Most properties a column map may name. */
export const MAX_IMPORT_MAPPED_PROPERTIES = 200;
/** Longest column name a column map may give. */
export const MAX_IMPORT_COLUMN_NAME = 200;

/** The types a mapped property column is read as (Resend's `column_map.properties.<key>.type`). */
export const IMPORT_COLUMN_TYPES = ['string', 'number', 'boolean'] as const;
export type ImportColumnType = (typeof IMPORT_COLUMN_TYPES)[number];

const columnName = z
  .string({ error: 'must be a column name' })
  .trim()
  .min(1, 'must be a column name')
  .max(MAX_IMPORT_COLUMN_NAME, `must be at most ${MAX_IMPORT_COLUMN_NAME} characters`);

/**
 * Which header (any case, trimmed) holds each field. An absent field is read from its usual
 * column (`email`; `first_name`, `firstName`, `first name`; the same for last; `unsubscribed`).
 * With `properties`, only the named columns are stored as properties (each read as its `type`,
 * default `string`) and the other columns are ignored; without it every other column is a
 * property under its lowercased header, as the other imports store them.
 */
export const importColumnMapSchema = z.object(
  {
    email: columnName.optional(),
    firstName: columnName.optional(),
    lastName: columnName.optional(),
    unsubscribed: columnName.optional(),
    properties: z
      .record(
        propertyKeySchema,
        z.object(
          {
            column: columnName,
            type: z
              .enum(IMPORT_COLUMN_TYPES, { error: 'must be "string", "number" or "boolean"' })
              .optional(),
          },
          { error: 'must be an object { column, type? }' },
        ),
        { error: 'must be an object of property keys' },
      )
      .refine((map) => Object.keys(map).length <= MAX_IMPORT_MAPPED_PROPERTIES, {
        message: `must name at most ${MAX_IMPORT_MAPPED_PROPERTIES} properties`,
      })
      .optional(),
  },
  { error: 'must be an object' },
);
export type ImportColumnMap = z.output<typeof importColumnMapSchema>;
/** A column map as callers give it (see `ImportColumnMap`). */
export type ImportColumnMapInput = z.input<typeof importColumnMapSchema>;

/** What an import does with a row whose email is already a contact: update it, or leave it (counted skipped). */
export const IMPORT_ON_CONFLICT = ['upsert', 'skip'] as const;
export type ImportOnConflict = (typeof IMPORT_ON_CONFLICT)[number];

/** The contact-model options of an import (Resend's `POST /contacts/imports`). */
export const importContactOptionsSchema = z.object({
  columnMap: importColumnMapSchema.optional(),
  onConflict: z.enum(IMPORT_ON_CONFLICT, { error: 'must be "upsert" or "skip"' }).optional(),
  segmentIds: z
    .array(z.string({ error: 'must be a segment id' }), { error: 'must be an array of segment ids' })
    .max(MAX_IMPORT_SEGMENTS, `must contain at most ${MAX_IMPORT_SEGMENTS} segments`)
    .optional(),
  topics: setContactTopicsSchema.optional(),
});

/** The preset options of an import (`preset`, `mailchimpStatus`); the map is checked apart. */
export const importPresetSchema = z.object({
  preset: z.enum(IMPORT_PRESETS).optional(),
  mailchimpStatus: z.enum(MAILCHIMP_STATUSES).optional(),
});

/** The audience an import puts its contacts in (none: null or absent). */
export const importAudienceSchema = z.object({ audienceId: audienceIdSchema.nullish() });
