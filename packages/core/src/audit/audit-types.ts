import type { AuditLogTable } from '../db/schema.js';
import type { AuditEntry } from '../wire.js';

export type { AuditEntry } from '../wire.js';

export { AUDIT_ACTIONS } from '../wire.js';

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
