import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Segment, type SegmentFilter } from '../api.js';
import { ErrorMessage, Options, TextField } from '../ui.js';

type FieldKind = 'email' | 'subscribed' | 'createdAt' | 'data';

interface Row {
  key: number;
  field: FieldKind;
  /** The data key, for `data` rows. */
  dataKey: string;
  operator: string;
  value: string;
  unit: 'days' | 'hours' | 'minutes';
}

const FIELDS: { value: FieldKind; label: string }[] = [
  { value: 'email', label: 'Email' },
  { value: 'subscribed', label: 'Subscribed' },
  { value: 'createdAt', label: 'Created' },
  { value: 'data', label: 'Data field' },
];

const OPERATORS: Record<FieldKind, { value: string; label: string }[]> = {
  email: [
    { value: 'contains', label: 'contains' },
    { value: 'notContains', label: 'does not contain' },
    { value: 'equals', label: 'is' },
    { value: 'notEquals', label: 'is not' },
  ],
  subscribed: [
    { value: 'equals', label: 'is' },
    { value: 'notEquals', label: 'is not' },
  ],
  createdAt: [
    { value: 'within', label: 'within the last' },
    { value: 'olderThan', label: 'more than … ago' },
  ],
  data: [
    { value: 'equals', label: 'is' },
    { value: 'notEquals', label: 'is not' },
    { value: 'contains', label: 'contains' },
    { value: 'notContains', label: 'does not contain' },
    { value: 'greaterThan', label: 'is greater than' },
    { value: 'lessThan', label: 'is less than' },
    { value: 'exists', label: 'is set' },
    { value: 'notExists', label: 'is not set' },
  ],
};

const NO_VALUE = new Set(['exists', 'notExists']);

let nextKey = 1;
function newRow(): Row {
  return { key: nextKey++, field: 'email', dataKey: '', operator: 'contains', value: '', unit: 'days' };
}

/** A typed value: numbers and true/false as such for data fields, text otherwise. */
function typed(text: string): unknown {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return text;
}

/** The filter of one row, or an error in words naming the row. */
export function rowFilter(row: Row, n: number): SegmentFilter | string {
  switch (row.field) {
    case 'email':
      if (!row.value.trim()) return `Row ${n}: type the text the email should match`;
      return { field: 'email', operator: row.operator, value: row.value.trim().toLowerCase() };
    case 'subscribed':
      return { field: 'subscribed', operator: row.operator, value: row.value !== 'false' };
    case 'createdAt': {
      const amount = Number(row.value);
      if (!Number.isInteger(amount) || amount < 1) return `Row ${n}: the time must be a whole number from 1`;
      return { field: 'createdAt', operator: row.operator, value: amount, unit: row.unit };
    }
    case 'data': {
      const key = row.dataKey.trim();
      if (!key) return `Row ${n}: name the data field (e.g. plan)`;
      if (NO_VALUE.has(row.operator)) return { field: `data.${key}`, operator: row.operator };
      if (!row.value.trim()) return `Row ${n}: type a value to compare “${key}” with`;
      const value =
        row.operator === 'contains' || row.operator === 'notContains' ? row.value : typed(row.value);
      return { field: `data.${key}`, operator: row.operator, value };
    }
  }
}

/**
 * A dialog to build a DYNAMIC segment: rows of field, operator and value, combined with AND (all
 * rows) or OR (any row); saved with `POST /segments`.
 */
export function SegmentBuilder(props: { onSaved: (segment: Segment) => void; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [logic, setLogic] = useState<'AND' | 'OR'>('AND');
  const [rows, setRows] = useState<Row[]>([newRow()]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);

  function update(key: number, change: Partial<Row>) {
    setRows(
      rows.map((r) => {
        if (r.key !== key) return r;
        const next = { ...r, ...change };
        if (change.field) {
          next.operator = OPERATORS[change.field][0]!.value;
          next.value = change.field === 'subscribed' ? 'true' : change.field === 'createdAt' ? '30' : '';
        }
        return next;
      }),
    );
  }

  async function save(event: Event) {
    event.preventDefault();
    setError(null);
    if (!name.trim()) {
      setError(new Error('Name the segment'));
      return;
    }
    const filters: SegmentFilter[] = [];
    for (const [i, row] of rows.entries()) {
      const filter = rowFilter(row, i + 1);
      if (typeof filter === 'string') {
        setError(new Error(filter));
        return;
      }
      filters.push(filter);
    }
    const condition =
      logic === 'AND'
        ? { logic, groups: [{ filters }] }
        : { logic, groups: filters.map((f) => ({ filters: [f] })) };
    setBusy(true);
    try {
      const segment = await api<Segment>('POST', 'segments', {
        json: { name: name.trim(), type: 'DYNAMIC', condition },
      });
      props.onSaved(segment);
      ref.current?.close();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} aria-labelledby="builder-title" class="builder" onClose={props.onClose}>
      <form onSubmit={save}>
        <h2 id="builder-title">New segment</h2>
        <p class="hint">
          A dynamic segment: contacts join and leave it as they change. Numbers and true/false in a data value
          are compared as such.
        </p>
        <TextField id="segment-name" label="Name" value={name} onValue={setName} />
        <fieldset>
          <legend>Contacts that match</legend>
          <div class="logic">
            <label>
              <input type="radio" name="logic" checked={logic === 'AND'} onChange={() => setLogic('AND')} />
              all rows (AND)
            </label>
            <label>
              <input type="radio" name="logic" checked={logic === 'OR'} onChange={() => setLogic('OR')} />
              any row (OR)
            </label>
          </div>
          {rows.map((row, i) => {
            const n = i + 1;
            return (
              <div class="filter-row" key={row.key}>
                <select
                  aria-label={`Field ${n}`}
                  value={row.field}
                  onChange={(e) =>
                    update(row.key, { field: (e.target as HTMLSelectElement).value as FieldKind })
                  }
                >
                  <Options choices={FIELDS} />
                </select>
                {row.field === 'data' ? (
                  <input
                    aria-label={`Data key ${n}`}
                    placeholder="key, e.g. plan"
                    value={row.dataKey}
                    onInput={(e) => update(row.key, { dataKey: (e.target as HTMLInputElement).value })}
                  />
                ) : null}
                <select
                  aria-label={`Operator ${n}`}
                  value={row.operator}
                  onChange={(e) => update(row.key, { operator: (e.target as HTMLSelectElement).value })}
                >
                  <Options choices={OPERATORS[row.field]} />
                </select>
                {row.field === 'subscribed' ? (
                  <select
                    aria-label={`Value ${n}`}
                    value={row.value}
                    onChange={(e) => update(row.key, { value: (e.target as HTMLSelectElement).value })}
                  >
                    <option value="true">yes</option>
                    <option value="false">no</option>
                  </select>
                ) : NO_VALUE.has(row.operator) ? null : (
                  <input
                    aria-label={`Value ${n}`}
                    inputMode={row.field === 'createdAt' ? 'numeric' : undefined}
                    value={row.value}
                    onInput={(e) => update(row.key, { value: (e.target as HTMLInputElement).value })}
                  />
                )}
                {row.field === 'createdAt' ? (
                  <select
                    aria-label={`Unit ${n}`}
                    value={row.unit}
                    onChange={(e) =>
                      update(row.key, { unit: (e.target as HTMLSelectElement).value as Row['unit'] })
                    }
                  >
                    <option value="days">days</option>
                    <option value="hours">hours</option>
                    <option value="minutes">minutes</option>
                  </select>
                ) : null}
                <button
                  type="button"
                  aria-label={`Remove row ${n}`}
                  disabled={rows.length === 1}
                  onClick={() => setRows(rows.filter((r) => r.key !== row.key))}
                >
                  Remove
                </button>
              </div>
            );
          })}
          <button type="button" onClick={() => setRows([...rows, newRow()])}>
            Add row
          </button>
        </fieldset>
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Save segment
          </button>
        </div>
      </form>
    </dialog>
  );
}
