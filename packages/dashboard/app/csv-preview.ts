/** Just enough CSV reading to preview a file's first rows in the browser (the server parses for real). */

export interface CsvPreview {
  delimiter: string;
  header: string[];
  rows: string[][];
  /** The header line as it is in the file, BOM included (to rewrite it for a column mapping). */
  rawHeader: string;
}

function sniffDelimiter(line: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t']) {
    let count = 0;
    let quoted = false;
    for (const char of line) {
      if (char === '"') quoted = !quoted;
      else if (!quoted && char === d) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Parses up to `maxRows` records after the header from the start of a file. */
export function previewCsv(text: string, maxRows = 5): CsvPreview {
  const bom = text.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  if (bom) text = text.slice(1);
  const firstBreak = text.search(/\r|\n/);
  const headerLine = firstBreak === -1 ? text : text.slice(0, firstBreak);
  const delimiter = sniffDelimiter(headerLine);
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let headerLength = -1;
  while (i < text.length && records.length <= maxRows) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      i++;
      continue;
    }
    if (char === '"') quoted = true;
    else if (char === delimiter) {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      record.push(field);
      field = '';
      if (record.some((cell) => cell.trim() !== '')) records.push(record);
      if (headerLength === -1) headerLength = i;
      record = [];
      if (char === '\r' && text[i + 1] === '\n') i++;
    } else field += char;
    i++;
  }
  if (records.length <= maxRows && (field !== '' || record.length > 0)) {
    record.push(field);
    records.push(record);
  }
  if (headerLength === -1) headerLength = text.length;
  const [header = [], ...rows] = records;
  return {
    delimiter,
    header: header.map((h) => h.trim()),
    rows: rows.slice(0, maxRows),
    rawHeader: bom + text.slice(0, headerLength),
  };
}

/** The column named `email` (any case), or -1. */
export function emailColumn(header: string[]): number {
  return header.findIndex((name) => name.trim().toLowerCase() === 'email');
}

/** Quotes a header cell when it needs it. */
export function csvCell(value: string, delimiter: string): string {
  return value.includes(delimiter) || value.includes('"') || /[\r\n]/.test(value)
    ? `"${value.replace(/"/g, '""')}"`
    : value;
}
