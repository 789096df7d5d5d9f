import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Audience, api, apiUrl, type PlunkPage, type Segment } from '../api.js';
import {
  AudienceSelect,
  Badge,
  ConfirmDialog,
  DataTable,
  EmptyState,
  ErrorMessage,
  formatDate,
  formatNumber,
  named,
  Options,
  PageHead,
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

  /** A toolbar filter's change: set it, and show the first page again. */
  function refilter(set: (value: string) => void) {
    return (value: string) => {
      set(value);
      setCursors([undefined]);
    };
  }

  const pageNumber = shownPage;
  const from = (pageNumber - 1) * limit + 1;

  return (
    <main id="main" tabIndex={-1}>
      <PageHead
        title="Contacts"
        count={total === null ? '' : `${formatNumber(total)} ${filtered ? 'matching' : 'in total'}`}
      >
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
      </PageHead>
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
        <FilterSelect
          id="subscribed-filter"
          label="Subscription"
          value={subscribed}
          onChange={refilter((value) => setSubscribed(value as '' | 'true' | 'false'))}
        >
          <option value="">All</option>
          <option value="true">Subscribed</option>
          <option value="false">Unsubscribed</option>
        </FilterSelect>
        <FilterSelect id="audience-filter" label="Audience" value={audience} onChange={refilter(setAudience)}>
          <option value="">All audiences</option>
          <Options choices={named(audiences)} />
        </FilterSelect>
        <FilterSelect
          id="segment-filter"
          label="Segment"
          value={segment}
          onChange={refilter(setSegment)}
          after={
            <button type="button" onClick={() => setBuilding(true)}>
              New segment…
            </button>
          }
        >
          <option value="">All contacts</option>
          <Options choices={named(segments)} />
        </FilterSelect>
        <FilterSelect id="order" label="Sort" value={order} onChange={refilter(setOrder)}>
          <option value="createdAt:desc">Newest first</option>
          <option value="createdAt:asc">Oldest first</option>
          <option value="email:asc">Email A–Z</option>
          <option value="email:desc">Email Z–A</option>
        </FilterSelect>
        <FilterSelect
          id="page-size"
          label="Rows"
          value={String(limit)}
          onChange={refilter((value) => setLimit(Number(value)))}
        >
          <option value="25">25</option>
          <option value="50">50</option>
          <option value="100">100</option>
        </FilterSelect>
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
        <DataTable
          caption="Contacts"
          busy={loading}
          columns={[
            {
              label: (
                <input
                  type="checkbox"
                  aria-label="Select all contacts on this page"
                  checked={allSelected}
                  onChange={toggleAll}
                />
              ),
              class: 'check',
            },
            'Email',
            'Subscribed',
            { label: 'Data', class: 'wide' },
            { label: 'Created', class: 'wide' },
          ]}
        >
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
                <Badge tone={row.subscribed ? 'yes' : 'no'}>{row.subscribed ? 'Yes' : 'No'}</Badge>
              </td>
              <td class="wide data">{summarise(row.data)}</td>
              <td class="wide">{formatDate(row.createdAt)}</td>
            </tr>
          ))}
        </DataTable>
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

/** A labelled select of the toolbar. */
function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  children: ComponentChildren;
  after?: ComponentChildren;
}) {
  return (
    <span class="field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        {props.children}
      </select>
      {props.after}
    </span>
  );
}
function summarise(data: Record<string, unknown> | null): string {
  if (!data) return '';
  const text = Object.entries(data)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
