import type { AuditLogTable } from '../db/schema.js';
import type { AuditEntry } from '../wire.js';

export type { AuditEntry } from '../wire.js';

/**
 * The actions roster itself records. Others may be recorded through `audit.record` (any name of
 * lowercase letters, digits, `.`, `_`, `-` and `:`).
 */
export const AUDIT_ACTIONS = [
  'key.created',
  'key.revoked',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'contacts.bulk_deleted',
  'contacts.bulk_unsubscribed',
  'contacts.exported',
  'import.started',
  'property.created',
  'property.updated',
  'property.deleted',
  'topic.created',
  'topic.updated',
  'topic.deleted',
] as const;

type Row = Pick<AuditLogTable, 'id' | 'project_id' | 'created_at' | 'actor' | 'action' | 'target'> & {
  detail: unknown;
};

export function rowToAuditEntry(row: Row, parseJson: (value: unknown) => unknown): AuditEntry {
  return {
    id: row.id,
    projectId: row.project_id,
    createdAt: row.created_at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: (parseJson(row.detail) as Record<string, unknown> | null) ?? null,
  };
}
