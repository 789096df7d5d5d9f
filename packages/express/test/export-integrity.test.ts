import type { Contact, Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRosterRouter, createUnosendRouter } from '../src/index.js';
import { emptyTables, type Listening, listen, twoProjects } from './http-helpers.js';

/** Data keys every JavaScript object inherits (or that name its prototype machinery). */
const PROTOTYPE_KEYS = ['constructor', 'hasOwnProperty', 'prototype', 'toString', 'valueOf'];
/** Enough contacts of ~300 bytes each to push the last row past the exporter's 64 KB flush. */
const PADDED = 400;

/**
 * Each export route under test: its path, and the opening of the row source that writes the CSV
 * rows (Unosend's reads the rows once for the data keys first; /roster asks the database for the
 * keys and their types, reading the rows once).
 */
const EXPORTS = [
  { name: 'Unosend', path: '/v1/contacts/export', csvRowsOpen: 2 },
  { name: '/roster', path: '/roster/contacts/export', csvRowsOpen: 1 },
] as const;

describeEachDialect('export integrity', (dialect) => {
  let roster: Roster;
  let server: Listening;
  let projectId: string;
  let key: string;
  /** The injected fault: on which opening of the row source (1st, 2nd) and after how many rows it throws. */
  let fault: { open: number; after: number } | undefined;
  let opens = 0;
  const unexpected: unknown[] = [];

  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    ({ projectId, key } = await twoProjects(roster));
    // The only fake: a row source that fails after `failAfter` real rows (an injected fault).
    const faulty: Roster = {
      ...roster,
      contacts: {
        ...roster.contacts,
        async *stream(...args: Parameters<Roster['contacts']['stream']>) {
          let n = 0;
          const failing = ++opens === fault?.open;
          for await (const contact of roster.contacts.stream(...args)) {
            if (failing && n++ >= fault!.after)
              throw new Error('injected: the database went away mid-export');
            yield contact;
          }
        },
      },
    };
    const onError = (error: unknown) => unexpected.push(error);
    const app = express();
    app.use('/v1', createUnosendRouter(faulty, { onError }));
    app.use('/roster', createRosterRouter(faulty, { onError }));
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await roster.close();
  });
  beforeEach(async () => {
    fault = undefined;
    opens = 0;
    unexpected.length = 0;
    await emptyTables(roster, 'roster_contacts');
  });

  /** The oldest contact has none of those keys; the newer ones use every prototype-named key. Newest first in exports. */
  async function seed(): Promise<Contact> {
    const plain = await roster.contacts.create(projectId, { email: 'plain@example.com', data: { pad: 'p' } });
    const data = Object.fromEntries(PROTOTYPE_KEYS.map((k) => [k, `${k}-value`]));
    await roster.contacts.createMany(projectId, {
      contacts: Array.from({ length: PADDED }, (_, i) => ({
        email: `p${String(i).padStart(3, '0')}@example.com`,
        data: { ...data, pad: 'x'.repeat(200) },
      })),
    });
    return plain;
  }

  const get = (path: string) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

  describe.each(EXPORTS)('$name export', ({ path, csvRowsOpen }) => {
    it('writes every row of a project whose contacts use prototype-named data keys, as CSV', async () => {
      const plain = await seed();
      const res = await get(`${path}?format=csv`);
      expect(res.status).toBe(200);
      const lines = (await res.text()).split('\n');
      expect(lines[0]).toBe(
        'email,first_name,last_name,subscribed,audience,created_at,data.constructor,data.hasOwnProperty,data.pad,data.prototype,data.toString,data.valueOf',
      );
      expect(lines).toHaveLength(1 + PADDED + 1 + 1); // header, rows, the trailing newline
      expect(lines[1]).toMatch(
        /^"p399@example.com",.*,"constructor-value","hasOwnProperty-value","x{200}","prototype-value","toString-value","valueOf-value"$/,
      );
      // The contact without those keys comes last, after the first 64 KB: empty cells, not inherited members.
      expect(lines.at(-2)).toBe(`"plain@example.com","","","Yes","","${plain.createdAt}","","","p","","",""`);
      expect(lines.at(-1)).toBe('');
      expect(unexpected).toEqual([]);
    });

    it('writes every row of a project whose contacts use prototype-named data keys, as JSON', async () => {
      await seed();
      const res = await get(`${path}?format=json`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { email: string; metadata: Record<string, unknown> }[] };
      expect(body.data).toHaveLength(PADDED + 1);
      expect(body.data.at(-1)).toMatchObject({ email: 'plain@example.com', metadata: { pad: 'p' } });
      expect(Object.keys(body.data[0]!.metadata).sort()).toEqual([...PROTOTYPE_KEYS, 'pad'].sort());
      expect(unexpected).toEqual([]);
    });

    it.each(['csv', 'json'])(
      'aborts the %s transfer when the row source fails after the headers were sent',
      async (format) => {
        await seed();
        // The fault hits the pass that writes the rows, well past the first 64 KB flush.
        fault = { open: format === 'csv' ? csvRowsOpen : 1, after: PADDED - 10 };
        const res = await get(`${path}?format=${format}`);
        expect(res.status).toBe(200); // the headers were sent before the fault
        await expect(res.text()).rejects.toThrow();
        // The fault is a server bug: reported, never swallowed.
        await expect.poll(() => unexpected.length).toBe(1);
        expect(String(unexpected[0])).toMatch(/injected/);
      },
    );

    it('still answers a fault before the headers as a clean 500', async () => {
      await seed();
      fault = { open: 1, after: 0 };
      const res = await get(`${path}?format=json`);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: expect.anything() });
      expect(unexpected).toHaveLength(1);
    });
  });
});
