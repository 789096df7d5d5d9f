/** The rows of the contact page's data editor: one key, its value as text and its type each. */
export type ValueType = 'text' | 'number' | 'boolean' | 'json';
export interface DataRow {
  key: string;
  value: string;
  type: ValueType;
}

export function toRows(data: Record<string, unknown>): DataRow[] {
  return Object.entries(data).map(([key, value]) => {
    if (typeof value === 'string') return { key, value, type: 'text' };
    if (typeof value === 'number') return { key, value: String(value), type: 'number' };
    if (typeof value === 'boolean') return { key, value: String(value), type: 'boolean' };
    return { key, value: JSON.stringify(value), type: 'json' };
  });
}

/** The rows as a data object, or an error naming the row that is wrong. */
export function toData(rows: DataRow[]): Record<string, unknown> {
  // No prototype: a key named `toString` or `constructor` is new, not "used twice", and `__proto__`
  // becomes an ordinary key (the server then names it: it is not allowed as a data key).
  const data: Record<string, unknown> = Object.create(null);
  rows.forEach((row, i) => {
    const key = row.key.trim();
    if (!key) {
      if (row.value.trim()) throw new Error(`Data row ${i + 1} has a value but no key`);
      return;
    }
    if (Object.hasOwn(data, key)) throw new Error(`Data key “${key}” is used twice`);
    if (row.type === 'text') data[key] = row.value;
    else if (row.type === 'number') {
      const n = Number(row.value);
      if (row.value.trim() === '' || !Number.isFinite(n)) throw new Error(`Data “${key}” must be a number`);
      data[key] = n;
    } else if (row.type === 'boolean') data[key] = row.value === 'true';
    else {
      try {
        data[key] = JSON.parse(row.value);
      } catch {
        throw new Error(`Data “${key}” is not valid JSON`);
      }
    }
  });
  return data;
}
