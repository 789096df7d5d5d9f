import type { ComponentChildren } from 'preact';
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
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
import {
  allSelected,
  type ContactFilters,
  contactsReducer,
  filterParams,
  initialContactsState,
  isFiltered,
  rowsOf,
} from './contacts-state.js';
import { SegmentBuilder } from './segment-builder.js';

type BulkOperation = 'subscribe' | 'unsubscribe' | 'delete' | 'move';

const VERBS: Record<BulkOperation, { label: string; done: string }> = {
  subscribe: { label: 'Subscribe', done: 'subscribed' },
  unsubscribe: { label: 'Unsubscribe', done: 'unsubscribed' },
  delete: { label: 'Delete', done: 'deleted' },
  move: { label: 'Move', done: 'moved' },
};

export function ContactsPage() {
  const [state, dispatch] = useReducer(contactsReducer<PlunkPage>, initialContactsState);
  const { search, query, filters, order, limit, cursors, reload, page, total, error, loading, selected } =
    state;
  const { subscribed, audience, segment } = filters;
  const [segments, setSegments] = useState<Segment[]>([]);
  const [building, setBuilding] = useState(false);
  const [pending, setPending] = useState<BulkOperation | null>(null);
  const [audiences, setAudiences] = useState<Audience[]>([]);
  const [moveTo, setMoveTo] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const request = useRef(0);

  // Typing waits for a pause before searching; a new search starts again at the first page.
  useEffect(() => {
    const timer = setTimeout(() => dispatch({ type: 'searched' }), 150);
    return () => clearTimeout(timer);
  }, [search]);

  const cursor = cursors[cursors.length - 1];
  /** The table's filters, as the list and the export take them. */
  const params = filterParams(state);
  const filtered = isFiltered(state);
  useEffect(() => {
    const id = ++request.current;
    const pageNumberRequested = cursors.length;
    dispatch({ type: 'loading' });
    const [sort, dir] = order.split(':');
    api<PlunkPage>('GET', 'roster/contacts', { query: { ...params, limit, cursor, sort, dir } })
      .then((result) => {
        if (id !== request.current) return;
        dispatch({ type: 'loaded', page: result, pageNumber: pageNumberRequested });
      })
      .catch((e) => {
        if (id !== request.current) return;
        dispatch({ type: 'failed', error: e });
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

  const rows = rowsOf(state);
  /** A toolbar filter's change (the table shows its first page again). */
  const refilter = (filter: keyof ContactFilters) => (value: string) =>
    dispatch({ type: 'filtered', filter, value });
  const reorder = (order: string) => dispatch({ type: 'ordered', order });
  const resize = (value: string) => dispatch({ type: 'resized', limit: Number(value) });

  async function runBulk(operation: BulkOperation) {
    const result = await api<{ affected: number }>('POST', 'v1/contacts/bulk', {
      json: {
        operation,
        contact_ids: [...selected],
        ...(operation === 'move' ? { audience_id: moveTo || null } : {}),
      },
    });
    setStatus(`${formatNumber(result.affected)} contact(s) ${VERBS[operation].done}`);
    dispatch({ type: 'changed', firstPage: operation === 'delete' });
  }

  const pageNumber = state.shownPage;
  const from = (pageNumber - 1) * limit + 1;

  return (
    <main id="main" tabIndex={-1}>
      <PageHead
        title="Contacts"
        count={total === null ? '' : `${formatNumber(total)} ${filtered ? 'matching' : 'in total'}`}
      >
        <a
          class="button"
          href={apiUrl('roster/contacts/export', { format: 'csv', ...params })}
          download
          title={filtered ? 'Only the contacts that match the filters' : 'Every contact'}
        >
          {filtered ? 'Export matching CSV' : 'Export CSV'}
        </a>
        <a
          class="button"
          href={apiUrl('roster/contacts/export', { format: 'json', ...params })}
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
          onInput={(e) => dispatch({ type: 'typed', search: (e.target as HTMLInputElement).value })}
        />
        <FilterSelect
          id="subscribed-filter"
          label="Subscription"
          value={subscribed}
          onChange={refilter('subscribed')}
        >
          <option value="">All</option>
          <option value="true">Subscribed</option>
          <option value="false">Unsubscribed</option>
        </FilterSelect>
        <FilterSelect id="audience-filter" label="Audience" value={audience} onChange={refilter('audience')}>
          <option value="">All audiences</option>
          <Options choices={named(audiences)} />
        </FilterSelect>
        <FilterSelect
          id="segment-filter"
          label="Segment"
          value={segment}
          onChange={refilter('segment')}
          after={
            <button type="button" onClick={() => setBuilding(true)}>
              New segment…
            </button>
          }
        >
          <option value="">All contacts</option>
          <Options choices={named(segments)} />
        </FilterSelect>
        <FilterSelect id="order" label="Sort" value={order} onChange={reorder}>
          <option value="createdAt:desc">Newest first</option>
          <option value="createdAt:asc">Oldest first</option>
          <option value="email:asc">Email A–Z</option>
          <option value="email:desc">Email Z–A</option>
        </FilterSelect>
        <FilterSelect id="page-size" label="Rows" value={String(limit)} onChange={resize}>
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
                  checked={allSelected(state)}
                  onChange={() => dispatch({ type: 'toggledAll' })}
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
                  onChange={() => dispatch({ type: 'toggled', id: row.id })}
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
          onClick={() => dispatch({ type: 'previous' })}
        >
          ← Previous
        </button>
        <span>
          {rows.length > 0
            ? `Page ${pageNumber} · rows ${formatNumber(from)}–${formatNumber(from + rows.length - 1)}`
            : `Page ${pageNumber}`}
        </span>
        <button type="button" disabled={!page?.hasMore || loading} onClick={() => dispatch({ type: 'next' })}>
          Next →
        </button>
      </nav>

      {building ? (
        <SegmentBuilder
          onClose={() => setBuilding(false)}
          onSaved={(created) => {
            setSegments([...segments, created]);
            dispatch({ type: 'filtered', filter: 'segment', value: created.id });
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
