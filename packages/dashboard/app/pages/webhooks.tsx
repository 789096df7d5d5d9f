import { WEBHOOK_EVENT_TYPES } from '@roster/core/wire';
import { useEffect, useState } from 'preact/hooks';
import { api, type WebhookDelivery, type WebhookEndpoint, type WebhookTestResult } from '../api.js';
import {
  ACTIONS_COLUMN,
  Badge,
  CreateForm,
  DataTable,
  ErrorMessage,
  Feedback,
  formatDate,
  ListTable,
  RowDangerButton,
  SecretShownOnce,
  TextField,
  useConfirmedRemoval,
  useListPage,
} from '../ui.js';

const DELIVERY_LABELS: Record<WebhookDelivery['status'], string> = {
  pending: 'Pending',
  succeeded: 'Delivered',
  failed: 'Failed',
};

const DELIVERY_TONES: Record<WebhookDelivery['status'], string | undefined> = {
  pending: undefined,
  succeeded: 'yes',
  failed: 'no',
};

function endpointState(endpoint: WebhookEndpoint): string {
  if (endpoint.enabled) return 'Enabled';
  return endpoint.disabledReason === 'failing' ? 'Disabled (kept failing)' : 'Disabled';
}

/** Webhook endpoints: create (the secret is shown once), enable/disable, test, delete, recent deliveries. */
export function WebhooksPage() {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [allEvents, setAllEvents] = useState(true);
  const [events, setEvents] = useState<Set<string>>(new Set());
  const [created, setCreated] = useState<(WebhookEndpoint & { secret: string }) | null>(null);
  const page = useListPage<WebhookEndpoint>('roster/webhooks');
  const { error, setError, status, setStatus, items: endpoints } = page;
  const removal = useConfirmedRemoval((endpoint: WebhookEndpoint) => ({
    title: `Delete ${endpoint.url}?`,
    path: `roster/webhooks/${endpoint.id}`,
    onDone: () => {
      if (open === endpoint.id) setOpen(null);
      page.done(`${endpoint.url} deleted`);
    },
    children: <p>No more events are sent to it, and its delivery log is deleted with it.</p>,
  }));
  const [open, setOpen] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const create = page.onSubmit(async () => {
    const eventTypes = allEvents ? ['*'] : [...events];
    if (eventTypes.length === 0) throw new Error('Choose at least one event, or “All events”');
    const endpoint = await api<WebhookEndpoint & { secret: string }>('POST', 'roster/webhooks', {
      json: {
        url: url.trim(),
        eventTypes,
        ...(description.trim() ? { description: description.trim() } : {}),
      },
    });
    setCreated(endpoint);
    setUrl('');
    setDescription('');
    return null;
  });

  async function toggle(endpoint: WebhookEndpoint) {
    setError(null);
    setBusy(endpoint.id);
    try {
      await api('PATCH', `roster/webhooks/${endpoint.id}`, { json: { enabled: !endpoint.enabled } });
      page.done(`${endpoint.url} ${endpoint.enabled ? 'disabled' : 'enabled'}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  async function test(endpoint: WebhookEndpoint) {
    setError(null);
    setStatus(`Sending a test event to ${endpoint.url}…`);
    setBusy(endpoint.id);
    try {
      const { attempt } = await api<WebhookTestResult>('POST', `roster/webhooks/${endpoint.id}/test`);
      setStatus(
        attempt.error === null && attempt.statusCode !== null && attempt.statusCode < 300
          ? `Test event delivered to ${endpoint.url}: HTTP ${attempt.statusCode} in ${attempt.latencyMs} ms`
          : `Test event to ${endpoint.url} failed: ${attempt.error ?? `HTTP ${attempt.statusCode}`}`,
      );
      setOpen(endpoint.id);
    } catch (e) {
      setStatus(null);
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <main id="main" tabIndex={-1}>
      <h1>Webhooks</h1>
      <p>
        roster sends a signed HTTP POST (Standard Webhooks) to each endpoint when its events happen, and
        retries failed deliveries for about a day.
      </p>
      <CreateForm
        id="new-webhook-title"
        title="New endpoint"
        submit="Add endpoint"
        class="card"
        onSubmit={create}
      >
        <TextField
          id="webhook-url"
          label="URL"
          type="url"
          required
          placeholder="https://example.com/hooks/roster"
          value={url}
          onValue={setUrl}
        />
        <TextField
          id="webhook-description"
          label="Description (optional)"
          value={description}
          onValue={setDescription}
        />
        <fieldset>
          <legend>Events</legend>
          <label class="check-label">
            <input type="checkbox" checked={allEvents} onChange={() => setAllEvents(!allEvents)} />
            All events
          </label>
          {allEvents
            ? null
            : WEBHOOK_EVENT_TYPES.map((type) => (
                <label class="check-label" key={type}>
                  <input
                    type="checkbox"
                    checked={events.has(type)}
                    onChange={() => {
                      const next = new Set(events);
                      if (next.has(type)) next.delete(type);
                      else next.add(type);
                      setEvents(next);
                    }}
                  />
                  <code>{type}</code>
                </label>
              ))}
        </fieldset>
      </CreateForm>
      <Feedback error={error} status={status} />
      {created ? (
        <SecretShownOnce
          id="new-secret-title"
          title="Signing secret: copy it now"
          secret={created.secret}
          testId="webhook-secret"
          onDone={() => setCreated(null)}
        >
          <p>
            Verify each request’s <code>webhook-signature</code> with it. It is shown this once (the API can
            rotate it).
          </p>
        </SecretShownOnce>
      ) : null}
      <ListTable
        items={page.items}
        emptyTitle="No webhook endpoints yet"
        emptyHint="Add one above to be told when contacts change, an import finishes or a bulk action completes."
        caption="Webhook endpoints"
        columns={['URL', { label: 'Events', class: 'wide' }, 'State', ACTIONS_COLUMN]}
        row={(endpoint) => (
          <tr key={endpoint.id} data-endpoint={endpoint.id}>
            <td class="url">
              {endpoint.url}
              {endpoint.description ? <span class="hint block">{endpoint.description}</span> : null}
            </td>
            <td class="wide">{endpoint.eventTypes.join(', ')}</td>
            <td>
              <Badge tone={endpoint.enabled ? 'yes' : 'no'}>{endpointState(endpoint)}</Badge>
            </td>
            <td>
              <div class="row-actions">
                <button
                  type="button"
                  disabled={busy === endpoint.id}
                  aria-label={`Send test to ${endpoint.url}`}
                  onClick={() => test(endpoint)}
                >
                  Send test
                </button>
                <button
                  type="button"
                  disabled={busy === endpoint.id}
                  aria-label={`${endpoint.enabled ? 'Disable' : 'Enable'} ${endpoint.url}`}
                  onClick={() => toggle(endpoint)}
                >
                  {endpoint.enabled ? 'Disable' : 'Enable'}
                </button>
                <button
                  type="button"
                  aria-expanded={open === endpoint.id}
                  aria-label={`Deliveries of ${endpoint.url}`}
                  onClick={() => setOpen(open === endpoint.id ? null : endpoint.id)}
                >
                  Deliveries
                </button>
                <RowDangerButton label="Delete" row={endpoint.url} onClick={() => removal.ask(endpoint)} />
              </div>
            </td>
          </tr>
        )}
      />
      {open && endpoints?.some((e) => e.id === open) ? (
        <Deliveries endpoint={endpoints.find((e) => e.id === open)!} refresh={status} />
      ) : null}
      {removal.dialog}
    </main>
  );
}

/** The endpoint's 20 most recent deliveries; asks again every 2 s while one is pending. */
function Deliveries({ endpoint, refresh }: { endpoint: WebhookEndpoint; refresh: unknown }) {
  const [deliveries, setDeliveries] = useState<WebhookDelivery[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api<{ data: WebhookDelivery[] }>('GET', `roster/webhooks/${endpoint.id}/deliveries`, {
      query: { limit: 20 },
    })
      .then((r) => live && setDeliveries(r.data))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [endpoint.id, refresh, tick]);
  const pending = deliveries?.some((d) => d.status === 'pending') ?? false;
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(() => setTick((n) => n + 1), 2000);
    return () => clearTimeout(timer);
  }, [pending, deliveries]);

  return (
    <section class="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Recent deliveries to {endpoint.url}</h2>
      <ErrorMessage error={error} />
      {deliveries && deliveries.length === 0 ? (
        <p>Nothing sent yet: “Send test” sends a signed test event now.</p>
      ) : null}
      {deliveries && deliveries.length > 0 ? (
        <DataTable
          caption="Recent deliveries, newest first"
          columns={['Event', 'Status', 'Attempts', 'Last answer', { label: 'Created', class: 'wide' }]}
        >
          {deliveries.map((d) => (
            <tr key={d.id}>
              <td>
                <code>{d.eventType}</code>
              </td>
              <td>
                <Badge tone={DELIVERY_TONES[d.status]}>{DELIVERY_LABELS[d.status]}</Badge>
              </td>
              <td>{d.attemptCount}</td>
              <td class="result">
                {d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : ''}
                {d.lastError ? <span class="failed-reason">{d.lastError}</span> : null}
                {d.nextAttemptAt ? (
                  <span class="hint block">next try {formatDate(d.nextAttemptAt)}</span>
                ) : null}
              </td>
              <td class="wide">{formatDate(d.createdAt)}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </section>
  );
}
