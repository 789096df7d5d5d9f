import { useState } from 'preact/hooks';
import { api, type TopicView } from '../api.js';
import {
  ACTIONS_COLUMN,
  CreateForm,
  Feedback,
  FieldGrid,
  InlineEditForm,
  ListTable,
  RowDangerButton,
  SelectField,
  TextField,
  useConfirmedRemoval,
  useListPage,
} from '../ui.js';

type Subscription = TopicView['defaultSubscription'];
type Visibility = TopicView['visibility'];

const SUBSCRIPTION_LABELS: Record<Subscription, string> = { opt_in: 'Opted in', opt_out: 'Opted out' };

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
  const page = useListPage<TopicView>('roster/topics');
  const [editing, setEditing] = useState<Editing | null>(null);
  const removal = useConfirmedRemoval((topic: TopicView) => ({
    title: `Delete topic “${topic.name}”?`,
    path: `roster/topics/${topic.id}`,
    onDone: () => page.done(`Topic “${topic.name}” deleted`),
    children: (
      <p>
        Every contact’s choice for this topic is deleted with it. A topic a segment’s filter uses cannot be
        deleted.
      </p>
    ),
  }));

  const create = page.onSubmit(async () => {
    const topic = await api<TopicView>('POST', 'roster/topics', {
      json: { name, description: description.trim() || null, defaultSubscription, visibility },
    });
    setName('');
    setDescription('');
    return `Topic “${topic.name}” created`;
  });

  /** The handler of one field of the edit form: the field takes the input's (or select's) value. */
  const edit = (current: Editing, field: 'name' | 'description' | 'visibility') => (event: Event) =>
    setEditing({ ...current, [field]: (event.target as HTMLInputElement | HTMLSelectElement).value });

  const save = (changed: Editing) =>
    page.onSubmit(async () => {
      const topic = await api<TopicView>('PATCH', `roster/topics/${changed.id}`, {
        json: {
          name: changed.name,
          description: changed.description.trim() || null,
          visibility: changed.visibility,
        },
      });
      setEditing(null);
      return `Topic “${topic.name}” saved`;
    });

  return (
    <main id="main" tabIndex={-1}>
      <h1>Topics</h1>
      <p>
        Topics are the kinds of email a contact can opt in to or out of one by one (e.g. “Product news”),
        beside the contact’s global <em>Subscribed</em> flag. A contact that has not chosen gets the topic’s
        default. Audiences and segments say <em>who</em> a contact is; topics say{' '}
        <em>what they want to receive</em>.
      </p>
      <CreateForm id="new-topic" title="New topic" submit="Create topic" onSubmit={create}>
        <FieldGrid>
          <TextField id="topic-name" label="Name" required maxLength={50} value={name} onValue={setName} />
          <TextField
            id="topic-description"
            label="Description"
            maxLength={200}
            value={description}
            onValue={setDescription}
          />
          <SelectField
            id="topic-default"
            label="Default for contacts that have not chosen"
            value={defaultSubscription}
            labels={SUBSCRIPTION_LABELS}
            onValue={setDefaultSubscription}
          />
          <SelectField
            id="topic-visibility"
            label="Visibility"
            value={visibility}
            labels={{ private: 'Private', public: 'Public (on the preference page)' }}
            onValue={setVisibility}
          />
        </FieldGrid>
        <p class="hint">The default cannot change once the topic exists.</p>
      </CreateForm>
      <Feedback error={page.error} status={page.status} />
      <ListTable
        items={page.items}
        emptyTitle="No topics yet"
        emptyHint="Create one above, e.g. “Product news” or “Offers”."
        caption="Topics"
        columns={['Name', 'Description', 'Default', 'Visibility', ACTIONS_COLUMN]}
        row={(t) =>
          editing?.id === t.id ? (
            <tr key={t.id}>
              <td colSpan={5}>
                <InlineEditForm onSubmit={save(editing)} onCancel={() => setEditing(null)}>
                  <input
                    aria-label={`Name of ${t.name}`}
                    required
                    maxLength={50}
                    value={editing.name}
                    onInput={edit(editing, 'name')}
                  />
                  <input
                    aria-label={`Description of ${t.name}`}
                    maxLength={200}
                    value={editing.description}
                    onInput={edit(editing, 'description')}
                  />
                  <select
                    aria-label={`Visibility of ${t.name}`}
                    value={editing.visibility}
                    onChange={edit(editing, 'visibility')}
                  >
                    <option value="private">Private</option>
                    <option value="public">Public</option>
                  </select>
                </InlineEditForm>
              </td>
            </tr>
          ) : (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{t.description ?? ''}</td>
              <td>{SUBSCRIPTION_LABELS[t.defaultSubscription]}</td>
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
                <RowDangerButton label="Delete" row={t.name} onClick={() => removal.ask(t)} />
              </td>
            </tr>
          )
        }
      />
      {removal.dialog}
    </main>
  );
}
