import { useState } from 'preact/hooks';
import { api, type ContactPropertyView } from '../api.js';
import {
  ACTIONS_COLUMN,
  ConfirmDialog,
  DataTable,
  EmptyState,
  Feedback,
  formatDate,
  RowDangerButton,
  TextField,
  useApiList,
} from '../ui.js';

type PropertyType = ContactPropertyView['type'];

/** The fallback as typed into a field: empty is none, a number property's text must be a number. */
function fallbackOf(text: string, type: PropertyType): string | number | null {
  if (text.trim() === '') return null;
  if (type === 'string') return text;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`Fallback value: “${text}” is not a number`);
  return n;
}

const shown = (value: ContactPropertyView['fallbackValue']) => (value === null ? '' : String(value));

export function PropertiesPage() {
  const [key, setKey] = useState('');
  const [type, setType] = useState<PropertyType>('string');
  const [fallback, setFallback] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [properties, load] = useApiList<ContactPropertyView>('roster/properties', setError);
  const [editing, setEditing] = useState<{ property: ContactPropertyView; fallback: string } | null>(null);
  const [deleting, setDeleting] = useState<ContactPropertyView | null>(null);

  async function declare(event: Event) {
    event.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const property = await api<ContactPropertyView>('POST', 'roster/properties', {
        json: { key, type, fallbackValue: fallbackOf(fallback, type) },
      });
      setStatus(`Property “${property.key}” declared as ${property.type}`);
      setKey('');
      setFallback('');
      load();
    } catch (e) {
      setError(e);
    }
  }

  async function saveFallback(event: Event) {
    event.preventDefault();
    if (!editing) return;
    setError(null);
    setStatus(null);
    try {
      const { property } = editing;
      const updated = await api<ContactPropertyView>(
        'PATCH',
        `roster/properties/${encodeURIComponent(property.id)}`,
        { json: { fallbackValue: fallbackOf(editing.fallback, property.type) } },
      );
      setStatus(`Fallback of “${updated.key}” saved`);
      setEditing(null);
      load();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <main id="main" tabIndex={-1}>
      <h1>Properties</h1>
      <p>
        A declared property gives a key of the contacts’ data a type: from then on every write of that key
        (the APIs, CSV imports, bulk changes, events) must give a value of that type. Other keys stay
        free-form.
      </p>
      <form class="card form" onSubmit={declare} aria-labelledby="new-property">
        <h2 id="new-property">Declare a property</h2>
        <div class="grid">
          <div>
            <TextField
              id="property-key"
              label="Key"
              required
              maxLength={50}
              pattern="[A-Za-z0-9_]+"
              title="Letters, digits and underscores"
              value={key}
              onValue={setKey}
            />
          </div>
          <div>
            <label for="property-type">Type</label>
            <select
              id="property-type"
              value={type}
              onChange={(e) => setType((e.target as HTMLSelectElement).value as PropertyType)}
            >
              <option value="string">Text</option>
              <option value="number">Number</option>
            </select>
          </div>
          <div>
            <TextField
              id="property-fallback"
              label="Fallback value (optional)"
              value={fallback}
              onValue={setFallback}
            />
          </div>
        </div>
        <p class="hint">Key and type cannot change once declared; the fallback can.</p>
        <div class="actions">
          <button type="submit" class="primary">
            Declare property
          </button>
        </div>
      </form>
      <Feedback error={error} status={status} />
      {properties && properties.length === 0 ? (
        <EmptyState title="No properties declared">
          <p>Declare one above, e.g. “plan” as text or “seats” as a number.</p>
        </EmptyState>
      ) : null}
      {properties && properties.length > 0 ? (
        <DataTable
          caption="Properties"
          columns={['Key', 'Type', 'Fallback value', 'Declared', ACTIONS_COLUMN]}
        >
          {properties.map((p) => (
            <tr key={p.id}>
              <td>
                <code>{p.key}</code>
              </td>
              <td>{p.type === 'string' ? 'Text' : 'Number'}</td>
              <td>
                {editing?.property.id === p.id ? (
                  <form class="inline-form" onSubmit={saveFallback}>
                    <input
                      aria-label={`Fallback value of ${p.key}`}
                      inputMode={p.type === 'number' ? 'decimal' : undefined}
                      value={editing.fallback}
                      onInput={(e) =>
                        setEditing({ property: p, fallback: (e.target as HTMLInputElement).value })
                      }
                    />
                    <button type="submit">Save</button>
                    <button type="button" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </form>
                ) : (
                  shown(p.fallbackValue)
                )}
              </td>
              <td>{formatDate(p.createdAt)}</td>
              <td class="row-actions">
                <button
                  type="button"
                  aria-label={`Change fallback of ${p.key}`}
                  onClick={() => setEditing({ property: p, fallback: shown(p.fallbackValue) })}
                >
                  Change fallback
                </button>
                <RowDangerButton label="Delete" row={p.key} onClick={() => setDeleting(p)} />
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete property “${deleting.key}”?`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await api('DELETE', `roster/properties/${encodeURIComponent(deleting.id)}`);
            setStatus(`Property “${deleting.key}” deleted`);
            load();
          }}
          onClose={() => setDeleting(null)}
        >
          <p>
            Contacts keep their values, now free-form. A property a segment’s filter uses cannot be deleted.
          </p>
        </ConfirmDialog>
      ) : null}
    </main>
  );
}
