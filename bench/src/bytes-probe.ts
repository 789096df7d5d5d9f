// Metric 10 by hand (not a suite): `node --conditions=@roster/source --import tsx src/bytes-probe.ts
// [contacts] [sqlite file | postgres://...]` from bench/. SQLite: seeds a fresh file as the million
// suite does, opens it with roster (substring index built), checkpoints, prints bytes per contact
// with dbstat's split. PostgreSQL: the same contacts in a fresh schema, vacuumed, then
// pg_total_relation_size of roster_contacts (table, TOAST and every index) with each relation's share.
import { statSync } from 'node:fs';
import { createRoster, uuidv7 } from '@roster/core';
import { contactTime } from '@roster/core/internal';
import { sql } from 'kysely';
import { dataOf, emailOf, rowOf } from './data.js';
import { openRaw, seededRoster } from './fixtures.js';
import { freshPgSchema } from './suites/postgres.js';

const n = Number(process.argv[2] ?? 100_000);
const target = process.argv[3] ?? '/tmp/bytes-probe.db';
const per = (b: number) => (b / n).toFixed(1);

if (target.startsWith('postgres')) {
  const schema = await freshPgSchema(target);
  try {
    const roster = await createRoster({ database: schema.url });
    const project = await roster.projects.ensure('bench');
    const now = new Date('2030-01-01T00:00:00.000Z').toISOString();
    for (let start = 0; start < n; start += 1000) {
      const values = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        values.push({
          id: roster.dialect.contactIdValue(uuidv7()),
          project_id: roster.dialect.contactProject(project.id),
          email: emailOf(i),
          subscribed: true,
          data: JSON.stringify(dataOf(rowOf(i))),
          created_at: contactTime(now),
          updated_at: contactTime(now),
        });
      }
      await roster.db.insertInto('roster_contacts').values(values).execute();
    }
    await sql`vacuum analyze roster_contacts`.execute(roster.db);
    const total = await sql<{ b: string }>`select pg_total_relation_size('roster_contacts') as b`.execute(
      roster.db,
    );
    // The table split by relation: its heap, its TOAST table (with the TOAST index), and the free
    // space and visibility maps; then each index.
    const parts = await sql<{ name: string; b: string }>`
      select 'table: heap' as name, pg_relation_size('roster_contacts') as b
      union all
      select 'table: TOAST', coalesce(pg_total_relation_size(nullif(reltoastrelid, 0)), 0)
      from pg_class where oid = 'roster_contacts'::regclass
      union all
      select 'table: free space and visibility maps',
        pg_relation_size('roster_contacts', 'fsm') + pg_relation_size('roster_contacts', 'vm')
      union all
      select indexrelid::regclass::text, pg_relation_size(indexrelid)
      from pg_index where indrelid = 'roster_contacts'::regclass order by 2 desc`.execute(roster.db);
    console.log(
      `PostgreSQL bytes per contact (roster_contacts, table + indexes): ${per(Number(total.rows[0]!.b))}`,
    );
    for (const p of parts.rows) console.log(`  ${p.name} ${per(Number(p.b))}`);
    await roster.close();
  } finally {
    await schema.drop();
  }
} else {
  const { roster } = await seededRoster(target, n, (line) => console.log(line));
  await roster.close();
  const raw = openRaw(target);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  const file = statSync(target).size;
  const parts = raw
    .prepare('select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc')
    .all() as { name: string; bytes: number }[];
  raw.close();
  console.log(`SQLite bytes per contact: ${per(file)}`);
  for (const p of parts) if (p.bytes / n >= 0.5) console.log(`  ${p.name} ${per(p.bytes)}`);
}
