import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contactIdText, createRoster, type Roster } from '@roster/core';
import { startServer } from '@roster/server';
import type { BenchContext } from '../context.js';
import { freshDatabase, openRaw, seededRoster } from '../fixtures.js';
import { result } from '../report.js';
import { interleave, sample } from './million.js';

/** Rows of the import compared (the goal is stated for 100 000). */
const IMPORT_ROWS = 100_000;

async function timedFetch(url: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** A contact id `offset` contacts from the newest (a cursor both dialects take). */
function idAt(path: string, projectId: string, offset: number): string {
  const raw = openRaw(path);
  try {
    const row = raw
      .prepare(
        'select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) order by seq desc limit 1 offset ?',
      )
      .get(projectId, offset) as { id: unknown };
    return contactIdText(row.id);
  } finally {
    raw.close();
  }
}

/**
 * The Resend dialect against Plunk's, same server, same run, interleaved round by round:
 * `GET /contacts/{id}` and a list page (limit 100, from the same cursor), p50 of each; then a
 * 100 000-row CSV imported through `POST /contacts/import` (Plunk) and `POST /resend/contacts/imports`
 * (upsert, and Resend's default skip), each into a fresh database, upload to completed.
 */
export async function resendSuite(ctx: BenchContext): Promise<void> {
  await readMetrics(ctx);
  await importMetrics(ctx);
}

async function readMetrics(ctx: BenchContext): Promise<void> {
  const n = Math.min(ctx.sizes.contacts, 100_000);
  const path = join(ctx.dir, 'resend.db');
  const { roster, projectId } = await seededRoster(path, n, (line) => ctx.log(line));
  try {
    const id = idAt(path, projectId, Math.floor(n / 2));
    const cursor = idAt(path, projectId, 999);
    const plunkAuth = { Authorization: `Bearer ${(await roster.keys.create(projectId)).key}` };
    const resendKey = (await roster.keys.create(projectId, { prefix: 're_' })).key;
    const resendAuth = { Authorization: `Bearer ${resendKey}` };
    const server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: () => {} });
    ctx.mark();
    try {
      const { url } = server;
      const count = ctx.sizes.requests;
      const runs = await interleave(ctx.runs, {
        plunkGet: () => sample(() => timedFetch(`${url}/contacts/${id}`, plunkAuth), count, 5000),
        resendGet: () => sample(() => timedFetch(`${url}/resend/contacts/${id}`, resendAuth), count, 5000),
        plunkList: () =>
          sample(() => timedFetch(`${url}/contacts?limit=100&cursor=${cursor}`, plunkAuth), count, 5000),
        resendList: () =>
          sample(
            () => timedFetch(`${url}/resend/contacts?limit=100&after=${cursor}`, resendAuth),
            count,
            5000,
          ),
      });
      ctx.add(
        result({
          name: `Resend GET /contacts/{id} p50 (${n} contacts)`,
          unit: 'ms',
          better: 'lower',
          values: runs.resendGet.p50,
          baseline: { name: 'Plunk GET /contacts/:id p50', values: runs.plunkGet.p50 },
          minRatio: 0.909,
          note: 'within 1.1 x of Plunk means ratio >= 0.909',
        }),
      );
      ctx.add(
        result({
          name: 'Resend GET /contacts list page (limit 100, after) p50',
          unit: 'ms',
          better: 'lower',
          values: runs.resendList.p50,
          baseline: { name: 'Plunk GET /contacts (limit 100, cursor) p50', values: runs.plunkList.p50 },
          minRatio: 0.909,
          note: 'within 1.1 x of Plunk means ratio >= 0.909',
        }),
      );
    } finally {
      await server.close();
    }
  } finally {
    await roster.close();
  }
}

/** The CSV both imports read: `email,plan,company`, every email new. */
function importCsv(rows: number): Buffer {
  const lines = ['email,plan,company'];
  for (let i = 0; i < rows; i++)
    lines.push(`user${i}@example${i % 97}.com,${i % 3 ? 'free' : 'pro'},Acme ${i % 50}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

type Dialect = 'plunk' | 'resend-upsert' | 'resend-skip';

/** Uploads `csv` through one dialect to a server on a fresh database and polls until done: rows/s. */
async function importThrough(dialect: Dialect, path: string, csv: Buffer, rows: number): Promise<number> {
  const { projectId } = await freshDatabase(path);
  const roster: Roster = await createRoster({ database: path, jobs: { autoStart: true, onError: () => {} } });
  const resend = dialect !== 'plunk';
  const { key } = await roster.keys.create(projectId, resend ? { prefix: 're_' } : {});
  const server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: () => {} });
  const auth = { Authorization: `Bearer ${key}` };
  try {
    const t0 = performance.now();
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
    if (resend) form.append('on_conflict', dialect === 'resend-upsert' ? 'upsert' : 'skip');
    const post = resend ? `${server.url}/resend/contacts/imports` : `${server.url}/contacts/import`;
    const res = await fetch(post, { method: 'POST', headers: auth, body: form });
    if (res.status !== (resend ? 201 : 202)) throw new Error(`${dialect} import answered ${res.status}`);
    const body = (await res.json()) as { id?: string; jobId?: string };
    const poll = resend
      ? `${server.url}/resend/contacts/imports/${body.id}`
      : `${server.url}/contacts/import/${body.jobId}`;
    const deadline = Date.now() + 10 * 60_000;
    while (true) {
      const status = (await (await fetch(poll, { headers: auth })).json()) as {
        state?: string;
        status?: string;
        result?: { createdCount: number } | null;
        counts?: { created: number };
      };
      const state = status.state ?? status.status;
      if (state === 'completed') {
        const created = status.counts?.created ?? status.result?.createdCount;
        if (created !== rows) throw new Error(`${dialect} import created ${created} of ${rows}`);
        break;
      }
      if (state === 'failed' || Date.now() > deadline) throw new Error(`${dialect} import ${state}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await server.close();
    await roster.close();
  }
}

async function importMetrics(ctx: BenchContext): Promise<void> {
  const csv = importCsv(IMPORT_ROWS);
  writeFileSync(join(ctx.dir, 'resend-import.csv'), csv);
  ctx.log(`import: ${IMPORT_ROWS} rows, ${(csv.byteLength / 1e6).toFixed(2)} MB, every email new`);
  const path = join(ctx.dir, 'resend-import.db');
  const rates: Record<Dialect, number[]> = { plunk: [], 'resend-upsert': [], 'resend-skip': [] };
  ctx.mark();
  for (let run = 0; run < ctx.runs; run++) {
    for (const dialect of Object.keys(rates) as Dialect[]) {
      rates[dialect].push(await importThrough(dialect, path, csv, IMPORT_ROWS));
    }
    ctx.log(
      `  run ${run + 1}: Plunk ${rates.plunk.at(-1)!.toFixed(0)} rows/s, Resend upsert ${rates['resend-upsert'].at(-1)!.toFixed(0)}, Resend skip ${rates['resend-skip'].at(-1)!.toFixed(0)}`,
    );
  }
  const baseline = { name: 'Plunk POST /contacts/import, same file', values: rates.plunk };
  ctx.add(
    result({
      name: `Resend POST /contacts/imports on_conflict upsert (${IMPORT_ROWS} rows)`,
      unit: 'rows/s',
      better: 'higher',
      values: rates['resend-upsert'],
      baseline,
      minRatio: 0.9,
    }),
  );
  ctx.add(
    result({
      name: `Resend POST /contacts/imports on_conflict skip, the default (${IMPORT_ROWS} rows)`,
      unit: 'rows/s',
      better: 'higher',
      values: rates['resend-skip'],
      baseline,
      minRatio: 0.9,
    }),
  );
}
