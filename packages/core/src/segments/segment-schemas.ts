import { z } from 'zod';
import { descriptionSchema as textDescription, nameSchema as textName } from '../text-rules.js';
import { FILTER_OPERATORS, type FilterCondition, TIME_UNITS } from './filter-types.js';

export const MAX_SEGMENT_NAME_LENGTH = 100;
export const MAX_SEGMENT_DESCRIPTION_LENGTH = 500;
/** Most emails in one members request. */
export const MAX_SEGMENT_MEMBER_EMAILS = 1000;
/** Largest `pageSize` of a segment's contacts (Plunk's cap). */
export const MAX_SEGMENT_PAGE_SIZE = 100;

const nameSchema = textName(MAX_SEGMENT_NAME_LENGTH);
const descriptionSchema = textDescription(MAX_SEGMENT_DESCRIPTION_LENGTH).nullish();

export const createSegmentSchema = z.object({
  name: nameSchema,
  description: descriptionSchema,
  /** @default 'DYNAMIC' */
  type: z.enum(['DYNAMIC', 'STATIC'], { error: 'must be DYNAMIC or STATIC' }).optional(),
  /** Required for DYNAMIC (a FilterCondition tree), ignored for STATIC. */
  condition: z.unknown().optional(),
  /** Record `segment.<slug>.entry|exit` events when a DYNAMIC segment's membership changes. @default false */
  trackMembership: z.boolean({ error: 'must be a boolean' }).optional(),
});
export type CreateSegmentInput = z.input<typeof createSegmentSchema>;

/** `type` cannot change; `condition` is ignored for STATIC segments. */
export const updateSegmentSchema = z.object({
  name: nameSchema.optional(),
  description: descriptionSchema,
  condition: z.unknown().optional(),
  trackMembership: z.boolean({ error: 'must be a boolean' }).optional(),
});
export type UpdateSegmentInput = z.input<typeof updateSegmentSchema>;

export const segmentMembersSchema = z.object({
  emails: z
    .array(z.string({ error: 'must be a string' }), { error: 'must be a non-empty array' })
    .min(1, 'must be a non-empty array')
    .max(MAX_SEGMENT_MEMBER_EMAILS, `must contain at most ${MAX_SEGMENT_MEMBER_EMAILS} emails`),
  /** Create contacts for emails the project does not have yet. @default false */
  createMissing: z.boolean({ error: 'must be a boolean' }).optional(),
  /** Subscription of contacts created by `createMissing`. @default true */
  subscribed: z.boolean({ error: 'must be a boolean' }).optional(),
});
export type SegmentMembersInput = z.input<typeof segmentMembersSchema>;

export const segmentContactsSchema = z.object({
  /** @default 1 */
  page: z.number().int().min(1, 'must be at least 1').optional(),
  /** @default 20 */
  pageSize: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(MAX_SEGMENT_PAGE_SIZE, `must be at most ${MAX_SEGMENT_PAGE_SIZE}`)
    .optional(),
});
export type SegmentContactsInput = z.input<typeof segmentContactsSchema>;

const filterSchema = z.object({
  field: z
    .string()
    .describe('email, subscribed, createdAt, updatedAt, data.<path>, event.<name>, segment.<id>'),
  operator: z.enum(FILTER_OPERATORS),
  value: z.unknown().optional().describe('Comparison value, or the number of units for windowed operators'),
  unit: z.enum(TIME_UNITS).optional().describe('Required by within, olderThan and the triggered* windows'),
});

/**
 * The filter tree's shape, for documentation (OpenAPI). Input is checked by `validateFilterCondition`,
 * which names the exact path of a bad node (e.g. `condition.groups[1].filters[0].operator`).
 */
export const filterConditionSchema: z.ZodType<FilterCondition> = z.lazy(() =>
  z.object({
    logic: z.enum(['AND', 'OR']),
    groups: z
      .array(
        z.object({
          filters: z.array(filterSchema),
          conditions: filterConditionSchema.optional(),
        }),
      )
      .min(1),
  }),
) as z.ZodType<FilterCondition>;
