import { useState } from 'preact/hooks';
import { api, type TopicView } from '../api.js';
import {
  ACTIONS_COLUMN,
  ConfirmDialog,
  DataTable,
  EmptyState,
  Feedback,
  RowDangerButton,
  TextField,
  useApiList,
} from '../ui.js';

type Subscription = TopicView['defaultSubscription'];
type Visibility = TopicView['visibility'];

/** What the edit form of one topic holds. */
interface Editing {
  id: string;
  name: string;
  description: string;
  visibility: Visibility;
}

export function TopicsPage() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [defaultSubscription, setDefaultSubscription] = useState<Subscription>('opt_in');
  const [visibility, setVisibility] = useState<Visibility>('private');
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [topics, load] = useApiList<TopicView>('roster/topics', setError);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<TopicView | null>(null);

  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const topic = await api<TopicView>('POST', 'roster/topics', {
        json: { name, description: description.trim() || null, defaultSubscription, visibility },
      });
      setStatus(`Topic “${topic.name}” created`);
      setName('');
      setDescription('');
      load();
    } catch (e) {
      setError(e);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    if (!editing) return;
    setError(null);
    setStatus(null);
    try {
      const topic = await api<TopicView>('PATCH', `roster/topics/${editing.id}`, {
        json: {
          name: editing.name,
          description: editing.description.trim() || null,
          visibility: editing.visibility,
        },
      });
      setStatus(`Topic “${topic.name}” saved`);
      setEditing(null);
      load();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <main id="main" tabIndex={-1}>
      <h1>Topics</h1>
      <p>
        Topics are the kinds of email a contact can opt in to or out of one by one (e.g. “Product news”),
        beside the contact’s global <em>Subscribed</em> flag. A contact that has not chosen gets the topic’s
        default. Audiences and segments say <em>who</em> a contact is; topics say{' '}
        <em>what they want to receive</em>.
      </p>
      <form class="card form" onSubmit={create} aria-labelledby="new-topic">
        <h2 id="new-topic">New topic</h2>
        <div class="grid">
          <div>
            <TextField id="topic-name" label="Name" required maxLength={50} value={name} onValue={setName} />
          </div>
          <div>
            <TextField
              id="topic-description"
              label="Description"
              maxLength={200}
              value={description}
              onValue={setDescription}
            />
          </div>
          <div>
            <label for="topic-default">Default for contacts that have not chosen</label>
            <select
              id="topic-default"
              value={defaultSubscription}
              onChange={(e) => setDefaultSubscription((e.target as HTMLSelectElement).value as Subscription)}
            >
              <option value="opt_in">Opted in</option>
              <option value="opt_out">Opted out</option>
            </select>
          </div>
          <div>
            <label for="topic-visibility">Visibility</label>
            <select
              id="topic-visibility"
              value={visibility}
              onChange={(e) => setVisibility((e.target as HTMLSelectElement).value as Visibility)}
            >
              <option value="private">Private</option>
              <option value="public">Public (on the preference page)</option>
            </select>
          </div>
        </div>
        <p class="hint">The default cannot change once the topic exists.</p>
        <div class="actions">
          <button type="submit" class="primary">
            Create topic
          </button>
        </div>
      </form>
      <Feedback error={error} status={status} />
      {topics && topics.length === 0 ? (
        <EmptyState title="No topics yet">
          <p>Create one above, e.g. “Product news” or “Offers”.</p>
        </EmptyState>
      ) : null}
      {topics && topics.length > 0 ? (
        <DataTable
          caption="Topics"
          columns={['Name', 'Description', 'Default', 'Visibility', ACTIONS_COLUMN]}
        >
          {topics.map((t) =>
            editing?.id === t.id ? (
              <tr key={t.id}>
                <td colSpan={5}>
                  <form class="inline-form" onSubmit={save}>
                    <input
                      aria-label={`Name of ${t.name}`}
                      required
                      maxLength={50}
                      value={editing.name}
                      onInput={(e) => setEditing({ ...editing, name: (e.target as HTMLInputElement).value })}
                    />
                    <input
                      aria-label={`Description of ${t.name}`}
                      maxLength={200}
                      value={editing.description}
                      onInput={(e) =>
                        setEditing({ ...editing, description: (e.target as HTMLInputElement).value })
                      }
                    />
                    <select
                      aria-label={`Visibility of ${t.name}`}
                      value={editing.visibility}
                      onChange={(e) =>
                        setEditing({
                          ...editing,
                          visibility: (e.target as HTMLSelectElement).value as Visibility,
                        })
                      }
                    >
                      <option value="private">Private</option>
                      <option value="public">Public</option>
                    </select>
                    <button type="submit">Save</button>
                    <button type="button" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </form>
                </td>
              </tr>
            ) : (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.description ?? ''}</td>
                <td>{t.defaultSubscription === 'opt_in' ? 'Opted in' : 'Opted out'}</td>
                <td>{t.visibility === 'public' ? 'Public' : 'Private'}</td>
                <td class="row-actions">
                  <button
                    type="button"
                    aria-label={`Edit ${t.name}`}
                    onClick={() =>
                      setEditing({
                        id: t.id,
                        name: t.name,
                        description: t.description ?? '',
                        visibility: t.visibility,
                      })
                    }
                  >
                    Edit
                  </button>
                  <RowDangerButton label="Delete" row={t.name} onClick={() => setDeleting(t)} />
                </td>
              </tr>
            ),
          )}
        </DataTable>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete topic “${deleting.name}”?`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await api('DELETE', `roster/topics/${deleting.id}`);
            setStatus(`Topic “${deleting.name}” deleted`);
            load();
          }}
          onClose={() => setDeleting(null)}
        >
          <p>
            Every contact’s choice for this topic is deleted with it. A topic a segment’s filter uses cannot
            be deleted.
          </p>
        </ConfirmDialog>
      ) : null}
    </main>
  );
}
