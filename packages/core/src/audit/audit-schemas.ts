import { z } from 'zod';
import { checkText } from '../text-rules.js';

/** Longest actor, action and target of an audit entry. */
export const MAX_AUDIT_ACTOR_LENGTH = 200;
export const MAX_AUDIT_ACTION_LENGTH = 64;
export const MAX_AUDIT_TARGET_LENGTH = 500;
/** Largest `detail` of an audit entry, as JSON text. */
export const MAX_AUDIT_DETAIL_BYTES = 4096;
/** Most entries of one page of `audit.list`. */
export const MAX_AUDIT_PAGE = 500;
/** How long audit entries are kept, in days. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

export const recordAuditSchema = z.object({
  actor: z
    .string({ error: 'is required' })
    .min(1, 'is required')
    .max(MAX_AUDIT_ACTOR_LENGTH, `must be at most ${MAX_AUDIT_ACTOR_LENGTH} characters`)
    .superRefine(checkText),
  action: z
    .string({ error: 'is required' })
    .regex(
      /^[a-z][a-z0-9_.:-]*$/,
      'must start with a lowercase letter and hold only lowercase letters, digits, ".", "_", "-" and ":"',
    )
    .max(MAX_AUDIT_ACTION_LENGTH, `must be at most ${MAX_AUDIT_ACTION_LENGTH} characters`),
  target: z
    .string({ error: 'must be a string' })
    .max(MAX_AUDIT_TARGET_LENGTH, `must be at most ${MAX_AUDIT_TARGET_LENGTH} characters`)
    .superRefine(checkText)
    .nullish(),
  detail: z
    .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
    .nullish()
    .superRefine((value, ctx) => {
      if (value == null) return;
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        text = undefined;
      }
      if (text === undefined) ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      else if (Buffer.byteLength(text) > MAX_AUDIT_DETAIL_BYTES)
        ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_AUDIT_DETAIL_BYTES} bytes as JSON` });
      else if (text.includes('\\u0000')) ctx.addIssue({ code: 'custom', message: 'must not contain NUL' });
    }),
});
export type RecordAuditInput = z.input<typeof recordAuditSchema>;

export const listAuditSchema = z.object({
  /** Only entries at or after this time (ISO 8601). */
  since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  /** Only this action. */
  action: z.string({ error: 'must be a string' }).max(MAX_AUDIT_ACTION_LENGTH).optional(),
  limit: z
    .number({ error: 'must be an integer' })
    .int('must be an integer')
    .min(1, `must be from 1 to ${MAX_AUDIT_PAGE}`)
    .max(MAX_AUDIT_PAGE, `must be from 1 to ${MAX_AUDIT_PAGE}`)
    .optional(),
  /** The `cursor` of the previous page (older entries follow). */
  cursor: z.string({ error: 'must be a string' }).max(100).optional(),
});
export type ListAuditInput = z.input<typeof listAuditSchema>;
