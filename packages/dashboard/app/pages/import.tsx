import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ImportView } from '../api.js';
import { type CsvPreview, csvCell, emailColumn, previewCsv } from '../csv-preview.js';
import { Counts, DataTable, ErrorMessage, formatNumber, RowErrorsTable } from '../ui.js';

export function ImportPage() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [emailAt, setEmailAt] = useState(-1);
  const [error, setError] = useState<unknown>(null);
  const [dragging, setDragging] = useState(false);
  const [job, setJob] = useState<ImportView | null>(null);
  const [startedAt, setStartedAt] = useState(0);
  const [uploading, setUploading] = useState(false);
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
    if (!file || !preview || emailAt === emailColumn(preview.header)) return file!;
    const header = preview.header.map((name, i) => {
      if (i === emailAt) return 'email';
      if (name.trim().toLowerCase() === 'email') return `data.${name}`;
      return name;
    });
    const line = header.map((h) => csvCell(h, preview.delimiter)).join(preview.delimiter);
    // The rest of the file, from the header's line break on, is sent as it is.
    return new Blob([line, file.slice(new TextEncoder().encode(preview.rawHeader).length)], {
      type: 'text/csv',
    });
  }

  async function upload() {
    if (!file) return;
    if (emailAt === -1) {
      setError(new Error('Choose which column holds the email addresses'));
      return;
    }
    setUploading(true);
    setError(null);
    try {
      const form = new FormData();
      form.append('file', mapped(), file.name);
      const { jobId } = await api<{ jobId: string }>('POST', 'contacts/import', { form });
      setStartedAt(performance.now());
      setJob(await api<ImportView>('GET', `roster/imports/${jobId}`));
    } catch (e) {
      setError(e);
    } finally {
      setUploading(false);
    }
  }

  // Poll the job until it is done.
  useEffect(() => {
    if (!job || job.state === 'completed' || job.state === 'failed') return;
    const timer = setTimeout(() => {
      api<ImportView>('GET', `roster/imports/${job.id}`).then(setJob, setError);
    }, 250);
    return () => clearTimeout(timer);
  }, [job]);

  const done = job && (job.state === 'completed' || job.state === 'failed');
  const seconds = job ? Math.max((performance.now() - startedAt) / 1000, 0.001) : 0;
  const rowsPerSecond = job && job.rows.total > 0 ? Math.round(job.rows.total / seconds) : 0;

  return (
    <main id="main" tabIndex={-1}>
      <h1>Import contacts</h1>
      <p>
        A CSV file whose first line names the columns. One column holds the email; a <code>subscribed</code>{' '}
        column (true/false) sets the subscription; every other column is stored in the contact’s data under
        its name. Existing contacts are updated (their data merged), new ones created.
      </p>
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
          <DataTable
            caption="First rows of the file and where each column goes"
            showCaption
            columns={preview.header.map((name, i) => ({
              label: (
                <>
                  {name || `column ${i + 1}`}
                  <span class="role">{roleOf(name, i, emailAt)}</span>
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
              ['Rows per second', formatNumber(rowsPerSecond)],
            ]}
          />
          <p>
            <a href={`#/jobs/${job.id}`}>See this import on the Jobs page</a> (it keeps running if you leave
            this page).
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
            <div class="actions">
              <a class="button" href="#/contacts">
                See contacts
              </a>
              <button
                type="button"
                onClick={() => {
                  setJob(null);
                  setFile(null);
                  setPreview(null);
                  if (input.current) input.current.value = '';
                }}
              >
                Import another file
              </button>
            </div>
          ) : null}
        </section>
      ) : null}
    </main>
  );
}

function roleOf(name: string, i: number, emailAt: number): string {
  if (i === emailAt) return 'email';
  const lower = name.trim().toLowerCase();
  if (lower === 'email') return 'data: email';
  if (lower === 'subscribed') return 'subscribed';
  return `data: ${name.trim().replace(/^data\./, '')}`;
}
