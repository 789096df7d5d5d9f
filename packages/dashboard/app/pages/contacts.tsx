import { useEffect, useRef, useState } from 'preact/hooks';
import { type Audience, api, apiUrl, type PlunkPage, type Segment } from '../api.js';
import {
  AudienceSelect,
  ConfirmDialog,
  EmptyState,
  ErrorMessage,
  formatDate,
  formatNumber,
  Status,
} from '../ui.js';
import { SegmentBuilder } from './segment-builder.js';

type BulkOperation = 'subscribe' | 'unsubscribe' | 'delete' | 'move';

const VERBS: Record<BulkOperation, { label: string; done: string }> = {
  subscribe: { label: 'Subscribe', done: 'subscribed' },
  unsubscribe: { label: 'Unsubscribe', done: 'unsubscribed' },
  delete: { label: 'Delete', done: 'deleted' },
  move: { label: 'Move', done: 'moved' },
};

export function ContactsPage() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [limit, setLimit] = useState(25);
  const [subscribed, setSubscribed] = useState<'' | 'true' | 'false'>('');
  const [audience, setAudience] = useState('');
  const [segment, setSegment] = useState('');
  const [segments, setSegments] = useState<Segment[]>([]);
  const [building, setBuilding] = useState(false);
  const [order, setOrder] = useState('createdAt:desc');
  /** The cursor of each page visited so far; the last one is the page shown. */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<PlunkPage | null>(null);
  /** The number of the page shown (while the next one loads, the old one stays). */
  const [shownPage, setShownPage] = useState(1);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<BulkOperation | null>(null);
  const [audiences, setAudiences] = useState<Audience[]>([]);
  const [moveTo, setMoveTo] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const request = useRef(0);

  // Typing waits for a pause before searching; a new search starts again at the first page.
  useEffect(() => {
    const timer = setTimeout(() => {
      setQuery(search.trim());
      setCursors([undefined]);
    }, 150);
    return () => clearTimeout(timer);
  }, [search]);

  const cursor = cursors[cursors.length - 1];
  /** The table's filters, as the list and the export take them. */
  const filters = {
    search: query || undefined,
    subscribed: subscribed || undefined,
    audience_id: audience || undefined,
    segment_id: segment || undefined,
  };
  const filtered = Boolean(query || subscribed || audience || segment);
  useEffect(() => {
    const id = ++request.current;
    const pageNumberRequested = cursors.length;
    setLoading(true);
    setError(null);
    const [sort, dir] = order.split(':');
    api<PlunkPage>('GET', 'roster/contacts', { query: { ...filters, limit, cursor, sort, dir } })
      .then((result) => {
        if (id !== request.current) return;
        setPage(result);
        setShownPage(pageNumberRequested);
        if (result.total !== undefined) setTotal(result.total);
        setSelected(new Set());
        setLoading(false);
      })
      .catch((e) => {
        if (id !== request.current) return;
        setError(e);
        setLoading(false);
      });
  }, [query, cursor, limit, subscribed, audience, segment, order, reload]);

  useEffect(() => {
    api<{ data: Audience[] }>('GET', 'v1/audiences')
      .then((result) => setAudiences(result.data))
      .catch(() => setAudiences([]));
    api<Segment[]>('GET', 'segments')
      .then(setSegments)
      .catch(() => setSegments([]));
  }, []);

  const rows = page?.data ?? [];
  const allSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  function toggle(id: string) {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  }
  function toggleAll() {
    setSelected(allSelected ? new Set() : new Set(rows.map((row) => row.id)));
  }

  async function runBulk(operation: BulkOperation) {
    const result = await api<{ affected: number }>('POST', 'v1/contacts/bulk', {
      json: {
        operation,
        contact_ids: [...selected],
        ...(operation === 'move' ? { audience_id: moveTo || null } : {}),
      },
    });
    setStatus(`${formatNumber(result.affected)} contact(s) ${VERBS[operation].done}`);
    if (operation === 'delete') setCursors([undefined]);
    setReload((n) => n + 1);
  }

  const pageNumber = shownPage;
  const from = (pageNumber - 1) * limit + 1;

  return (
    <main id="main" tabIndex={-1}>
      <div class="page-head">
        <h1>Contacts</h1>
        <p class="count" aria-live="polite">
          {total === null ? '' : `${formatNumber(total)} ${filtered ? 'matching' : 'in total'}`}
        </p>
        <div class="head-actions">
          <a
            class="button"
            href={apiUrl('roster/contacts/export', { format: 'csv', ...filters })}
            download
            title={filtered ? 'Only the contacts that match the filters' : 'Every contact'}
          >
            {filtered ? 'Export matching CSV' : 'Export CSV'}
          </a>
          <a
            class="button"
            href={apiUrl('roster/contacts/export', { format: 'json', ...filters })}
            download="contacts.json"
            title={filtered ? 'Only the contacts that match the filters' : 'Every contact'}
          >
            {filtered ? 'Export matching JSON' : 'Export JSON'}
          </a>
          <a class="button primary" href="#/import">
            Import CSV
          </a>
        </div>
      </div>
      <div class="toolbar">
        <label for="search" class="visually-hidden">
          Search by email
        </label>
        <input
          id="search"
          type="search"
          placeholder="Search by email (any part of it)"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <span class="field">
          <label for="subscribed-filter">Subscription</label>
          <select
            id="subscribed-filter"
            value={subscribed}
            onChange={(e) => {
              setSubscribed((e.target as HTMLSelectElement).value as '' | 'true' | 'false');
              setCursors([undefined]);
            }}
          >
            <option value="">All</option>
            <option value="true">Subscribed</option>
            <option value="false">Unsubscribed</option>
          </select>
        </span>
        <span class="field">
          <label for="audience-filter">Audience</label>
          <select
            id="audience-filter"
            value={audience}
            onChange={(e) => {
              setAudience((e.target as HTMLSelectElement).value);
              setCursors([undefined]);
            }}
          >
            <option value="">All audiences</option>
            {audiences.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </span>
        <span class="field">
          <label for="segment-filter">Segment</label>
          <select
            id="segment-filter"
            value={segment}
            onChange={(e) => {
              setSegment((e.target as HTMLSelectElement).value);
              setCursors([undefined]);
            }}
          >
            <option value="">All contacts</option>
            {segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => setBuilding(true)}>
            New segment…
          </button>
        </span>
        <span class="field">
          <label for="order">Sort</label>
          <select
            id="order"
            value={order}
            onChange={(e) => {
              setOrder((e.target as HTMLSelectElement).value);
              setCursors([undefined]);
            }}
          >
            <option value="createdAt:desc">Newest first</option>
            <option value="createdAt:asc">Oldest first</option>
            <option value="email:asc">Email A–Z</option>
            <option value="email:desc">Email Z–A</option>
          </select>
        </span>
        <span class="field">
          <label for="page-size">Rows</label>
          <select
            id="page-size"
            value={String(limit)}
            onChange={(e) => {
              setLimit(Number((e.target as HTMLSelectElement).value));
              setCursors([undefined]);
            }}
          >
            <option value="25">25</option>
            <option value="50">50</option>
            <option value="100">100</option>
          </select>
        </span>
      </div>

      {selected.size > 0 ? (
        <section class="bulk-bar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          <button type="button" onClick={() => setPending('subscribe')}>
            Subscribe
          </button>
          <button type="button" onClick={() => setPending('unsubscribe')}>
            Unsubscribe
          </button>
          {audiences.length > 0 ? (
            <button type="button" onClick={() => setPending('move')}>
              Move to audience…
            </button>
          ) : null}
          <button type="button" class="danger" onClick={() => setPending('delete')}>
            Delete
          </button>
        </section>
      ) : null}
      <Status message={status} />
      <ErrorMessage error={error} />

      {!loading && !error && rows.length === 0 ? (
        filtered ? (
          <EmptyState
            title={
              audience || segment
                ? 'No contacts match these filters'
                : query
                  ? `No ${subscribed === 'true' ? 'subscribed ' : subscribed === 'false' ? 'unsubscribed ' : ''}contact’s email contains “${query}”`
                  : `No ${subscribed === 'true' ? 'subscribed' : 'unsubscribed'} contacts`
            }
          >
            <p>
              Check the spelling, search for a shorter part of the address, or choose “All” in the filters
              above.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No contacts yet">
            <p>
              <a href="#/import">Import a CSV file</a> or add contacts over the API (
              <code>POST /contacts</code>).
            </p>
          </EmptyState>
        )
      ) : (
        <div class="table-wrap">
          <table aria-busy={loading}>
            <caption class="visually-hidden">Contacts</caption>
            <thead>
              <tr>
                <th scope="col" class="check">
                  <input
                    type="checkbox"
                    aria-label="Select all contacts on this page"
                    checked={allSelected}
                    onChange={toggleAll}
                  />
                </th>
                <th scope="col">Email</th>
                <th scope="col">Subscribed</th>
                <th scope="col" class="wide">
                  Data
                </th>
                <th scope="col" class="wide">
                  Created
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} class={selected.has(row.id) ? 'selected' : ''}>
                  <td class="check">
                    <input
                      type="checkbox"
                      aria-label={`Select ${row.email}`}
                      checked={selected.has(row.id)}
                      onChange={() => toggle(row.id)}
                    />
                  </td>
                  <td class="email">
                    <a href={`#/contacts/${row.id}`}>{row.email}</a>
                  </td>
                  <td>
                    <span class={row.subscribed ? 'badge yes' : 'badge no'}>
                      {row.subscribed ? 'Yes' : 'No'}
                    </span>
                  </td>
                  <td class="wide data">{summarise(row.data)}</td>
                  <td class="wide">{formatDate(row.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 1 || loading}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          ← Previous
        </button>
        <span>
          {rows.length > 0
            ? `Page ${pageNumber} · rows ${formatNumber(from)}–${formatNumber(from + rows.length - 1)}`
            : `Page ${pageNumber}`}
        </span>
        <button
          type="button"
          disabled={!page?.hasMore || loading}
          onClick={() => page?.cursor && setCursors([...cursors, page.cursor])}
        >
          Next →
        </button>
      </nav>

      {building ? (
        <SegmentBuilder
          onClose={() => setBuilding(false)}
          onSaved={(created) => {
            setSegments([...segments, created]);
            setSegment(created.id);
            setCursors([undefined]);
            setStatus(`Segment “${created.name}” saved: the table shows its contacts`);
          }}
        />
      ) : null}
      {pending ? (
        <ConfirmDialog
          title={`${VERBS[pending].label} ${selected.size} contact(s)?`}
          confirmLabel={VERBS[pending].label}
          danger={pending === 'delete'}
          onConfirm={() => runBulk(pending)}
          onClose={() => setPending(null)}
        >
          {pending === 'delete' ? (
            <p>The selected contacts are deleted for good. This cannot be undone.</p>
          ) : pending === 'move' ? (
            <>
              <label for="move-to">Audience</label>
              <AudienceSelect id="move-to" audiences={audiences} value={moveTo} onChange={setMoveTo} />
            </>
          ) : (
            <p>The selected contacts will be {VERBS[pending].done}. You can change it back at any time.</p>
          )}
        </ConfirmDialog>
      ) : null}
    </main>
  );
}

function summarise(data: Record<string, unknown> | null): string {
  if (!data) return '';
  const text = Object.entries(data)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
