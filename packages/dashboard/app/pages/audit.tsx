import { AUDIT_ACTIONS, type AuditEntry } from '@roster/core/wire';
import { useState } from 'preact/hooks';
import {
  DataTable,
  EmptyState,
  ErrorMessage,
  formatDate,
  PageHead,
  ShowOlder,
  useCursorPage,
} from '../ui.js';

const PAGE = 50;

/** Who acted, in words: a key (by the end of its id), a dashboard session, the host app, the CLI. */
function actorText(actor: string): string {
  const [kind, id] = actor.split(':', 2) as [string, string | undefined];
  if (kind === 'key' && id) return `API key …${id.slice(-6)}`;
  if (kind === 'dashboard' && id) return `Dashboard (key …${id.slice(-6)})`;
  if (kind === 'cli') return 'Command line';
  if (kind === 'host') return 'Host application';
  return actor;
}

function detailText(detail: Record<string, unknown> | null): string {
  if (!detail) return '';
  const text = Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The project's audit log, newest first, filtered by action and start date. Read-only. */
export function AuditPage() {
  const [action, setAction] = useState('');
  const [since, setSince] = useState('');
  const {
    items: entries,
    hasMore,
    error,
    older,
  } = useCursorPage<AuditEntry>(
    'roster/audit',
    (after) => ({
      limit: PAGE,
      action: action || undefined,
      since: since ? new Date(`${since}T00:00:00`).toISOString() : undefined,
      cursor: after,
    }),
    [action, since],
  );

  return (
    <main id="main" tabIndex={-1}>
      <PageHead title="Audit log" />
      <p>
        Who changed what in this project: keys, webhooks, bulk deletes and unsubscribes, exports, imports,
        topics and properties. Entries cannot be changed or deleted; the server keeps them for a year (its{' '}
        <code>--audit-retention-days</code>).
      </p>
      <div class="toolbar">
        <span class="field">
          <label for="audit-action">Action</label>
          <select
            id="audit-action"
            value={action}
            onChange={(e) => setAction((e.target as HTMLSelectElement).value)}
          >
            <option value="">All actions</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </span>
        <span class="field">
          <label for="audit-since">Since</label>
          <input
            id="audit-since"
            type="date"
            value={since}
            onInput={(e) => setSince((e.target as HTMLInputElement).value)}
          />
        </span>
      </div>
      <ErrorMessage error={error} />
      {entries && entries.length === 0 ? (
        <EmptyState title="No entries">
          <p>Nothing was recorded{action || since ? ' with these filters' : ' yet'}.</p>
        </EmptyState>
      ) : null}
      {entries && entries.length > 0 ? (
        <DataTable
          caption="Audit log, newest first"
          focusable="Audit log entries"
          columns={['Time', 'Actor', 'Action', 'Target', 'Detail']}
        >
          {entries.map((entry) => (
            <tr key={entry.id} data-audit={entry.id}>
              <td>{formatDate(entry.createdAt)}</td>
              <td title={entry.actor}>{actorText(entry.actor)}</td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td>{entry.target ? <code>{entry.target}</code> : '—'}</td>
              <td class="detail">{detailText(entry.detail)}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      <ShowOlder hasMore={hasMore} onClick={older}>
        Show older entries
      </ShowOlder>
    </main>
  );
}
