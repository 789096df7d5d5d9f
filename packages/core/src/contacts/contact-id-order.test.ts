import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contactIdText } from '../ids.js';
import { createRoster, type Roster } from '../roster.js';
import type { Contact } from './contact-types.js';

/**
 * SQLite orders contacts by their rowid `seq` (`DialectInfo.contactIdOrder`), which answers as
 * ordering by id only while seq order is id order. Every write path keeps it: the ids it inserts
 * are above every stored id, even one another writer (another process on the file, whose clock or
 * counter is ahead) stored after this process made its ids; and the caller gets the stored id.
 */

/** A UUIDv7 `hours` ahead of now, made without this process's generator (as another process would). */
function idAhead(hours: number): string {
  const time = (Date.now() + hours * 3_600_000).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7fff-bfff-ffffffffffff`;
}

/** The ids in seq order: each above the one before. */
async function expectIdsInSeqOrder(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ id: unknown }>`select id from roster_contacts order by seq`.execute(db);
  const ids = rows.map((r) => contactIdText(r.id));
  expect(ids.length).toBeGreaterThan(0);
  expect(ids).toEqual([...ids].sort());
  expect(new Set(ids).size).toBe(ids.length);
}

/**
 * Every contact of the project through the list's pages (newest first: createdAt, then id,
 * descending), and the same contacts in that order as sorted here.
 */
async function listed(roster: Roster, projectId: string): Promise<{ ids: string[]; expected: string[] }> {
  const contacts: Contact[] = [];
  let cursor: string | null = null;
  do {
    const page = await roster.contacts.list(projectId, { limit: 7, ...(cursor ? { cursor } : {}) });
    contacts.push(...page.data);
    cursor = page.cursor;
  } while (cursor);
  const expected = [...contacts]
    .sort((x, y) =>
      x.createdAt === y.createdAt ? (x.id < y.id ? 1 : -1) : x.createdAt < y.createdAt ? 1 : -1,
    )
    .map((c) => c.id);
  return { ids: contacts.map((c) => c.id), expected };
}

describe('contact ids follow the rowid (SQLite)', () => {
  let dir: string;
  let path: string;
  const opened: Roster[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-id-order-'));
    path = join(dir, 'roster.db');
  });
  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
    rmSync(dir, { recursive: true, force: true });
  });
  async function open(): Promise<Roster> {
    const roster = await createRoster({ database: path });
    opened.push(roster);
    return roster;
  }

  it('every write path inserts above an id another writer stored meanwhile, and answers the stored id', async () => {
    const a = await open();
    const b = await open(); // another roster on the same file
    const projectId = (await a.projects.ensure('order')).id;
    let hours = 1;
    /** Another writer stores a contact whose id is ahead of every id this process has made. */
    async function aheadWrite(): Promise<string> {
      const id = idAhead(hours++);
      // As every writer of SQLite contacts must: a canonical id as its 16 bytes (migration 0025).
      await sql`insert into roster_contacts (id, project_id, email, subscribed, created_at, updated_at)
        values (unhex(replace(${id}, '-', '')), (select seq from roster_projects where id = ${projectId}), ${`ahead${hours}@example.com`},
          1, ${Date.now()}, ${Date.now()})`.execute(b.db);
      return id;
    }
    const stored = async (id: string) => (await a.contacts.get(projectId, id)).id;
    const paths: [string, () => Promise<string[]>][] = [
      ['create', async () => [(await a.contacts.create(projectId, { email: 'create@example.com' })).id]],
      [
        'upsert',
        async () => [(await a.contacts.upsert(projectId, { email: 'upsert@example.com' })).contact.id],
      ],
      [
        'createMany',
        async () =>
          (
            await a.contacts.createMany(projectId, {
              contacts: [0, 1, 2].map((i) => ({ email: `many${i}@example.com` })),
            })
          ).ids,
      ],
      [
        'import (merge)',
        async () => {
          await a.imports.enqueue(projectId, {
            file: Buffer.from('email\nimp0@example.com\nimp1@example.com\nupsert@example.com\n'),
            name: 'a.csv',
          });
          await a.jobs.runOnce();
          return Promise.all(
            ['imp0', 'imp1'].map(
              async (e) => (await a.contacts.findByEmail(projectId, `${e}@example.com`))!.id,
            ),
          );
        },
      ],
      [
        'import (skip existing)',
        async () => {
          const job = await a.imports.enqueue(projectId, {
            file: Buffer.from('email\nskip0@example.com\ncreate@example.com\nskip1@example.com\n'),
            name: 'b.csv',
            onConflict: 'skip',
          });
          await a.jobs.runOnce();
          const status = await a.imports.status(projectId, job.id);
          expect(status.result).toMatchObject({ createdCount: 2, skippedCount: 1 });
          return Promise.all(
            ['skip0', 'skip1'].map(
              async (e) => (await a.contacts.findByEmail(projectId, `${e}@example.com`))!.id,
            ),
          );
        },
      ],
      [
        'segment members created',
        async () => {
          const segment = await a.segments.create(projectId, { name: 's', type: 'STATIC' });
          await a.segments.addMembers(projectId, segment.id, {
            emails: ['seg0@example.com', 'seg1@example.com'],
            createMissing: true,
          });
          return Promise.all(
            ['seg0', 'seg1'].map(
              async (e) => (await a.contacts.findByEmail(projectId, `${e}@example.com`))!.id,
            ),
          );
        },
      ],
    ];
    for (const [name, write] of paths) {
      const ahead = await aheadWrite();
      const ids = await write();
      expect(ids.length, name).toBeGreaterThan(0);
      for (const id of ids) {
        expect(id > ahead, `${name}: ${id} above ${ahead}`).toBe(true);
        expect(await stored(id), name).toBe(id);
      }
    }
    await expectIdsInSeqOrder(a.db);
    const { ids, expected } = await listed(a, projectId);
    expect(ids).toEqual(expected);
    expect(ids).toHaveLength(17);
  });

  it('an import batch and API creates, with another process creating on the same file, keep seq order id order', async () => {
    const a = await open();
    const projectId = (await a.projects.ensure('flight')).id;
    const csv = `email\n${Array.from({ length: 3000 }, (_, i) => `row${i}@example.com`).join('\n')}\n`;
    await a.imports.enqueue(projectId, { file: Buffer.from(csv), name: 'big.csv' });
    // Another process (its own id generator) creating contacts one by one meanwhile.
    const script = join(dir, 'other.mts');
    writeFileSync(
      script,
      `import { createRoster } from ${JSON.stringify(new URL('../roster.ts', import.meta.url).pathname)};
      const roster = await createRoster({ database: ${JSON.stringify(path)} });
      for (let i = 0; i < 40; i++) await roster.contacts.create(${JSON.stringify(projectId)}, { email: \`other\${i}@example.com\` });
      await roster.close();`,
    );
    const other = new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--conditions=@roster/source', '--import', 'tsx', script], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    const creates: Promise<Contact>[] = [];
    const running = a.jobs.runOnce();
    for (let i = 0; i < 60; i++) {
      creates.push(a.contacts.create(projectId, { email: `api${i}@example.com` }));
      if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const made = await Promise.all(creates);
    await running;
    expect(await other).toBe(0);
    for (const contact of made)
      expect((await a.contacts.get(projectId, contact.id)).email).toBe(contact.email);
    await expectIdsInSeqOrder(a.db);
    const { ids, expected } = await listed(a, projectId);
    expect(ids).toHaveLength(3100);
    expect(ids).toEqual(expected);
  }, 120_000);
});
