import { CSV_DATA_TYPES, RESERVED_DATA_KEY_NAMES } from '@roster/core/wire';
import { useRef, useState } from 'preact/hooks';
import { api, type ImportView } from '../api.js';
import { type CsvPreview, csvCell, emailColumn, previewCsv } from '../csv-preview.js';
import {
  Counts,
  DataTable,
  ErrorMessage,
  formatNumber,
  JobDoneActions,
  jobEnded,
  RowErrorsTable,
  useJobPolling,
} from '../ui.js';
import { MoveFromProvider } from './import-migration.js';

export function ImportPage() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [emailAt, setEmailAt] = useState(-1);
  const [error, setError] = useState<unknown>(null);
  const [dragging, setDragging] = useState(false);
  /** The import, and when it was read (to time it). */
  const [job, setJob] = useState<(ImportView & { seenAt: number }) | null>(null);
  const [jobName, setJobName] = useState('');
  const [startedAt, setStartedAt] = useState(0);
  const [uploading, setUploading] = useState(false);
  /** Another tool's export format (`POST /roster/imports`' `preset`), or '' for roster's own CSV. */
  const [preset, setPreset] = useState<'' | 'mailchimp' | 'listmonk'>('');
  const input = useRef<HTMLInputElement>(null);

  async function choose(chosen: File | undefined) {
    setError(null);
    setJob(null);
    if (!chosen) return;
    if (
      !/\.(csv|txt|tsv)$/i.test(chosen.name) &&
      chosen.type &&
      !chosen.type.includes('csv') &&
      !chosen.type.startsWith('text/')
    ) {
      setError(new Error(`“${chosen.name}” is not a CSV file: choose a .csv file`));
      return;
    }
    const head = await chosen.slice(0, 64 * 1024).text();
    const parsed = previewCsv(head);
    if (parsed.header.length === 0) {
      setError(
        new Error(`“${chosen.name}” is empty: its first line must name the columns, one of them email`),
      );
      return;
    }
    setFile(chosen);
    setPreview(parsed);
    setEmailAt(emailColumn(parsed.header));
  }

  /** The file to send: as chosen, or with its header line rewritten so the chosen column is `email`. */
  function mapped(): Blob {
    if (!file || !preview || preset !== '' || emailAt === emailColumn(preview.header)) return file!;
    const header = mappedHeader(preview.header, emailAt);
    const line = header.map((h) => csvCell(h, preview.delimiter)).join(preview.delimiter);
    // The rest of the file, from the header's line break on, is sent as it is.
    return new Blob([line, file.slice(new TextEncoder().encode(preview.rawHeader).length)], {
      type: 'text/csv',
    });
  }

  async function upload() {
    if (!file) return;
    if (emailAt === -1 && preset === '') {
      setError(new Error('Choose which column holds the email addresses'));
      return;
    }
    setUploading(true);
    setError(null);
    try {
      const form = new FormData();
      form.append('file', mapped(), file.name);
      if (preset !== '') form.append('preset', preset);
      // roster's own import: it reads back the dashboard's "Export CSV" as the same contacts (names,
      // subscription, `data.<key>` columns), which Plunk's import (every column into data) does not.
      const queued = await api<ImportView>('POST', 'roster/imports', { form });
      setStartedAt(performance.now());
      setJobName(file.name);
      setJob({ ...queued, seenAt: performance.now() });
    } catch (e) {
      setError(e);
    } finally {
      setUploading(false);
    }
  }

  useJobPolling(
    job,
    async (running) => ({
      ...(await api<ImportView>('GET', `roster/imports/${running.id}`)),
      seenAt: performance.now(),
    }),
    setJob,
    setError,
    250,
  );

  const done = job && jobEnded(job);
  const roles = preview
    ? preset === ''
      ? columnRoles(mappedHeader(preview.header, emailAt))
      : preview.header.map(() => `read by the ${PRESET_NAMES[preset]} preset`)
    : [];
  // Rows read by the time of the last answer, over the time since the upload was answered; shown only
  // once the import has run long enough for the rate to mean something (not for a 4-row file).
  const seconds = job ? (job.seenAt - startedAt) / 1000 : 0;
  const rowsPerSecond =
    job && seconds >= MIN_SECONDS_FOR_RATE && job.rows.total > 0
      ? Math.round(job.rows.total / seconds)
      : null;

  return (
    <main id="main" tabIndex={-1}>
      <h1>Import contacts</h1>
      <p>
        A CSV file whose first line names the columns. One column holds the email; a <code>subscribed</code>{' '}
        column (true/false or yes/no) sets the subscription; <code>first_name</code> and{' '}
        <code>last_name</code> set the names; every other column is stored in the contact’s data under its
        lowercased name (a <code>data.Key</code> column under <code>Key</code>; <code>data.Key:number</code>,{' '}
        <code>:boolean</code> and <code>:json</code> columns keep those types). Existing contacts are updated
        (their data merged), new ones created. A file from “Export CSV” imports back as the same contacts.
      </p>
      <p>
        Moving in from another tool? Choose its export format: which column goes where is in the docs’ “Moving
        to roster” page (for Mailchimp, import each CSV of its export ZIP; its name tells subscribed,
        unsubscribed and cleaned members apart).
      </p>
      <label for="import-preset">File format</label>
      <select
        id="import-preset"
        value={preset}
        onChange={(e) => setPreset((e.target as HTMLSelectElement).value as typeof preset)}
      >
        <option value="">roster CSV (or any CSV)</option>
        <option value="mailchimp">Mailchimp audience export (one of its CSV files)</option>
        <option value="listmonk">listmonk subscriber export</option>
      </select>
      <label
        class={dragging ? 'drop dragging' : 'drop'}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void choose(e.dataTransfer?.files[0]);
        }}
      >
        <span>Drop a CSV file here, or choose one</span>
        <input
          ref={input}
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={(e) => void choose((e.target as HTMLInputElement).files?.[0])}
        />
      </label>
      <ErrorMessage error={error} />

      {preview && file && !job ? (
        <section aria-labelledby="preview-title" class="card">
          <h2 id="preview-title">
            {file.name} · {formatNumber(Math.ceil(file.size / 1024))} KB
          </h2>
          {preset === '' ? (
            <>
              <label for="email-column">Column with the email address</label>
              <select
                id="email-column"
                value={String(emailAt)}
                onChange={(e) => setEmailAt(Number((e.target as HTMLSelectElement).value))}
              >
                {emailAt === -1 ? <option value="-1">Choose a column…</option> : null}
                {preview.header.map((name, i) => (
                  <option key={i} value={String(i)}>
                    {name || `column ${i + 1}`}
                  </option>
                ))}
              </select>
            </>
          ) : null}
          <DataTable
            caption="First rows of the file and where each column goes"
            showCaption
            focusable="Preview of the file (scrolls sideways)"
            columns={preview.header.map((name, i) => ({
              label: (
                <>
                  {name || `column ${i + 1}`}
                  <span class="role">{roles[i]}</span>
                </>
              ),
            }))}
          >
            {preview.rows.map((row, r) => (
              <tr key={r}>
                {preview.header.map((_, i) => (
                  <td key={i}>{row[i] ?? ''}</td>
                ))}
              </tr>
            ))}
          </DataTable>
          <div class="actions">
            <button type="button" class="primary" disabled={uploading} onClick={upload}>
              {uploading ? 'Uploading…' : 'Import'}
            </button>
          </div>
        </section>
      ) : null}

      {job ? (
        <section aria-labelledby="job-title" class="card">
          <h2 id="job-title">
            {done ? (job.state === 'completed' ? 'Import finished' : 'Import failed') : 'Importing…'}
          </h2>
          <p class="file" data-testid="import-file">
            {jobName}
          </p>
          <label for="import-progress">Progress</label>
          <div class="progress-line">
            <progress id="import-progress" max={100} value={job.progress} aria-valuenow={job.progress}>
              {job.progress} %
            </progress>
            <span class="percent" data-testid="percent">
              {job.progress} %
            </span>
          </div>
          <Counts
            items={[
              ['Rows done', formatNumber(job.rows.total)],
              ['Created', formatNumber(job.rows.created)],
              ['Updated', formatNumber(job.rows.updated)],
              ['Failed', formatNumber(job.rows.failed)],
              ...(rowsPerSecond === null
                ? []
                : [['Rows per second', formatNumber(rowsPerSecond)] as [string, string]]),
            ]}
          />
          <p>
            <a href={`#/jobs/${job.id}`}>See this import on the Jobs page</a>
            {done ? '.' : ' (it keeps running if you leave this page).'}
          </p>
          <ErrorMessage error={job.failedReason} />
          {done && job.errors.length > 0 ? (
            <RowErrorsTable
              caption={
                <>
                  Rows that were not imported
                  {job.rows.failed > job.errors.length ? ` (the first ${job.errors.length})` : ''}
                </>
              }
              errors={job.errors}
            />
          ) : null}
          {done ? (
            <JobDoneActions
              again="Import another file"
              onAgain={() => {
                setJob(null);
                setFile(null);
                setPreview(null);
                if (input.current) input.current.value = '';
              }}
            />
          ) : null}
        </section>
      ) : null}
      <MoveFromProvider />
    </main>
  );
}

/** How the presets are named on the page. */
const PRESET_NAMES = { mailchimp: 'Mailchimp', listmonk: 'listmonk' } as const;

/** Below this many seconds of importing, a rows-per-second figure is noise and is not shown. */
const MIN_SECONDS_FOR_RATE = 2;

/** The header as it is sent: the chosen column renamed `email`, another `email` column kept as data. */
function mappedHeader(header: string[], emailAt: number): string[] {
  if (emailAt === -1 || emailAt === emailColumn(header)) return header;
  return header.map((name, i) => {
    if (i === emailAt) return 'email';
    if (name.trim().toLowerCase() === 'email') return `data.${name}`;
    return name;
  });
}

/** Header names (lowercased) that fill the contact's names. */
const FIRST_NAME = new Set(['first_name', 'firstname', 'first name']);
const LAST_NAME = new Set(['last_name', 'lastname', 'last name']);
/** Columns of roster's export that its import does not store. */
const NOT_STORED = new Set(['audience', 'created_at']);
/** The type suffixes of roster's typed data columns. */
const DATA_TYPES: ReadonlySet<string> = new Set(CSV_DATA_TYPES);
/** Data keys roster never stores. */
const RESERVED: ReadonlySet<string> = new Set(RESERVED_DATA_KEY_NAMES);

/**
 * Where each column of the header as sent goes, in the words of the key it is stored under: the same
 * rules as roster's import (core's `mapHeader` with name columns): names are trimmed, `email`,
 * `subscribed` and the name columns matched in any case, every other column stored in data under its
 * lowercased name (`data.<key>`: under `<key>`, case kept; `data.<key>:<type>` typed), a repeated key
 * only once.
 */
export function columnRoles(header: string[]): string[] {
  const seen = new Set<string>();
  const taken = new Set<string>();
  return header.map((raw) => {
    const name = raw.trim();
    const lower = name.toLowerCase();
    const prefixed = lower.startsWith('data.') && name.length > 'data.'.length;
    if (!prefixed) {
      let role: string | null = null;
      if (lower === 'email') role = 'email';
      else if (lower === 'subscribed') role = 'subscribed';
      else if (FIRST_NAME.has(lower)) role = 'first name';
      else if (LAST_NAME.has(lower)) role = 'last name';
      else if (NOT_STORED.has(lower)) return 'not imported';
      if (role) {
        if (taken.has(role)) return 'not imported';
        taken.add(role);
        return role;
      }
    }
    let key = prefixed ? name.slice('data.'.length) : lower;
    // A typed column of roster's export (`data.seats:number`): the key without its type.
    let type = '';
    const at = key.lastIndexOf(':');
    const suffix = key.slice(at + 1).toLowerCase();
    if (prefixed && at !== -1 && DATA_TYPES.has(suffix)) {
      key = key.slice(0, at);
      if (suffix !== 'string') type = ` (${suffix})`;
    }
    if (key === '' || RESERVED.has(key) || seen.has(key)) return 'not imported';
    seen.add(key);
    return `data: ${key}${type}`;
  });
}
