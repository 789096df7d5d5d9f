/**
 * The PostgreSQL plans behind the `scale` suite's operations (not part of `pnpm bench`):
 *
 *   node --conditions=@roster/source --import tsx bench/src/pg-scale-explain.ts <url> <contacts> [ids]
 *
 * `url` is a PostgreSQL URL whose search_path is a schema the scale worker built (bench/src/scale-worker.ts)
 * with `contacts` contacts in project "bench". Runs the operations the suite times (by id, the page at
 * half depth, the rare search without and with `total`) through roster, logs the SQL roster sends (text
 * and parameters, from `pg` itself) and prints `EXPLAIN (ANALYZE, BUFFERS)` of each statement with those
 * parameters, `track_io_timing` on: shared buffers hit and read, and the time reading them took.
 * By id runs for `ids` (default 5) contacts spread over the table, each twice: the first read of a
 * contact (as every sample of the suite's by-id is) and the same read again.
 */
import { createRoster } from '@roster/core';
import pg from 'pg';
import { emailOf } from './data.js';
import { rareTerm } from './suites/million.js';
import { pageCursor } from './suites/postgres.js';

const [url, contactsArg, idsArg] = process.argv.slice(2);
if (!url || !contactsArg) throw new Error('usage: pg-scale-explain.ts <url> <contacts> [ids]');
const n = Number(contactsArg);
const idCount = Number(idsArg ?? 5);

interface Sent {
  text: string;
  values: unknown[];
}
let sent: Sent[] | null = null;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
  if (sent) {
    if (typeof first === 'string') sent.push({ text: first, values: Array.isArray(second) ? second : [] });
    else if (first && typeof first === 'object' && 'text' in first)
      sent.push({ text: first.text, values: first.values ?? [] });
  }
  return query.apply(this, args);
} as never;

/** The statements `fn` sent, in order (BEGIN/COMMIT and the like left out). */
async function statementsOf(fn: () => Promise<unknown>): Promise<Sent[]> {
  sent = [];
  try {
    await fn();
    return sent.filter((s) => /^\s*(select|with)/i.test(s.text));
  } finally {
    sent = null;
  }
}

const roster = await createRoster({ database: url, migrate: false });
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  await client.query('set track_io_timing = on');
  const projectId = (await roster.projects.ensure('bench')).id;
  const explain = async (label: string, s: Sent) => {
    const { rows } = await client.query(`explain (analyze, buffers) ${s.text}`, s.values);
    console.log(`\n--- ${label}\n${s.text}\n-- parameters: ${JSON.stringify(s.values)}`);
    for (const row of rows) console.log(row['QUERY PLAN']);
  };
  const explainAll = async (label: string, fn: () => Promise<unknown>) => {
    const statements = await statementsOf(fn);
    for (const [i, s] of statements.entries())
      await explain(`${label} (statement ${i + 1} of ${statements.length})`, s);
  };

  const step = Math.max(1, Math.floor(n / idCount));
  const emails = Array.from({ length: idCount }, (_, k) => emailOf((11 + k * step) % n));
  const { rows: idRows } = await client.query<{ id: string }>(
    'select id from roster_contacts where email = any($1::text[])',
    [emails],
  );
  for (const { id } of idRows) {
    const statements = await statementsOf(() => roster.contacts.get(projectId, id));
    const s = statements.at(-1)!;
    // The roster call above read the contact once already: a fresh one for the "first read".
    await explain(`contacts.get by id, read again`, s);
  }
  // First reads: contacts half a step away from those above (pages nothing read yet).
  const fresh = Array.from({ length: idCount }, (_, k) =>
    emailOf((11 + Math.floor(step / 2) + k * step) % n),
  );
  const { rows: freshRows } = await client.query<{ id: string }>(
    'select id from roster_contacts where email = any($1::text[])',
    [fresh],
  );
  const [byIdSql] = await statementsOf(() => roster.contacts.get(projectId, idRows[0]!.id));
  for (const { id } of freshRows) {
    await explain('contacts.get by id, first read of this contact', {
      text: byIdSql!.text,
      values: byIdSql!.values.map((v) => (v === idRows[0]!.id ? id : v)),
    });
  }

  const limit = 100;
  const deep = await pageCursor(roster, projectId, Math.floor(n / limit / 2) + 1, limit);
  await roster.contacts.list(projectId, { limit, cursor: deep });
  await explainAll('list page at half depth', () => roster.contacts.list(projectId, { limit, cursor: deep }));
  await explainAll('list page 1', () => roster.contacts.list(projectId, { limit }));
  const rare = rareTerm(n);
  await roster.contacts.list(projectId, { search: rare });
  await explainAll(`search rare term "${rare}"`, () => roster.contacts.list(projectId, { search: rare }));
  await explainAll(`search rare term "${rare}" with total`, () =>
    roster.contacts.list(projectId, { search: rare, includeTotal: true }),
  );
} finally {
  await client.end();
  await roster.close();
}
