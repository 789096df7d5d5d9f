import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRoster, type Roster } from '@roster/core';
import { startServer } from '@roster/server';
import type { BenchContext } from '../context.js';
import { dataOf, rowOf } from '../data.js';
import { removeDb } from '../fixtures.js';
import { result } from '../report.js';

/** Contacts moved in each run (the goal is stated for 100 000). */
const CONTACTS = 100_000;

/**
 * `roster.migrate.fromPlunk` of 100 000 contacts from a local roster serving Plunk's API (real HTTP,
 * cursor pages of 100) into a fresh SQLite file, against the baseline of moving the same contacts
 * without HTTP: stream them out of the source with `contacts.stream` into a JSON-lines file, then
 * read that file and write it with `contacts.createMany` (1000 a transaction, verbatim data), as an
 * export-then-import script would. Goal: at least half the baseline's rate.
 */
export async function migrateSuite(ctx: BenchContext): Promise<void> {
  const sourcePath = join(ctx.dir, 'migrate-source.db');
  removeDb(sourcePath);
  const source = await createRoster({ database: sourcePath });
  const project = await source.projects.ensure('default');
  for (let start = 0; start < CONTACTS; start += 1000) {
    await source.contacts.createMany(project.id, {
      dataMode: 'verbatim',
      contacts: Array.from({ length: Math.min(1000, CONTACTS - start) }, (_, k) => {
        const row = rowOf(start + k);
        return { email: row.email, subscribed: (start + k) % 9 !== 0, data: dataOf(row) };
      }),
    });
  }
  const key = (await source.keys.create(project.id)).key;
  const server = await startServer({ roster: source, port: 0, host: '127.0.0.1', onError: () => {} });
  const rates: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run < ctx.runs; run++) {
      const migrated = await withTarget(join(ctx.dir, 'migrate-target.db'), async (target, projectId) => {
        const t0 = performance.now();
        const summary = await target.migrate.fromPlunk({ url: server.url, key, projectId, concurrency: 4 });
        const seconds = (performance.now() - t0) / 1000;
        if (summary.created !== CONTACTS) throw new Error(`migrate created ${summary.created}`);
        return CONTACTS / seconds;
      });
      const exported = await withTarget(join(ctx.dir, 'export-target.db'), async (target, projectId) => {
        const file = join(ctx.dir, 'export.jsonl');
        const t0 = performance.now();
        const out = createWriteStream(file);
        for await (const contact of source.contacts.stream(project.id)) {
          const line = `${JSON.stringify({ email: contact.email, subscribed: contact.subscribed, data: contact.data })}\n`;
          if (!out.write(line)) await once(out, 'drain');
        }
        out.end();
        await once(out, 'finish');
        let batch: { email: string; subscribed: boolean; data: Record<string, unknown> | null }[] = [];
        let created = 0;
        const flush = async () => {
          if (batch.length === 0) return;
          created += (await target.contacts.createMany(projectId, { dataMode: 'verbatim', contacts: batch }))
            .created;
          batch = [];
        };
        for await (const line of createInterface({ input: createReadStream(file) })) {
          batch.push(JSON.parse(line));
          if (batch.length === 1000) await flush();
        }
        await flush();
        const seconds = (performance.now() - t0) / 1000;
        if (created !== CONTACTS) throw new Error(`import created ${created}`);
        return CONTACTS / seconds;
      });
      rates.push(migrated);
      baseline.push(exported);
      ctx.log(
        `  run ${run + 1}: migrate ${migrated.toFixed(0)} contacts/s, export to JSON + import ${exported.toFixed(0)} contacts/s`,
      );
    }
  } finally {
    await server.close();
    await source.close();
  }
  ctx.add(
    result({
      name: `migrate --from plunk (${CONTACTS} contacts over HTTP, fresh SQLite target)`,
      unit: 'contacts/s',
      better: 'higher',
      values: rates,
      baseline: { name: 'export to a JSON file, then import it (createMany, 1000 a tx)', values: baseline },
      minRatio: 0.5,
    }),
  );
}

async function withTarget(path: string, run: (target: Roster, projectId: string) => Promise<number>) {
  removeDb(path);
  const target = await createRoster({ database: path });
  try {
    return await run(target, (await target.projects.ensure('default')).id);
  } finally {
    await target.close();
  }
}
