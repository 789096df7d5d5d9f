// Migration 0024 by hand (not a suite), from bench/: `node --conditions=@roster/source --import tsx
// src/rowid-ab.ts <step> [contacts] [dir]`. Steps:
// - `prepare`: seeds `<dir>/new.db` as the million suite does (this build: indexes ending at the
//   rowid), copies it to `<dir>/old.db` with the indexes as 0023 left them (ending at id, 0024 not
//   recorded), vacuums both and prints bytes per contact of each with dbstat's split.
// - `migrate`: times migration 0024 on copies of old.db: in id order (indexes only), and with two
//   contacts' ids swapped (seq renumbered, substring index dropped), then the next start's rebuild.
// - `reads <db> [calls] [name]`: CPU time per call (process.cpuUsage) of the core calls that could move: list page 1,
//   a deep page, the first page with total, a contact by id, a rare search, an offset page, a create
//   (which now reads the greatest stored id first). Run the same step with
//   the build before 0024 on old.db and with this one on new.db, alternately (A, B, A, B, ...).
import { copyFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { type Kysely, sql } from 'kysely';
import { openRaw, seededRoster } from './fixtures.js';
import { rareTerm } from './suites/million.js';

const [step = 'prepare', second, third] = process.argv.slice(2);
const load = () =>
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

const OLD_INDEXES = [
  'create index roster_contacts_project_id on roster_contacts (project_id, id)',
  'create index roster_contacts_project_audience_id on roster_contacts (project_id, audience_id, id) where audience_id is not null',
  'create index roster_contacts_project_created on roster_contacts (project_id, created_at, id)',
  'create index roster_contacts_project_subscribed_created on roster_contacts (project_id, subscribed, created_at, id)',
];

function split(path: string, n: number): string {
  const raw = openRaw(path);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  const parts = raw
    .prepare('select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc')
    .all() as { name: string; bytes: number }[];
  raw.close();
  const lines = parts.filter((p) => p.bytes / n >= 0.5).map((p) => `  ${p.name} ${(p.bytes / n).toFixed(1)}`);
  return [`file ${(statSync(path).size / n).toFixed(1)} B per contact`, ...lines].join('\n');
}

function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

if (step === 'prepare') {
  const n = Number(second ?? 100_000);
  const dir = third ?? '/tmp/h1-ab';
  const fresh = join(dir, 'new.db');
  const old = join(dir, 'old.db');
  const { roster } = await seededRoster(fresh, n, (line) => console.log(line));
  await roster.close();
  const raw = openRaw(fresh);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  removeDb(old);
  copyFileSync(fresh, old);
  const back = openRaw(old);
  back.exec('begin');
  for (const statement of OLD_INDEXES) {
    const name = statement.split(' ')[2]!;
    back.exec(`drop index ${name}`);
    back.exec(statement);
  }
  back.prepare("delete from roster_migrations where name = '0024_sqlite_contact_rowid_indexes'").run();
  back.exec('commit');
  back.close();
  for (const path of [old, fresh]) {
    const db = openRaw(path);
    db.exec('vacuum');
    db.close();
    console.log(`${path === old ? 'before 0024 (old.db)' : 'after 0024 (new.db)'}: ${split(path, n)}`);
  }
} else if (step === 'migrate') {
  const n = Number(second ?? 100_000);
  const dir = third ?? '/tmp/h1-ab';
  // The frozen migration itself (by path: this build's only, the build before has none).
  const file = '../../packages/core/src/db/migrations/0024-sqlite-contact-rowid-indexes.js';
  const { migration0024SqliteContactRowidIndexes } = await import(file);
  const migration = migration0024SqliteContactRowidIndexes('sqlite');
  for (const broken of [false, true]) {
    const path = join(dir, broken ? 'm-broken.db' : 'm-order.db');
    removeDb(path);
    copyFileSync(join(dir, 'old.db'), path);
    if (broken) {
      // Two contacts whose ids are swapped: seq order is no longer id order.
      const raw = openRaw(path);
      const [a, b] = raw.prepare('select seq, id from roster_contacts where seq in (10, 20)').all() as {
        seq: number;
        id: unknown; // as stored: 16 bytes since core migration 0025
      }[];
      raw.exec('begin');
      raw.prepare("update roster_contacts set id = 'x' where seq = ?").run(a!.seq);
      raw.prepare('update roster_contacts set id = ? where seq = ?').run(a!.id, b!.seq);
      raw.prepare('update roster_contacts set id = ? where seq = ?').run(b!.id, a!.seq);
      raw.exec('commit');
      raw.close();
    }
    const roster = await createRoster({ database: path, migrate: false });
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await migration.up(roster.db as Kysely<any>);
    const ms = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    const seqs = await sql<{ m: number }>`select max(seq) as m from roster_contacts`.execute(roster.db);
    await roster.close();
    console.log(
      `migration 0024, ${broken ? 'seq renumbered' : 'in id order'}: ${ms.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU for ${n} contacts (max seq ${seqs.rows[0]!.m}; ${load()})`,
    );
    if (broken) {
      const t1 = performance.now();
      const next = await createRoster({ database: path, migrate: true });
      console.log(
        `  next start (records it, rebuilds the substring index): ${(performance.now() - t1).toFixed(0)} ms wall (${load()})`,
      );
      await next.close();
      console.log(`  ${split(path, n).replaceAll('\n', '\n  ')}`);
    }
  }
} else if (step === 'reads') {
  const path = second!;
  const samples = Number(third ?? 300);
  const roster = await createRoster({ database: path });
  const project = await roster.projects.ensure('bench');
  const raw = openRaw(path);
  const ids = raw
    .prepare(
      'select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) order by id desc',
    )
    .all(project.id)
    .map((r) => (r as { id: string }).id);
  raw.close();
  const deep = ids[Math.floor(ids.length / 2) - 1]!;
  const rare = rareTerm(ids.length);
  let created = 0;
  const ops: Record<string, () => Promise<unknown>> = {
    'list page 1 (100)': () => roster.contacts.list(project.id, { limit: 100 }),
    'deep page (100, mid cursor)': () => roster.contacts.list(project.id, { limit: 100, cursor: deep }),
    'first page with total': () => roster.contacts.list(project.id, { limit: 100, includeTotal: true }),
    'by id': () => roster.contacts.get(project.id, ids[(Math.random() * ids.length) | 0]!),
    'rare search': () => roster.contacts.list(project.id, { search: rare }),
    'offset page (50, offset 5000)': () =>
      roster.contacts.listOffset(project.id, { limit: 50, offset: 5000 }),
    'create (one contact)': () =>
      roster.contacts.create(project.id, { email: `ab.${process.pid}.${created++}@example.com` }),
  };
  const out: string[] = [];
  const only = process.argv[5]; // one operation, by the start of its name
  for (const [name, op] of Object.entries(ops)) {
    if (only && !name.startsWith(only)) continue;
    for (let i = 0; i < 20; i++) await op();
    const cpu: number[] = [];
    for (let i = 0; i < samples; i++) {
      const before = process.cpuUsage();
      await op();
      const used = process.cpuUsage(before);
      cpu.push(used.user + used.system);
    }
    cpu.sort((x, y) => x - y);
    out.push(`${name}: ${cpu[cpu.length >> 1]} us CPU median`);
  }
  await roster.close();
  console.log(`${path}: ${out.join('; ')} (${load()})`);
}
