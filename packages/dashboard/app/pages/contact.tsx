import { useEffect, useState } from 'preact/hooks';
import {
  type Audience,
  api,
  type ContactEventView,
  type ContactTopicView,
  type UnosendContact,
} from '../api.js';
import { type DataRow, toData, toRows, type ValueType } from '../data-rows.js';
import {
  AudienceSelect,
  ConfirmDialog,
  ErrorMessage,
  Feedback,
  formatDate,
  navigate,
  TextField,
} from '../ui.js';

export function ContactPage({ id }: { id: string }) {
  const [contact, setContact] = useState<UnosendContact | null>(null);
  const [audiences, setAudiences] = useState<Audience[]>([]);
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [subscribed, setSubscribed] = useState(true);
  const [audienceId, setAudienceId] = useState('');
  const [rows, setRows] = useState<DataRow[]>([]);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  /** Bumped after each change made here, so the activity timeline reads the new events. */
  const [changes, setChanges] = useState(0);

  function fill(c: UnosendContact) {
    setContact(c);
    setEmail(c.email);
    setFirstName(c.first_name ?? '');
    setLastName(c.last_name ?? '');
    setSubscribed(c.subscribed);
    setAudienceId(c.audience_id ?? '');
    setRows(toRows(c.metadata ?? {}));
  }

  useEffect(() => {
    api<UnosendContact>('GET', `v1/contacts/${encodeURIComponent(id)}`).then(fill, setLoadError);
    api<{ data: Audience[] }>('GET', 'v1/audiences').then(
      (r) => setAudiences(r.data),
      () => setAudiences([]),
    );
  }, [id]);

  async function save(event: Event) {
    event.preventDefault();
    setError(null);
    setStatus(null);
    let metadata: Record<string, unknown>;
    try {
      metadata = toData(rows);
    } catch (e) {
      setError(e);
      return;
    }
    setSaving(true);
    try {
      const updated = await api<UnosendContact>('PATCH', `v1/contacts/${encodeURIComponent(id)}`, {
        json: {
          email,
          first_name: firstName.trim() || null,
          last_name: lastName.trim() || null,
          subscribed,
          audience_id: audienceId || null,
          metadata,
        },
      });
      fill(updated);
      setStatus('Saved');
      setChanges((n) => n + 1);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  }

  function setRow(i: number, patch: Partial<DataRow>) {
    setRows(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  }

  if (loadError) {
    return (
      <main id="main" tabIndex={-1}>
        <h1>Contact</h1>
        <ErrorMessage error={loadError} />
        <p>
          <a href="#/contacts">Back to contacts</a>
        </p>
      </main>
    );
  }
  if (!contact) {
    return (
      <main id="main" tabIndex={-1} aria-busy="true">
        <h1>Contact</h1>
        <p>Loading…</p>
      </main>
    );
  }
  return (
    <main id="main" tabIndex={-1}>
      <p class="crumb">
        <a href="#/contacts">← Contacts</a>
      </p>
      <h1 class="break">{contact.email}</h1>
      <p class="hint">
        Created {formatDate(contact.created_at)} · updated {formatDate(contact.updated_at)}
      </p>
      <form class="card form" onSubmit={save}>
        <div class="grid">
          <div>
            <TextField id="email" label="Email" type="email" required value={email} onValue={setEmail} />
          </div>
          <div>
            <label for="audience">Audience</label>
            <AudienceSelect id="audience" audiences={audiences} value={audienceId} onChange={setAudienceId} />
          </div>
          <div>
            <TextField id="first-name" label="First name" value={firstName} onValue={setFirstName} />
          </div>
          <div>
            <TextField id="last-name" label="Last name" value={lastName} onValue={setLastName} />
          </div>
        </div>
        <label class="inline">
          <input
            type="checkbox"
            checked={subscribed}
            onChange={(e) => setSubscribed((e.target as HTMLInputElement).checked)}
          />{' '}
          Subscribed
        </label>

        <fieldset>
          <legend>Data</legend>
          <p class="hint">
            Saving here replaces the contact’s data with exactly these rows. Over the API,{' '}
            <code>POST /contacts</code> merges instead: keys it sends overwrite, a key sent as{' '}
            <code>null</code> is removed, an empty string is ignored, and keys it leaves out are kept.
          </p>
          {rows.length === 0 ? <p class="hint">No data yet: add a row to store a value.</p> : null}
          {rows.map((row, i) => (
            <div class="data-row" key={i}>
              <input
                aria-label={`Key ${i + 1}`}
                placeholder="key"
                value={row.key}
                onInput={(e) => setRow(i, { key: (e.target as HTMLInputElement).value })}
              />
              <select
                aria-label={`Type of ${row.key || `row ${i + 1}`}`}
                value={row.type}
                onChange={(e) => setRow(i, { type: (e.target as HTMLSelectElement).value as ValueType })}
              >
                <option value="text">text</option>
                <option value="number">number</option>
                <option value="boolean">true/false</option>
                <option value="json">JSON</option>
              </select>
              {row.type === 'boolean' ? (
                <select
                  aria-label={`Value of ${row.key || `row ${i + 1}`}`}
                  value={row.value === 'true' ? 'true' : 'false'}
                  onChange={(e) => setRow(i, { value: (e.target as HTMLSelectElement).value })}
                >
                  <option value="true">true</option>
                  <option value="false">false</option>
                </select>
              ) : (
                <input
                  aria-label={`Value of ${row.key || `row ${i + 1}`}`}
                  placeholder="value"
                  value={row.value}
                  onInput={(e) => setRow(i, { value: (e.target as HTMLInputElement).value })}
                />
              )}
              <button
                type="button"
                aria-label={`Remove ${row.key || `row ${i + 1}`}`}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setRows([...rows, { key: '', value: '', type: 'text' }])}>
            Add data row
          </button>
        </fieldset>
        <Feedback error={error} status={status} />
        <div class="actions">
          <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
            Delete contact
          </button>
          <button type="submit" class="primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
      <ContactTopics id={id} onChange={() => setChanges((n) => n + 1)} />
      <ActivityTimeline id={id} changes={changes} />
      {confirmDelete ? (
        <ConfirmDialog
          title="Delete this contact?"
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await api('DELETE', `v1/contacts/${encodeURIComponent(id)}`);
            navigate('contacts');
          }}
          onClose={() => setConfirmDelete(false)}
        >
          <p>{contact.email} is deleted for good. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </main>
  );
}

const SUBSCRIPTION_LABEL = { opt_in: 'Opted in', opt_out: 'Opted out' } as const;

/** The contact's topics with their effective subscription, each switchable at once. */
function ContactTopics({ id, onChange }: { id: string; onChange: () => void }) {
  const [topics, setTopics] = useState<ContactTopicView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `roster/contacts/${encodeURIComponent(id)}/topics`;

  useEffect(() => {
    api<{ data: ContactTopicView[] }>('GET', path).then((r) => setTopics(r.data), setError);
  }, [path]);

  async function change(topic: ContactTopicView, subscription: ContactTopicView['subscription']) {
    setError(null);
    setStatus(null);
    setBusy(true);
    try {
      const r = await api<{ data: ContactTopicView[] }>('PUT', path, {
        json: { topics: [{ id: topic.id, subscription }] },
      });
      setTopics(r.data);
      setStatus(`${SUBSCRIPTION_LABEL[subscription]} of “${topic.name}”`);
      onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="topics-title">
      <h2 id="topics-title">Topics</h2>
      <p class="hint">
        What this contact wants to receive, topic by topic (see <a href="#/topics">Topics</a>). Where the
        contact has not chosen, the topic’s default applies. Changes save at once.
      </p>
      {topics && topics.length === 0 ? <p class="hint">The project has no topics yet.</p> : null}
      {topics && topics.length > 0 ? (
        <ul class="topic-list">
          {topics.map((t) => (
            <li key={t.id}>
              <label for={`topic-${t.id}`}>{t.name}</label>{' '}
              <select
                id={`topic-${t.id}`}
                value={t.subscription}
                disabled={busy}
                aria-describedby={`topic-${t.id}-source`}
                onChange={(e) =>
                  change(t, (e.target as HTMLSelectElement).value as ContactTopicView['subscription'])
                }
              >
                <option value="opt_in">Opted in</option>
                <option value="opt_out">Opted out</option>
              </select>{' '}
              <span class="hint" id={`topic-${t.id}-source`}>
                {t.explicit ? 'the contact’s choice' : 'the topic’s default'}
              </span>
              {t.description ? <p class="hint">{t.description}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <Feedback error={error} status={status} />
    </section>
  );
}

/** How the timeline names the events roster records (tracked events show their own name). */
const EVENT_LABEL: Record<string, string> = {
  'contact.subscribed': 'Subscribed',
  'contact.unsubscribed': 'Unsubscribed',
  'contact.topics_changed': 'Topics changed',
  'contact.confirmation_requested': 'Confirmation requested',
  'contact.confirmed': 'Subscription confirmed',
};

/** Where a consent record's change came from, in words. */
const SOURCE_LABEL: Record<string, string> = {
  plunk: 'Plunk API',
  unosend: 'Unosend API',
  resend: 'Resend API',
  roster: 'management API',
  dashboard: 'dashboard',
  import: 'CSV import',
  bulk: 'bulk operation',
  confirmation: 'confirmation link',
  unsubscribe_link: 'unsubscribe link',
  preferences: 'preference page',
  library: 'application',
};

function eventDetail(event: ContactEventView): string {
  const data = event.data ?? {};
  const parts: string[] = [];
  if (typeof data.source === 'string') parts.push(`via ${SOURCE_LABEL[data.source] ?? data.source}`);
  if (typeof data.clientAddress === 'string') parts.push(`from ${data.clientAddress}`);
  if (Array.isArray(data.topics)) {
    const topics = data.topics as { name?: unknown; subscription?: unknown }[];
    parts.push(
      topics
        .map((t) => `${String(t.name)}: ${t.subscription === 'opt_in' ? 'opted in' : 'opted out'}`)
        .join(', '),
    );
  }
  return parts.join(' · ');
}

/** The contact's events, newest first: tracked events and every subscription change with its source. */
function ActivityTimeline({ id, changes }: { id: string; changes: number }) {
  const [events, setEvents] = useState<ContactEventView[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api<{ data: ContactEventView[] }>('GET', `roster/contacts/${encodeURIComponent(id)}/events`, {
      query: { limit: 100 },
    }).then((r) => setEvents(r.data), setError);
  }, [id, changes]);

  return (
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Activity</h2>
      <p class="hint">
        The contact’s events, newest first: tracked events and every subscription change with where it came
        from (the consent record).
      </p>
      {events && events.length === 0 ? <p class="hint">No activity yet.</p> : null}
      {events && events.length > 0 ? (
        <ol class="timeline" aria-label="Activity, newest first">
          {events.map((event) => (
            <li key={event.id}>
              <span class="event-name">{EVENT_LABEL[event.name] ?? event.name}</span>{' '}
              <time class="hint" dateTime={event.createdAt}>
                {formatDate(event.createdAt)}
              </time>
              {eventDetail(event) ? <p class="hint">{eventDetail(event)}</p> : null}
            </li>
          ))}
        </ol>
      ) : null}
      <ErrorMessage error={error} />
    </section>
  );
}
