import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRoster, type Roster } from '@roster/core';
import type { BenchContext } from '../context.js';
import { freshDatabase, writeCsv } from '../fixtures.js';
import { percentile, result } from '../report.js';

/**
 * A loopback receiver answering 200 at once. `onEvent` is called with each body's parsed JSON when
 * it arrives (signatures are not checked here: the tests do that; this measures roster's side).
 */
export async function receiver(onEvent: (payload: { type: string; data: Record<string, unknown> }) => void) {
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      res.writeHead(200).end('ok');
      onEvent(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    get count() {
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startedRoster(path: string): Promise<{ roster: Roster; projectId: string }> {
  const { projectId } = await freshDatabase(path);
  const roster = await createRoster({
    database: path,
    jobs: { autoStart: true, onError: () => {} },
    webhooks: { allowPrivateTargets: true },
  });
  return { roster, projectId };
}

/**
 * Commit → receiver: `samples` contacts created one at a time (each awaited: the write has
 * committed when it resolves), each timed until its `contact.created` webhook reaches a loopback
 * receiver (started runner, default settings, SQLite file).
 */
async function deliveryLatency(path: string, samples: number): Promise<number[]> {
  const { roster, projectId } = await startedRoster(path);
  const waiting = new Map<string, () => void>();
  const hook = await receiver((payload) => {
    const email = (payload.data.contact as { email?: string } | null)?.email;
    if (payload.type === 'contact.created' && email) waiting.get(email)?.();
  });
  try {
    await roster.webhooks.create(projectId, { url: hook.url, eventTypes: ['contact.created'] });
    const out: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const email = `latency${i}@example.com`;
      const arrived = new Promise<void>((resolve) => waiting.set(email, resolve));
      await roster.contacts.create(projectId, { email });
      const committed = performance.now();
      await arrived;
      // The first few warm up the connection, the statements and the JIT.
      if (i >= 5) out.push(performance.now() - committed);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return out;
  } finally {
    await roster.close();
    await hook.close();
  }
}

/**
 * One CSV import through `roster.imports.enqueue` with the started runner, timed from the enqueue
 * until the job is completed; with `listen`, one endpoint subscribed to every event (its
 * deliveries are written and sent meanwhile). Returns rows/s and, with `listen`, how many
 * deliveries the receiver had got when the import completed.
 */
async function importRun(path: string, csv: Buffer, rows: number, listen: boolean) {
  const { roster, projectId } = await startedRoster(path);
  const hook = await receiver(() => {});
  try {
    if (listen) await roster.webhooks.create(projectId, { url: hook.url, eventTypes: ['*'] });
    const t0 = performance.now();
    const job = await roster.imports.enqueue(projectId, { file: csv, name: 'bench.csv' });
    for (;;) {
      const status = await roster.jobs.get(projectId, job.id);
      if (status.status === 'completed') break;
      if (status.status === 'failed') throw new Error(`import failed: ${status.lastError}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { rate: rows / seconds, deliveredByThen: hook.count };
  } finally {
    await roster.close();
    await hook.close();
  }
}

export async function webhooksSuite(ctx: BenchContext): Promise<void> {
  const path = join(ctx.dir, 'webhooks.db');
  const samples = ctx.quick ? 100 : 300;
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const latencies = await deliveryLatency(path, samples);
    p50s.push(percentile(latencies, 50));
    p99s.push(percentile(latencies, 99));
    ctx.log(
      `  run ${run + 1}: commit → receiver 200 p50 ${p50s.at(-1)!.toFixed(2)} ms, p99 ${p99s.at(-1)!.toFixed(2)} ms`,
    );
  }
  ctx.add(
    result({
      name: `webhook delivery, commit → loopback receiver (contact.created, ${samples} one at a time) p50`,
      unit: 'ms',
      better: 'lower',
      values: p50s,
      maxValue: 50,
    }),
  );
  ctx.add(
    result({
      name: 'webhook delivery, commit → loopback receiver p99',
      unit: 'ms',
      better: 'lower',
      values: p99s,
    }),
  );

  ctx.mark();
  const csvPath = join(ctx.dir, 'webhooks.csv');
  const rows = await writeCsv(csvPath, ctx.quick ? 1_000_000 : 5_000_000);
  const csv = readFileSync(csvPath);
  const without: number[] = [];
  const withHook: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    without.push((await importRun(path, csv, rows, false)).rate);
    const listened = await importRun(path, csv, rows, true);
    withHook.push(listened.rate);
    ctx.log(
      `  run ${run + 1}: import ${without.at(-1)!.toFixed(0)} rows/s without endpoints, ${withHook.at(-1)!.toFixed(0)} with one endpoint on every event (${listened.deliveredByThen} deliveries received by the end of the import)`,
    );
  }
  ctx.add(
    result({
      name: `import (${rows} rows) with one webhook endpoint subscribed to every event`,
      unit: 'rows/s',
      better: 'higher',
      values: withHook,
      baseline: { name: 'the same import with no endpoint', values: without },
      note: 'the import job itself; deliveries go on after it (they share the job runner)',
    }),
  );
}
