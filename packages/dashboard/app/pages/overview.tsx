import type { Overview, OverviewDay, OverviewJobsDay } from '@roster/core/wire';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Counts, DataTable, ErrorMessage, formatNumber, PageHead } from '../ui.js';

const RANGES = [7, 30, 90] as const;

/** Each day's slot in a chart's viewBox (the SVG stretches to the width it is given). */
const STEP = 10;
const HEIGHT = 100;

/** A short day for labels: `Mar 1`, read as UTC (the days are UTC days). */
function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 1000) / 10}%`;
}

/** The top of a chart's scale: at least 1, so an empty chart draws flat lines. */
function scaleTop(values: number[]): number {
  return Math.max(1, ...values);
}

/**
 * A chart with its text equivalent: the SVG is hidden from screen readers, the caption says what
 * it shows in words, and a table (visually hidden unless `showTable`) has every number.
 */
function Chart(props: {
  title: string;
  summary: ComponentChildren;
  legend: { label: string; tone: string }[];
  first: string;
  last: string;
  top: number;
  children: ComponentChildren;
  table: ComponentChildren;
  width: number;
}) {
  return (
    <figure class="card chart">
      <h2>{props.title}</h2>
      <figcaption>{props.summary}</figcaption>
      <div class="chart-plot">
        <span class="chart-top" aria-hidden="true">
          {formatNumber(props.top)}
        </span>
        <svg
          viewBox={`0 0 ${props.width} ${HEIGHT}`}
          preserveAspectRatio="none"
          aria-hidden="true"
          focusable="false"
        >
          <line
            class="axis"
            x1="0"
            y1={HEIGHT}
            x2={props.width}
            y2={HEIGHT}
            vector-effect="non-scaling-stroke"
          />
          {props.children}
        </svg>
        <div class="chart-days" aria-hidden="true">
          <span>{props.first}</span>
          <span>{props.last}</span>
        </div>
      </div>
      <ul class="legend" aria-hidden="true">
        {props.legend.map((item) => (
          <li key={item.label}>
            <span class={`swatch ${item.tone}`} />
            {item.label}
          </li>
        ))}
      </ul>
      {props.table}
    </figure>
  );
}

function Line(props: { values: number[]; top: number; tone: string }) {
  const points = props.values
    .map((v, i) => `${i * STEP + STEP / 2},${HEIGHT - (v / props.top) * (HEIGHT - 4)}`)
    .join(' ');
  return <polyline class={`series ${props.tone}`} points={points} vector-effect="non-scaling-stroke" />;
}

/** Stacked bars: one per day, the series from the bottom up. */
function Bars(props: { stacks: number[][]; top: number; tones: string[] }) {
  return (
    <>
      {props.stacks.map((stack, i) => {
        let y = HEIGHT;
        return stack.map((value, s) => {
          const h = (value / props.top) * (HEIGHT - 4);
          y -= h;
          return value > 0 ? (
            <rect
              key={`${i}-${s}`}
              class={`bar ${props.tones[s]}`}
              x={i * STEP + 1.5}
              y={y}
              width={STEP - 3}
              height={h}
            />
          ) : null;
        });
      })}
    </>
  );
}

function ContactsChart({ overview }: { overview: Overview }) {
  const { daily } = overview;
  const top = scaleTop(daily.map((d) => d.total));
  const start = daily[0]!;
  const end = daily[daily.length - 1]!;
  const change = end.total - (start.total - start.added + start.removed);
  return (
    <Chart
      title="Contacts over time"
      summary={
        <>
          {formatNumber(end.total)} contacts on {shortDay(end.day)} ({change >= 0 ? '+' : ''}
          {formatNumber(change)} since {shortDay(start.day)}), {formatNumber(end.subscribed)} of them
          subscribed.
        </>
      }
      legend={[
        { label: 'Contacts', tone: 'tone-total' },
        { label: 'Subscribed', tone: 'tone-subscribed' },
      ]}
      first={shortDay(start.day)}
      last={shortDay(end.day)}
      top={top}
      width={daily.length * STEP}
      table={
        <DayTable
          caption="Contacts at the end of each day"
          columns={['Contacts', 'Subscribed']}
          rows={daily.map((d) => [d.day, d.total, d.subscribed])}
        />
      }
    >
      <Line values={daily.map((d) => d.total)} top={top} tone="tone-total" />
      <Line values={daily.map((d) => d.subscribed)} top={top} tone="tone-subscribed" />
    </Chart>
  );
}

function SubscribedShare({ overview }: { overview: Overview }) {
  const { total, subscribed } = overview.contacts;
  const unsubscribed = total - subscribed;
  const share = total === 0 ? 0 : (subscribed / total) * 100;
  return (
    <figure class="card chart">
      <h2>Subscribed share</h2>
      <figcaption>
        {percent(subscribed, total)} subscribed: {formatNumber(subscribed)} of {formatNumber(total)} contacts
        ({formatNumber(unsubscribed)} unsubscribed).
      </figcaption>
      <svg class="share" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <rect class="bar tone-unsubscribed" x="0" y="0" width="100" height="10" />
        <rect class="bar tone-subscribed" x="0" y="0" width={share} height="10" />
      </svg>
      <ul class="legend" aria-hidden="true">
        <li>
          <span class="swatch tone-subscribed" />
          Subscribed
        </li>
        <li>
          <span class="swatch tone-unsubscribed" />
          Unsubscribed
        </li>
      </ul>
    </figure>
  );
}

/** One series of a stacked bar chart: its legend label (also its table column), tone and value of a day. */
interface Series<D> {
  label: string;
  tone: string;
  value: (day: D) => number;
}

/**
 * Two series stacked per day (bars scaled to `top`), with their legend and, for screen readers, a
 * table of each day's values and one more column (`extra`).
 */
function StackedDaysChart<D extends { day: string }>(props: {
  title: string;
  summary: ComponentChildren;
  days: D[];
  top: number;
  series: Series<D>[];
  caption: string;
  extra: { label: string; value: (day: D) => number };
}) {
  const { days, series, extra } = props;
  return (
    <Chart
      title={props.title}
      summary={props.summary}
      legend={series.map(({ label, tone }) => ({ label, tone }))}
      first={shortDay(days[0]!.day)}
      last={shortDay(days[days.length - 1]!.day)}
      top={props.top}
      width={days.length * STEP}
      table={
        <DayTable
          caption={props.caption}
          columns={[...series.map((s) => s.label), extra.label]}
          rows={days.map((d) => [d.day, ...series.map((s) => s.value(d)), extra.value(d)])}
        />
      }
    >
      <Bars
        stacks={days.map((d) => series.map((s) => s.value(d)))}
        top={props.top}
        tones={series.map((s) => s.tone)}
      />
    </Chart>
  );
}

function GrowthChart({ overview }: { overview: Overview }) {
  const { daily } = overview;
  const sum = (pick: (d: OverviewDay) => number) => daily.reduce((n, d) => n + pick(d), 0);
  return (
    <StackedDaysChart
      title="Growth by source"
      summary={
        <>
          {formatNumber(sum((d) => d.added))} contacts added in {overview.days} days:{' '}
          {formatNumber(sum((d) => d.api))} through the API, {formatNumber(sum((d) => d.imported))} by
          imports; {formatNumber(sum((d) => d.removed))} deleted.
        </>
      }
      days={daily}
      top={scaleTop(daily.map((d) => d.added))}
      series={[
        { label: 'API', tone: 'tone-api', value: (d) => d.api },
        { label: 'Import', tone: 'tone-import', value: (d) => d.imported },
      ]}
      caption="Contacts added and deleted each day"
      extra={{ label: 'Deleted', value: (d) => d.removed }}
    />
  );
}

function JobsChart({ overview }: { overview: Overview }) {
  const { jobs } = overview;
  const sum = (pick: (d: OverviewJobsDay) => number) => jobs.reduce((n, d) => n + pick(d), 0);
  return (
    <StackedDaysChart
      title="Imports and jobs"
      summary={
        <>
          {formatNumber(sum((d) => d.imports))} imports and {formatNumber(sum((d) => d.bulk))} bulk jobs in{' '}
          {overview.days} days, {formatNumber(sum((d) => d.failed))} failed. <a href="#/jobs">See the jobs</a>
        </>
      }
      days={jobs}
      top={scaleTop(jobs.map((d) => d.imports + d.bulk))}
      series={[
        { label: 'Imports', tone: 'tone-import', value: (d) => d.imports },
        { label: 'Bulk jobs', tone: 'tone-bulk', value: (d) => d.bulk },
      ]}
      caption="Imports and bulk jobs queued each day"
      extra={{ label: 'Failed', value: (d) => d.failed }}
    />
  );
}

function WebhookHealth({ overview }: { overview: Overview }) {
  return (
    <section class="card chart wide-chart" aria-labelledby="webhook-health">
      <h2 id="webhook-health">Webhook delivery health</h2>
      {overview.webhooks.length === 0 ? (
        <p>
          No webhook endpoints. <a href="#/webhooks">Add one</a>
        </p>
      ) : (
        <DataTable
          caption={`Deliveries of the last ${overview.days} days per endpoint`}
          columns={[
            'Endpoint',
            'Delivered',
            'Failed',
            'Pending',
            { label: 'Share delivered', class: 'wide' },
          ]}
        >
          {overview.webhooks.map((w) => {
            const all = w.succeeded + w.failed + w.pending;
            return (
              <tr key={w.id}>
                <td class="break">
                  {w.url}
                  {w.enabled ? null : ' (disabled)'}
                </td>
                <td>{formatNumber(w.succeeded)}</td>
                <td>{formatNumber(w.failed)}</td>
                <td>{formatNumber(w.pending)}</td>
                <td class="wide">
                  <span class="health">
                    <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                      <rect class="bar tone-empty" x="0" y="0" width="100" height="10" />
                      {all > 0 ? (
                        <>
                          <rect
                            class="bar tone-subscribed"
                            x="0"
                            y="0"
                            width={(w.succeeded / all) * 100}
                            height="10"
                          />
                          <rect
                            class="bar tone-failed"
                            x={(w.succeeded / all) * 100}
                            y="0"
                            width={(w.failed / all) * 100}
                            height="10"
                          />
                        </>
                      ) : null}
                    </svg>
                    {all === 0 ? 'none sent' : percent(w.succeeded, all)}
                  </span>
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </section>
  );
}

/** A chart's numbers, one row per day, for screen readers (visually hidden). */
function DayTable(props: { caption: string; columns: string[]; rows: [string, ...number[]][] }) {
  return (
    <div class="visually-hidden">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map(([day, ...values]) => (
            <tr key={day}>
              <th scope="row">{day}</th>
              {values.map((v, i) => (
                <td key={i}>{v}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function OverviewPage() {
  const [days, setDays] = useState<number>(30);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setError(null);
    api<Overview>('GET', 'roster/overview', { query: { days } }).then(setOverview, setError);
  }, [days]);

  return (
    <main id="main" tabIndex={-1}>
      <PageHead title="Overview">
        <label class="inline">
          Period{' '}
          <select value={days} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
            {RANGES.map((n) => (
              <option key={n} value={n}>
                Last {n} days
              </option>
            ))}
          </select>
        </label>
      </PageHead>
      <ErrorMessage error={error} />
      {overview ? (
        <>
          <Counts
            items={[
              ['Contacts', formatNumber(overview.contacts.total)],
              ['Subscribed', formatNumber(overview.contacts.subscribed)],
              [
                `Added in ${overview.days} days`,
                formatNumber(overview.daily.reduce((n, d) => n + d.added, 0)),
              ],
            ]}
          />
          <div class="charts">
            <ContactsChart overview={overview} />
            <SubscribedShare overview={overview} />
            <GrowthChart overview={overview} />
            <JobsChart overview={overview} />
            <WebhookHealth overview={overview} />
          </div>
          <p class="hint">Days are UTC days; today is {overview.to}.</p>
        </>
      ) : error ? null : (
        <p class="loading">Loading…</p>
      )}
    </main>
  );
}
