import { type JobSummary, MIGRATE_DEFAULT_URLS, type MIGRATE_SOURCES } from '@roster/core/wire';
import { useState } from 'preact/hooks';
import { api, type JobView } from '../api.js';
import {
  Counts,
  DataTable,
  ErrorMessage,
  formatNumber,
  JobDoneActions,
  jobEnded,
  SelectField,
  TextField,
  useJobPolling,
} from '../ui.js';

type Source = (typeof MIGRATE_SOURCES)[number];
type MigrateSummary = Extract<JobSummary, { kind: 'migrate' }>;

const SOURCE_NAMES: Record<Source, string> = { plunk: 'Plunk', unosend: 'Unosend', resend: 'Resend' };

/** How often a running migration is asked for its counts. */
const POLL_MS = 500;

/** "Move from Plunk" (or "Dry run of a move from Plunk"): a migration job's title. */
export function migrationTitle(summary: MigrateSummary): string {
  const name = SOURCE_NAMES[summary.source] ?? summary.source;
  return summary.dryRun ? `Dry run of a move from ${name}` : `Move from ${name}`;
}

/** A migration's counts in words (the Jobs page). */
export function migrationResult(summary: MigrateSummary): string {
  const read = summary.total === null ? '' : ` of ${formatNumber(summary.total)}`;
  return (
    `${formatNumber(summary.fetched)}${read} contacts read: ${formatNumber(summary.created)} created, ` +
    `${formatNumber(summary.updated)} updated, ${formatNumber(summary.unchanged)} unchanged, ` +
    `${formatNumber(summary.skipped)} skipped, ${formatNumber(summary.failed)} failed`
  );
}

/**
 * The import page's "Move from a provider" form: starts a migration job (`POST /roster/migrations`)
 * and shows its counts while it runs. The key is sent once and not kept by the page.
 */
export function MoveFromProvider() {
  const [source, setSource] = useState<Source>('plunk');
  const [url, setUrl] = useState<string>(MIGRATE_DEFAULT_URLS.plunk);
  const [key, setKey] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [job, setJob] = useState<JobView | null>(null);

  function chooseSource(next: Source) {
    // A base URL still at the old provider's default follows the choice; one typed in stays.
    if (url.trim() === '' || url === MIGRATE_DEFAULT_URLS[source]) setUrl(MIGRATE_DEFAULT_URLS[next]);
    setSource(next);
  }

  async function start(event: Event) {
    event.preventDefault();
    if (key.trim() === '') {
      setError(new Error(`Enter the ${SOURCE_NAMES[source]} API key`));
      return;
    }
    setStarting(true);
    setError(null);
    try {
      const started = await api<JobView>('POST', 'roster/migrations', {
        json: { from: source, key, dryRun, ...(url.trim() === '' ? {} : { url: url.trim() }) },
      });
      setKey('');
      setJob(started);
    } catch (e) {
      setError(e);
    } finally {
      setStarting(false);
    }
  }

  useJobPolling(
    job,
    (running) => api<JobView>('GET', `roster/jobs/${running.id}`),
    setJob,
    setError,
    POLL_MS,
  );

  const summary = job?.summary?.kind === 'migrate' ? job.summary : null;
  const done = job && jobEnded(job);

  return (
    <section aria-labelledby="move-title" class="card">
      <h2 id="move-title">Move from a provider</h2>
      <p>
        Reads every contact of a Plunk, Unosend or Resend account through its API with your key, and writes it
        here (data exactly, subscription, names, and what the provider has of audiences, segments, topics and
        properties). It runs in the background and continues after a restart; run it again later to bring in
        what changed. The key is stored encrypted while the move runs and deleted when it ends.
      </p>
      {job && summary ? (
        <div data-testid="migration">
          <h3 id="move-job-title">
            {migrationTitle(summary)}:{' '}
            {done ? (job.state === 'completed' ? 'finished' : 'failed') : 'running…'}
          </h3>
          <label for="move-progress">Progress</label>
          <div class="progress-line">
            <progress id="move-progress" max={100} value={job.progress}>
              {job.progress} %
            </progress>
            <span class="percent">{job.progress} %</span>
          </div>
          <Counts
            items={[
              [
                'Read',
                summary.total === null
                  ? formatNumber(summary.fetched)
                  : `${formatNumber(summary.fetched)} of ${formatNumber(summary.total)}`,
              ],
              [summary.dryRun ? 'Would be created' : 'Created', formatNumber(summary.created)],
              [summary.dryRun ? 'Would be updated' : 'Updated', formatNumber(summary.updated)],
              ['Unchanged', formatNumber(summary.unchanged)],
              ['Skipped (listed twice)', formatNumber(summary.skipped)],
              ['Failed', formatNumber(summary.failed)],
            ]}
          />
          {done && summary.dryRun && job.state === 'completed' ? <p>Dry run: nothing was written.</p> : null}
          <p>
            <a href={`#/jobs/${job.id}`}>See this move on the Jobs page</a>
            {done ? '.' : ' (it keeps running if you leave this page).'}
          </p>
          <ErrorMessage error={job.failedReason} />
          <ErrorMessage error={error} />
          {done && summary.errors.length > 0 ? (
            <DataTable
              caption={`Contacts that were not moved${summary.failed > summary.errors.length ? ` (the first ${summary.errors.length})` : ''}`}
              showCaption
              columns={['Email', 'Problem']}
            >
              {summary.errors.map((e, i) => (
                <tr key={i}>
                  <td>{e.email}</td>
                  <td>{e.error}</td>
                </tr>
              ))}
            </DataTable>
          ) : null}
          {done ? <JobDoneActions again="Start another move" onAgain={() => setJob(null)} /> : null}
        </div>
      ) : (
        <form onSubmit={start}>
          <SelectField
            id="move-source"
            label="Provider"
            value={source}
            labels={SOURCE_NAMES}
            onValue={chooseSource}
          />
          <TextField
            id="move-url"
            label="API base URL"
            type="url"
            value={url}
            onValue={setUrl}
            placeholder={MIGRATE_DEFAULT_URLS[source]}
            autoComplete="off"
          />
          <TextField
            id="move-key"
            label={`${SOURCE_NAMES[source]} API key`}
            type="password"
            value={key}
            onValue={setKey}
            autoComplete="off"
            spellcheck={false}
          />
          <label class="inline">
            <input
              id="move-dry-run"
              type="checkbox"
              checked={dryRun}
              onChange={(e) => setDryRun((e.target as HTMLInputElement).checked)}
            />{' '}
            Dry run: read everything and count what would change, write nothing
          </label>
          <ErrorMessage error={error} />
          <div class="actions">
            <button type="submit" class="primary" disabled={starting}>
              {starting ? 'Starting…' : dryRun ? 'Start dry run' : 'Start the move'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
