import { useState } from 'preact/hooks';
import { type Audience, api } from '../api.js';
import {
  ACTIONS_COLUMN,
  ConfirmDialog,
  DataTable,
  EmptyState,
  Feedback,
  formatNumber,
  RowDangerButton,
  TextField,
  useApiList,
} from '../ui.js';

export function AudiencesPage() {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [audiences, load] = useApiList<Audience>('v1/audiences', setError);
  const [status, setStatus] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Audience | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);

  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await api('POST', 'v1/audiences', { json: { name } });
      setStatus(`Audience “${name.trim()}” created`);
      setName('');
      load();
    } catch (e) {
      setError(e);
    }
  }

  async function rename(event: Event) {
    event.preventDefault();
    if (!renaming) return;
    setError(null);
    try {
      await api('PATCH', `v1/audiences/${renaming.id}`, { json: { name: renaming.name } });
      setStatus(`Audience renamed to “${renaming.name.trim()}”`);
      setRenaming(null);
      load();
    } catch (e) {
      setError(e);
    }
  }

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
      <Feedback error={error} status={status} />
      {audiences && audiences.length === 0 ? (
        <EmptyState title="No audiences yet">
          <p>Create one above, e.g. “Newsletter” or “Customers”.</p>
        </EmptyState>
      ) : null}
      {audiences && audiences.length > 0 ? (
        <DataTable caption="Audiences" columns={['Name', 'Contacts', ACTIONS_COLUMN]}>
          {audiences.map((a) => (
            <tr key={a.id}>
              <td>
                {renaming?.id === a.id ? (
                  <form class="inline-form" onSubmit={rename}>
                    <input
                      aria-label={`New name for ${a.name}`}
                      required
                      value={renaming.name}
                      onInput={(e) => setRenaming({ id: a.id, name: (e.target as HTMLInputElement).value })}
                    />
                    <button type="submit">Save</button>
                    <button type="button" onClick={() => setRenaming(null)}>
                      Cancel
                    </button>
                  </form>
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
                <RowDangerButton label="Delete" row={a.name} onClick={() => setDeleting(a)} />
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete audience “${deleting.name}”?`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await api('DELETE', `v1/audiences/${deleting.id}`);
            setStatus(`Audience “${deleting.name}” deleted`);
            load();
          }}
          onClose={() => setDeleting(null)}
        >
          <p>Its {formatNumber(deleting.contacts_count)} contact(s) are kept, without an audience.</p>
        </ConfirmDialog>
      ) : null}
    </main>
  );
}
