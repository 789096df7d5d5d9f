import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoster, type Roster } from '@roster/core';
import { createServerApp } from '@roster/server';
import {
  createPgTestSchema,
  describeEachDialect,
  listenOnLoopback,
  type PgTestSchema,
} from '@roster/test-harness';
import { startWebhookReceiver, type WebhookReceiver } from '@roster/testing';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, type ServeProcess, startServe } from '../packages/server/test/cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const KEY = 'sk_ops_test_key_0123456789';
const RESEND_KEY = 're_ops_test_key_0123456789';

/**
 * Scrapes `url` and parses the exposition with a Prometheus text parser. parse-prometheus-text-format
 * folds the labelled series of a histogram into one (it reads unlabelled histograms only), so each
 * histogram is parsed a second time as the untyped samples it is on the wire (`<name>_bucket`,
 * `<name>_count`, `<name>_sum`, each with its labels).
 */
async function scrape(url: string): Promise<PrometheusFamily[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const untypedHistograms = text
    .split('\n')
    .map((line) =>
      line.startsWith('# TYPE ') && line.endsWith(' histogram')
        ? line.replace(/ histogram$/, ' untyped')
        : line,
    )
    .join('\n');
  const histogramSamples = parsePrometheusTextFormat(untypedHistograms).filter((f) =>
    /_(bucket|count|sum)$/.test(f.name),
  );
  return [...parsePrometheusTextFormat(text), ...histogramSamples];
}

function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`metric ${name} is not exposed`);
  return found;
}

/** The sample of `name` whose labels include `labels`. */
function sample(families: PrometheusFamily[], name: string, labels: Record<string, string>) {
  return family(families, name).metrics.find((m) =>
    Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
  );
}

/** A counter's or gauge's value (0 when the series does not exist yet). */
function value(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  return Number(sample(families, name, labels)?.value ?? 0);
}

/**
 * A histogram's observation count: its `_count` sample (0 when the series does not exist yet). Read
 * as untyped samples, each run of a histogram's lines is a family of its own: look through all.
 */
function observations(families: PrometheusFamily[], name: string, labels: Record<string, string>): number {
  const found = families
    .filter((f) => f.name === `${name}_count`)
    .flatMap((f) => f.metrics)
    .find((m) => Object.entries(labels).every(([key, value]) => m.labels?.[key] === value));
  return Number(found?.value ?? 0);
}

/** The JSON log lines `roster serve` wrote so far (its other lines are plain text). */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describeEachDialect('roster serve in production: readiness, request ids, logs, metrics', (dialect) => {
  let dir: string;
  let schema: PgTestSchema | undefined;
  let serve: ServeProcess;
  let metricsUrl: string;
  let receiver: WebhookReceiver;
  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-ops-'));
    schema = dialect === 'postgres' ? await createPgTestSchema() : undefined;
    const db = schema?.url ?? join(dir, 'roster.db');
    // The Resend dialect takes only `re_` keys: registered beside the secret key.
    serve = await startServe(
      [
        '--db',
        db,
        '--api-key',
        KEY,
        '--api-key',
        RESEND_KEY,
        '--metrics-port',
        '0',
        '--log-format',
        'json',
        '--poll-interval',
        '100',
        '--allow-private-webhook-targets',
      ],
      {},
    );
    metricsUrl = /roster metrics on (http:\/\/\S+)/.exec(serve.output())![1]!;
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.exited.catch(() => {});
    await receiver?.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /readyz 200 naming every check, /health stays the cheap liveness answer, neither at info level', async () => {
    const ready = await fetch(`${serve.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true }, jobRunner: { ok: true } },
    });
    const health = await fetch(`${serve.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const probes = logLines(serve.output()).filter(
      (line) => line.route === '/readyz' || line.route === '/health',
    );
    expect(probes).toEqual([]);
  });

  it('keeps a sane incoming X-Request-Id, replaces one that is not, and names it in the error bodies that have room', async () => {
    const kept = await fetch(`${serve.url}/contacts/00000000-0000-4000-8000-000000000000`, {
      headers: { ...auth, 'x-request-id': 'req-42.abc' },
    });
    expect(kept.status).toBe(404);
    expect(kept.headers.get('x-request-id')).toBe('req-42.abc');
    expect(((await kept.json()) as { error: { requestId: string } }).error.requestId).toBe('req-42.abc');

    for (const bad of ['a'.repeat(129), 'has space', 'quote"d', '<script>']) {
      const res = await fetch(`${serve.url}/health`, { headers: { 'x-request-id': bad } });
      const id = res.headers.get('x-request-id');
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }

    const unosend = await fetch(`${serve.url}/v1/contacts/nope`, {
      headers: { authorization: 'Bearer nope' },
    });
    const unosendId = unosend.headers.get('x-request-id');
    expect(await unosend.json()).toEqual({
      error: { message: 'Invalid API key', code: 401, type: 'invalid_api_key', request_id: unosendId },
    });

    const roster = await fetch(`${serve.url}/roster/keys`, { headers: { authorization: 'Bearer nope' } });
    expect(((await roster.json()) as { error: { requestId: string } }).error.requestId).toBe(
      roster.headers.get('x-request-id'),
    );

    // Resend's error body is exactly {statusCode, message, name}: the id is in the header only.
    const resend = await fetch(`${serve.url}/resend/contacts/nope`, {
      headers: { authorization: `Bearer ${RESEND_KEY}` },
    });
    expect(resend.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys((await resend.json()) as object).sort()).toEqual(['message', 'name', 'statusCode']);

    const unknown = await fetch(`${serve.url}/nowhere`, { headers: { 'x-request-id': 'lost-1' } });
    expect(((await unknown.json()) as { error: { requestId: string } }).error.requestId).toBe('lost-1');
  });

  it('serves metrics on their own listener only, and its counters move with traffic', async () => {
    const onApi = await fetch(`${serve.url}/metrics`);
    expect(onApi.status).toBe(404);
    expect(await onApi.text()).not.toContain('roster_http_requests_total');

    const created = await fetch(`${serve.url}/contacts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ email: 'metrics@example.com' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const labels = { dialect: 'plunk', route: '/contacts/:id', method: 'GET', status: '200' };
    const before = await scrape(metricsUrl);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${serve.url}/contacts/${id}`, { headers: auth });
      expect(res.status).toBe(200);
    }
    const after = await scrape(metricsUrl);
    expect(
      value(after, 'roster_http_requests_total', labels) -
        value(before, 'roster_http_requests_total', labels),
    ).toBe(3);
    expect(
      observations(after, 'roster_http_request_duration_seconds', labels) -
        observations(before, 'roster_http_request_duration_seconds', labels),
    ).toBe(3);
    expect(family(after, 'roster_http_request_duration_seconds').type).toBe('HISTOGRAM');
    // The raw URL (with the contact id) never becomes a label.
    expect(JSON.stringify(after)).not.toContain(id);
    expect(
      value(after, 'roster_http_requests_total', { dialect: 'none', route: 'unmatched', status: '404' }),
    ).toBeGreaterThan(0);

    // Contacts per project: the default project's series, and `other` for the rest.
    const project = (await (await fetch(`${serve.url}/roster/project`, { headers: auth })).json()) as {
      id: string;
    };
    expect(value(after, 'roster_contacts', { project: project.id })).toBe(1);
    expect(sample(after, 'roster_contacts', { project: 'other' })?.value).toBe('0');
    expect(value(after, 'roster_outbox_lag_rows')).toBeGreaterThanOrEqual(0);
    expect(family(after, 'roster_outbox_lag_seconds').type).toBe('GAUGE');
    // Process metrics.
    expect(family(after, 'process_cpu_user_seconds_total').type).toBe('COUNTER');
    expect(family(after, 'nodejs_eventloop_lag_seconds').type).toBe('GAUGE');
  });

  it('counts webhook deliveries and job runs, and shows the jobs by type and state at scrape time', async () => {
    const endpoint = await fetch(`${serve.url}/roster/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiver.url, eventTypes: ['contact.created'] }),
    });
    expect(endpoint.status).toBe(201);
    receiver.setSecrets([((await endpoint.json()) as { secret: string }).secret]);
    const before = await scrape(metricsUrl);
    const res = await fetch(`${serve.url}/contacts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ email: 'hooked@example.com' }),
    });
    expect(res.status).toBe(201);
    await receiver.waitFor(1, 60_000);
    // The attempt's outcome is recorded after the receiver answered: scrape until it shows.
    let after = await scrape(metricsUrl);
    for (
      let i = 0;
      i < 100 && value(after, 'roster_webhook_deliveries_total', { outcome: 'succeeded' }) < 1;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await scrape(metricsUrl);
    }
    expect(value(after, 'roster_webhook_deliveries_total', { outcome: 'succeeded' })).toBe(
      value(before, 'roster_webhook_deliveries_total', { outcome: 'succeeded' }) + 1,
    );
    expect(observations(after, 'roster_webhook_delivery_duration_seconds', { outcome: 'succeeded' })).toBe(1);
    for (
      let i = 0;
      i < 100 && value(after, 'roster_jobs', { type: 'webhooks.deliver', state: 'completed' }) < 1;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await scrape(metricsUrl);
    }
    expect(value(after, 'roster_jobs', { type: 'webhooks.deliver', state: 'completed' })).toBe(1);
    expect(
      observations(after, 'roster_job_run_duration_seconds', {
        type: 'webhooks.deliver',
        outcome: 'completed',
      }),
    ).toBe(1);
    const lines = logLines(serve.output());
    const delivered = lines.find((line) => line.msg === 'webhook delivered');
    expect(delivered).toMatchObject({ level: 30, webhook: { outcome: 'succeeded', statusCode: 200 } });
    expect(lines.some((line) => line.msg === 'job completed')).toBe(true);
    expect(lines.filter((line) => line.msg === 'migration applied').length).toBeGreaterThan(5);
  });

  it('logs one JSON line per request with its id, route pattern, status, duration and project, never a key or a body', async () => {
    const res = await fetch(`${serve.url}/contacts`, {
      method: 'POST',
      headers: { ...auth, 'x-request-id': 'log-line-1' },
      body: JSON.stringify({ email: 'logged@example.com', data: { secretPlan: 'gold' } }),
    });
    expect(res.status).toBe(201);
    const project = (await (await fetch(`${serve.url}/roster/project`, { headers: auth })).json()) as {
      id: string;
    };
    // The line is written when the answer has been sent: look until it is there.
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = logLines(serve.output()).find((l) => l.requestId === 'log-line-1');
      if (!line) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: serve.child.pid,
      requestId: 'log-line-1',
      method: 'POST',
      route: '/contacts',
      status: 201,
      durationMs: expect.any(Number),
      dialect: 'plunk',
      projectId: project.id,
      msg: 'request',
    });
    const output = serve.output();
    expect(output).not.toContain(KEY);
    expect(output).not.toContain(RESEND_KEY);
    expect(output).not.toContain('logged@example.com');
    expect(output).not.toContain('secretPlan');
  });
});

describe('roster serve flags', () => {
  it('refuses an unknown --log-format or --log-level, and --metrics-host without --metrics-port', async () => {
    const format = await runCli(['serve', '--db', ':memory:', '--log-format', 'xml']);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('--log-format must be one of json, pretty (got "xml")');
    const level = await runCli(['serve', '--db', ':memory:', '--log-level', 'loud']);
    expect(level.code).toBe(1);
    expect(level.stderr).toContain(
      '--log-level must be one of fatal, error, warn, info, debug, trace, silent',
    );
    const host = await runCli(['serve', '--db', ':memory:', '--metrics-host', '0.0.0.0']);
    expect(host.code).toBe(1);
    expect(host.stderr).toContain('--metrics-host needs --metrics-port');
  });
});

describe('GET /readyz of the server app', () => {
  let roster: Roster;
  afterEach(async () => {
    await roster?.close();
  });

  it('answers 503 naming the job runner when the app is asked to require one and it is not started, 200 once it is', async () => {
    roster = await createRoster({ jobs: { onError: () => {} } });
    const app = createServerApp(roster, { dashboard: false, readiness: { jobRunner: true } });
    const { url, close } = await listenOnLoopback(app);
    try {
      const down = await fetch(`${url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        status: 'not_ready',
        checks: {
          database: { ok: true },
          migrations: { ok: true },
          jobRunner: { ok: false, message: 'the job runner is not started' },
        },
        failed: ['jobRunner'],
      });
      await roster.jobs.start();
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await close();
    }
  });

  it('answers 503 naming the database when it cannot answer', async () => {
    roster = await createRoster();
    const app = createServerApp(roster, { dashboard: false });
    const { url, close } = await listenOnLoopback(app);
    try {
      await roster.db.destroy();
      const down = await fetch(`${url}/readyz`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as { status: string; failed: string[] };
      expect(body.status).toBe('not_ready');
      expect(body.failed).toEqual(['database', 'migrations']);
    } finally {
      await close();
    }
  });
});
