import { useState } from 'preact/hooks';
import { type Audience, api } from '../api.js';
import {
  ACTIONS_COLUMN,
  Feedback,
  formatNumber,
  InlineEditForm,
  ListTable,
  RowDangerButton,
  TextField,
  useConfirmedRemoval,
  useListPage,
} from '../ui.js';

export function AudiencesPage() {
  const [name, setName] = useState('');
  const page = useListPage<Audience>('v1/audiences');
  const removal = useConfirmedRemoval((audience: Audience) => ({
    title: `Delete audience “${audience.name}”?`,
    path: `v1/audiences/${audience.id}`,
    onDone: () => page.done(`Audience “${audience.name}” deleted`),
    children: <p>Its {formatNumber(audience.contacts_count)} contact(s) are kept, without an audience.</p>,
  }));
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);

  const create = page.onSubmit(async () => {
    await api('POST', 'v1/audiences', { json: { name } });
    setName('');
    return `Audience “${name.trim()}” created`;
  });

  const rename = (renamed: { id: string; name: string }) =>
    page.onSubmit(async () => {
      await api('PATCH', `v1/audiences/${renamed.id}`, { json: { name: renamed.name } });
      setRenaming(null);
      return `Audience renamed to “${renamed.name.trim()}”`;
    });

  return (
    <main id="main" tabIndex={-1}>
      <h1>Audiences</h1>
      <p>
        Audiences group contacts (each contact is in at most one). Move contacts from the contacts table or a
        contact’s page.
      </p>
      <form class="inline-form" onSubmit={create}>
        <TextField id="audience-name" label="New audience" required value={name} onValue={setName} />
        <button type="submit" class="primary">
          Create
        </button>
      </form>
      <Feedback error={page.error} status={page.status} />
      <ListTable
        items={page.items}
        emptyTitle="No audiences yet"
        emptyHint="Create one above, e.g. “Newsletter” or “Customers”."
        caption="Audiences"
        columns={['Name', 'Contacts', ACTIONS_COLUMN]}
        row={(a) => (
          <tr key={a.id}>
            <td>
              {renaming?.id === a.id ? (
                <InlineEditForm onSubmit={rename(renaming)} onCancel={() => setRenaming(null)}>
                  <input
                    aria-label={`New name for ${a.name}`}
                    required
                    value={renaming.name}
                    onInput={(e) => setRenaming({ id: a.id, name: (e.target as HTMLInputElement).value })}
                  />
                </InlineEditForm>
              ) : (
                a.name
              )}
            </td>
            <td>{formatNumber(a.contacts_count)}</td>
            <td class="row-actions">
              <button
                type="button"
                aria-label={`Rename ${a.name}`}
                onClick={() => setRenaming({ id: a.id, name: a.name })}
              >
                Rename
              </button>
              <RowDangerButton label="Delete" row={a.name} onClick={() => removal.ask(a)} />
            </td>
          </tr>
        )}
      />
      {removal.dialog}
    </main>
  );
}
