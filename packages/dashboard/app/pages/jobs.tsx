import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type ImportView, type JobView } from '../api.js';
import {
  Badge,
  Counts,
  DataTable,
  EmptyState,
  ErrorMessage,
  formatDate,
  formatNumber,
  PageHead,
  RowErrorsTable,
  ShowOlder,
  useCursorPage,
} from '../ui.js';
import { migrationResult, migrationTitle } from './import-migration.js';

const STATE_LABELS: Record<JobView['state'], string> = {
  waiting: 'Waiting',
  active: 'Running',
  completed: 'Finished',
  failed: 'Failed',
};

/** How often a page with unfinished jobs asks again. */
const POLL_MS = 1000;

function isRunning(job: JobView): boolean {
  return job.state === 'waiting' || job.state === 'active';
}

/** "Import of people.csv", "Bulk unsubscribe", or the type itself. */
export function jobTitle(job: JobView): string {
  if (job.summary?.kind === 'import')
    return job.summary.file ? `Import of ${job.summary.file}` : 'Import of a CSV file';
  if (job.summary?.kind === 'bulk') return `Bulk ${job.summary.operation}`;
  if (job.summary?.kind === 'migrate') return migrationTitle(job.summary);
  return job.type;
}

/** The counts in words: what the job did so far (or in the end). */
export function jobResult(job: JobView): string {
  const s = job.summary;
  if (!s) return '';
  if (s.kind === 'import') {
    const { total, created, updated, failed } = s.rows;
    return `${formatNumber(total)} rows: ${formatNumber(created)} created, ${formatNumber(updated)} updated, ${formatNumber(failed)} failed`;
  }
  if (s.kind === 'migrate') return migrationResult(s);
  return `${formatNumber(s.succeeded)} of ${formatNumber(s.requested)} changed, ${formatNumber(s.unchanged)} unchanged, ${formatNumber(s.failed)} failed`;
}

function StateBadge({ state }: { state: JobView['state'] }) {
  return <Badge tone={`state-${state}`}>{STATE_LABELS[state]}</Badge>;
}

function Progress({ job, id }: { job: JobView; id: string }) {
  return (
    <div class="progress-line">
      <progress id={id} max={100} value={job.progress} aria-label={`Progress of ${jobTitle(job)}`}>
        {job.progress} %
      </progress>
      <span class="percent">{job.progress} %</span>
    </div>
  );
}

/** The project's recent imports and bulk jobs, newest first; asks again every second while any runs. */
export function JobsPage({ id }: { id?: string }) {
  if (id) return <JobDetail id={id} />;
  return <JobList />;
}

function JobList() {
  const [tick, setTick] = useState(0);
  /** How many jobs are shown (more after "Show older jobs"): the refresh asks for as many. */
  const [shown, setShown] = useState(20);
  const {
    items: jobs,
    hasMore,
    error,
    older: olderPage,
  } = useCursorPage<JobView>(
    'roster/jobs',
    (cursor) => (cursor ? { limit: 20, cursor } : { limit: Math.min(shown, 100) }),
    [tick, shown],
  );

  const running = jobs?.some(isRunning) ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => setTick((n) => n + 1), POLL_MS);
    return () => clearTimeout(timer);
  }, [running, jobs]);

  async function older() {
    const count = await olderPage();
    if (count !== null) setShown(count);
  }

  return (
    <main id="main" tabIndex={-1}>
      <PageHead title="Jobs" count={running ? 'Updating while jobs run…' : ''} />
      <p>
        Imports and bulk actions run in the background as jobs. Finished jobs are kept for a week (the
        server’s <code>jobs.retentionMs</code>).
      </p>
      <ErrorMessage error={error} />
      {jobs && jobs.length === 0 ? (
        <EmptyState title="No jobs yet">
          <p>
            <a href="#/import">Import a CSV file</a>, or select contacts and run a bulk action: each one shows
            here with its progress and result.
          </p>
        </EmptyState>
      ) : null}
      {jobs && jobs.length > 0 ? (
        <DataTable
          caption="Recent jobs, newest first"
          columns={[
            'Job',
            'State',
            { label: 'Progress', class: 'progress-col' },
            'Result',
            { label: 'Started', class: 'wide' },
            { label: 'Finished', class: 'wide' },
          ]}
        >
          {jobs.map((job) => (
            <tr key={job.id} data-job={job.id}>
              <td>
                <a href={`#/jobs/${job.id}`}>{jobTitle(job)}</a>
              </td>
              <td>
                <StateBadge state={job.state} />
              </td>
              <td class="progress-col">
                <Progress job={job} id={`progress-${job.id}`} />
              </td>
              <td class="result">
                {jobResult(job)}
                {job.failedReason ? <span class="failed-reason">{job.failedReason}</span> : null}
              </td>
              <td class="wide">{formatDate(job.createdAt)}</td>
              <td class="wide">{job.finishedAt ? formatDate(job.finishedAt) : '—'}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      <ShowOlder hasMore={hasMore} onClick={older}>
        Show older jobs
      </ShowOlder>
    </main>
  );
}

/** One job: its state, progress, counts and times; an import's failed rows once it is done. */
function JobDetail({ id }: { id: string }) {
  const [job, setJob] = useState<JobView | null>(null);
  const [rowErrors, setRowErrors] = useState<ImportView['errors'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const next = await api<JobView>('GET', `roster/jobs/${id}`);
        if (!live) return;
        setJob(next);
        if (next.summary?.kind === 'import' && !isRunning(next)) {
          const view = await api<ImportView>('GET', `roster/imports/${id}`);
          if (live) setRowErrors(view.errors);
        }
        if (isRunning(next)) timer = setTimeout(load, POLL_MS);
      } catch (e) {
        if (live)
          setError(
            e instanceof ApiError && e.status === 404
              ? new Error(
                  'This job does not exist: it may have been deleted after a week, or belongs to another project.',
                )
              : e,
          );
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);

  return (
    <main id="main" tabIndex={-1}>
      <a class="crumb" href="#/jobs">
        ← Jobs
      </a>
      <ErrorMessage error={error} />
      {job ? (
        <section class="card" aria-labelledby="job-title">
          <h1 id="job-title" ref={heading}>
            {jobTitle(job)}
          </h1>
          <p>
            <StateBadge state={job.state} />
          </p>
          <label for="job-progress">Progress</label>
          <Progress job={job} id="job-progress" />
          <p class="result" data-testid="job-result">
            {jobResult(job)}
          </p>
          <ErrorMessage error={job.failedReason} />
          <Counts
            small
            items={[
              ['Started', formatDate(job.createdAt)],
              ['Finished', job.finishedAt ? formatDate(job.finishedAt) : 'Not yet'],
              ['Attempts', job.attempts],
            ]}
          />
          {rowErrors && rowErrors.length > 0 ? (
            <RowErrorsTable caption="Rows that were not imported" errors={rowErrors} />
          ) : null}
        </section>
      ) : null}
    </main>
  );
}
