import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';

/**
 * The writers that came after the text rules (issue #13): `POST /v1/track` (served by `roster serve`,
 * not swallowed by Unosend's /v1 catch-all), segment names and filters, import file names. A NUL, a
 * lone surrogate or deep nesting is a 4xx naming the field on both databases, never a 500.
 */
let roster: Roster;
let server: RunningServer;
let sk: string;
let pk: string;
const errors: unknown[] = [];

function deep(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = { k: value };
  return value;
}

describeEachDialect('text rules on the newer writers', (dialect) => {
  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    const projectId = (await roster.projects.ensure('default')).id;
    sk = (await roster.keys.create(projectId, { prefix: 'sk_' })).key;
    pk = (await roster.keys.create(projectId, { prefix: 'pk_' })).key;
    server = await startServer({ roster, port: 0, onError: (e) => errors.push(e) });
  });
  afterAll(async () => {
    await server.close();
    await roster.close();
    expect(errors).toEqual([]);
  });

  async function post(path: string, key: string, body: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }

  describe('POST /v1/track through roster serve', () => {
    it('records an event with a public key (the Unosend /v1 catch-all no longer answers 404)', async () => {
      const res = await post('/v1/track', pk, {
        event: 'signed_up',
        email: 'ada@example.com',
        data: { plan: 'pro' },
      });
      expect(res.status, res.text).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ success: true });
    });

    it('refuses NUL, lone surrogates and deep nesting in event data, naming the field', async () => {
      for (const data of [{ note: 'a\u0000b' }, { note: 'x\uD800' }, { tree: deep(100) }, { 'k\u0000': 1 }]) {
        const res = await post('/v1/track', pk, { event: 'signed_up', email: 'ada@example.com', data });
        expect(res.status, res.text).toBeGreaterThanOrEqual(400);
        expect(res.status, res.text).toBeLessThan(500);
        expect(res.text).toContain('data');
      }
    });

    it('refuses a NUL or a lone surrogate in the event name, naming the field', async () => {
      for (const event of ['sign\u0000up', 'sign\uDC00up']) {
        const res = await post('/v1/track', pk, { event, email: 'ada@example.com' });
        expect(res.status, res.text).toBeGreaterThanOrEqual(400);
        expect(res.status, res.text).toBeLessThan(500);
        expect(res.text).toContain('event');
      }
    });
  });

  describe('segments', () => {
    const tree = (value: unknown, field = 'data.plan') => ({
      logic: 'AND',
      groups: [{ filters: [{ field, operator: 'equals', value }] }],
    });

    it('refuses a NUL or a lone surrogate in the segment name, naming it', async () => {
      for (const name of ['Pro\u0000', 'Pro\uD800']) {
        const res = await post('/segments', sk, { name, condition: tree('pro') });
        expect(res.status, res.text).toBe(400);
        expect(res.text).toContain('name');
      }
    });

    it('refuses NUL, lone surrogates and deep values in filter values and fields, naming the path', async () => {
      for (const condition of [
        tree('p\u0000ro'),
        tree('p\uDC00'),
        tree(deep(100)),
        tree('pro', 'data.pl\u0000an'),
      ]) {
        const res = await post('/segments', sk, { name: 'Pro', condition });
        expect(res.status, res.text).toBe(400);
        expect(res.text).toContain('condition');
      }
    });
  });

  describe('import file names', () => {
    it('answers a file name with a NUL or a lone surrogate without a 5xx', async () => {
      for (const name of ['a\u0000.csv', 'a\uD800.csv']) {
        const form = new FormData();
        form.append('file', new Blob(['email\nada@example.com\n'], { type: 'text/csv' }), name);
        const res = await fetch(`${server.url}/contacts/import`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sk}` },
          body: form,
        });
        const text = await res.text();
        expect(res.status, text).toBeLessThan(500);
      }
    });
  });
});
