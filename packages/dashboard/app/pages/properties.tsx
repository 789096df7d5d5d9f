import { useState } from 'preact/hooks';
import { api, type ContactPropertyView } from '../api.js';
import {
  ACTIONS_COLUMN,
  CreateForm,
  Feedback,
  FieldGrid,
  formatDate,
  InlineEditForm,
  ListTable,
  RowDangerButton,
  SelectField,
  TextField,
  useConfirmedRemoval,
  useListPage,
} from '../ui.js';

type PropertyType = ContactPropertyView['type'];

const TYPE_LABELS: Record<PropertyType, string> = { string: 'Text', number: 'Number' };

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
  const page = useListPage<ContactPropertyView>('roster/properties');
  const [editing, setEditing] = useState<{ property: ContactPropertyView; fallback: string } | null>(null);
  const removal = useConfirmedRemoval((property: ContactPropertyView) => ({
    title: `Delete property “${property.key}”?`,
    path: `roster/properties/${encodeURIComponent(property.id)}`,
    onDone: () => page.done(`Property “${property.key}” deleted`),
    children: (
      <p>Contacts keep their values, now free-form. A property a segment’s filter uses cannot be deleted.</p>
    ),
  }));

  const declare = page.onSubmit(async () => {
    const property = await api<ContactPropertyView>('POST', 'roster/properties', {
      json: { key, type, fallbackValue: fallbackOf(fallback, type) },
    });
    setKey('');
    setFallback('');
    return `Property “${property.key}” declared as ${property.type}`;
  });

  const saveFallback = ({ property, fallback }: { property: ContactPropertyView; fallback: string }) =>
    page.onSubmit(async () => {
      const updated = await api<ContactPropertyView>(
        'PATCH',
        `roster/properties/${encodeURIComponent(property.id)}`,
        { json: { fallbackValue: fallbackOf(fallback, property.type) } },
      );
      setEditing(null);
      return `Fallback of “${updated.key}” saved`;
    });

  return (
    <main id="main" tabIndex={-1}>
      <h1>Properties</h1>
      <p>
        A declared property gives a key of the contacts’ data a type: from then on every write of that key
        (the APIs, CSV imports, bulk changes, events) must give a value of that type. Other keys stay
        free-form.
      </p>
      <CreateForm id="new-property" title="Declare a property" submit="Declare property" onSubmit={declare}>
        <FieldGrid>
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
          <SelectField id="property-type" label="Type" value={type} labels={TYPE_LABELS} onValue={setType} />
          <TextField
            id="property-fallback"
            label="Fallback value (optional)"
            value={fallback}
            onValue={setFallback}
          />
        </FieldGrid>
        <p class="hint">Key and type cannot change once declared; the fallback can.</p>
      </CreateForm>
      <Feedback error={page.error} status={page.status} />
      <ListTable
        items={page.items}
        emptyTitle="No properties declared"
        emptyHint="Declare one above, e.g. “plan” as text or “seats” as a number."
        caption="Properties"
        columns={['Key', 'Type', 'Fallback value', 'Declared', ACTIONS_COLUMN]}
        row={(p) => (
          <tr key={p.id}>
            <td>
              <code>{p.key}</code>
            </td>
            <td>{TYPE_LABELS[p.type]}</td>
            <td>
              {editing?.property.id === p.id ? (
                <InlineEditForm onSubmit={saveFallback(editing)} onCancel={() => setEditing(null)}>
                  <input
                    aria-label={`Fallback value of ${p.key}`}
                    inputMode={p.type === 'number' ? 'decimal' : undefined}
                    value={editing.fallback}
                    onInput={(e) =>
                      setEditing({ property: p, fallback: (e.target as HTMLInputElement).value })
                    }
                  />
                </InlineEditForm>
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
              <RowDangerButton label="Delete" row={p.key} onClick={() => removal.ask(p)} />
            </td>
          </tr>
        )}
      />
      {removal.dialog}
    </main>
  );
}
