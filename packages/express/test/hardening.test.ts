import { connect } from 'node:net';
import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPlunkRouter, createUnosendRouter } from '../src/index.js';
import { closeServed, type Listening, listen, request } from './http-helpers.js';

let roster: Roster;
let server: Listening;
let key: string;
let host: string;
let port: number;
const unexpected: unknown[] = [];

const ID = '01900000-0000-7000-8000-000000000000';

/** Every route with an `:id` path parameter, as [dialect, method, path with `{id}`]. */
const ID_ROUTES: ['plunk' | 'unosend', string, string][] = [
  ['plunk', 'GET', '/contacts/{id}'],
  ['plunk', 'PATCH', '/contacts/{id}'],
  ['plunk', 'DELETE', '/contacts/{id}'],
  ['plunk', 'GET', '/contacts/import/{id}'],
  ['plunk', 'GET', '/contacts/bulk/{id}'],
  ['unosend', 'GET', '/v1/contacts/{id}'],
  ['unosend', 'PATCH', '/v1/contacts/{id}'],
  ['unosend', 'DELETE', '/v1/contacts/{id}'],
  ['unosend', 'GET', '/v1/contacts/import/{id}'],
  ['unosend', 'GET', '/v1/audiences/{id}'],
  ['unosend', 'PATCH', '/v1/audiences/{id}'],
  ['unosend', 'DELETE', '/v1/audiences/{id}'],
];

/** The dialect's error envelope with that status, whatever the message. */
function envelope(dialect: 'plunk' | 'unosend', status: number) {
  return dialect === 'plunk'
    ? expect.objectContaining({
        success: false,
        error: expect.objectContaining({ statusCode: status, message: expect.any(String) }),
      })
    : {
        error: {
          code: status,
          type: expect.any(String),
          message: expect.any(String),
          request_id: expect.any(String),
        },
      };
}

/**
 * Sends a request head announcing `announced` body bytes, then `sent` bytes, then stalls. Resolves
 * with what the server answered (head and body as text) and whether it closed the connection.
 */
function stalledUpload(
  path: string,
  announced: number,
  sent: number,
  headers: Record<string, string> = {},
): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closed: false });
    }, 3000);
    socket.on('data', (d) => {
      answer += d;
    });
    socket.on('error', (error) => {
      // The server may reset the connection while we still write: what it answered counts.
      if (answer) return;
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closed: true });
    });
    socket.on('connect', () => {
      const head = [
        `POST ${path} HTTP/1.1`,
        `Host: ${host}:${port}`,
        'Content-Type: application/json',
        `Content-Length: ${announced}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      socket.write(`{"file":"${'a'.repeat(Math.max(0, sent - 10))}`);
    });
  });
}

describeEachDialect('HTTP hardening', (dialect) => {
  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    const project = await roster.projects.ensure('main');
    key = (await roster.keys.create(project.id)).key;
    const app = express();
    const onError = (error: unknown) => unexpected.push(error);
    app.use('/v1', createUnosendRouter(roster, { onError }));
    app.use(createPlunkRouter(roster, { onError }));
    server = await listen(app);
    const url = new URL(server.url);
    host = url.hostname;
    port = Number(url.port);
  });
  afterAll(() => closeServed(server, roster));
  afterEach(() => {
    // A 4xx is never reported as an unexpected error (no stack in the log).
    expect(unexpected).toEqual([]);
    unexpected.length = 0;
  });

  describe('authentication before the body', () => {
    it.each([
      ['/v1/contacts/import', 'missing_api_key'],
      ['/contacts', 'UNAUTHORIZED'],
    ])(
      'answers 401 to a keyless %s before its body arrives, then closes the connection',
      async (path, code) => {
        // 7 MB announced, 1 MB sent, then the client stalls: the answer must not wait for the rest.
        const { answer, closed } = await stalledUpload(path, 7_000_000, 1_000_000);
        expect(answer).toMatch(/^HTTP\/1\.1 401 /);
        expect(answer.toLowerCase()).toContain('connection: close');
        expect(answer).toContain(code);
        expect(closed).toBe(true);
      },
    );

    it('answers 401 to an unknown key before the body arrives', async () => {
      const { answer, closed } = await stalledUpload('/v1/contacts/import', 7_000_000, 100_000, {
        Authorization: 'Bearer un_not_a_key',
      });
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(closed).toBe(true);
    });
  });

  describe('malformed requests', () => {
    it.each(ID_ROUTES)('%s %s %s with a malformed percent-encoding is a 400', async (d, method, path) => {
      const res = await request(server.url + path.replace('{id}', '%ZZ'), {
        method,
        key,
        body: method === 'PATCH' ? {} : undefined,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(envelope(d, 400));
      expect(JSON.stringify(res.body)).toContain('percent-encoding');
    });

    it.each([
      ['plunk', '/contacts', 'gzip'],
      ['plunk', '/contacts', 'deflate'],
      ['unosend', '/v1/contacts', 'gzip'],
      ['unosend', '/v1/audiences', 'br'],
    ] as const)('%s POST %s with a %s body that is not compressed is a 400', async (d, path, encoding) => {
      const res = await request(server.url + path, {
        method: 'POST',
        key,
        body: '{"email":"a@example.com","name":"x"}',
        headers: { 'content-encoding': encoding },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(envelope(d, 400));
    });

    it.each([
      ['plunk', '/contacts'],
      ['unosend', '/v1/contacts/import'],
    ] as const)('a client that aborts its %s body %s is not an unexpected error', async (_d, path) => {
      await new Promise<void>((resolve) => {
        const socket = connect(port, host, () => {
          socket.write(
            `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
              'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"email":',
          );
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
      // Give the server the time to notice the abort.
      await new Promise((resolve) => setTimeout(resolve, 200));
      // afterEach checks that nothing was reported as unexpected.
    });
  });

  describe('multipart limits', () => {
    async function multipart(form: FormData) {
      const response = await fetch(`${server.url}/contacts/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: form,
      });
      return { status: response.status, body: (await response.json()) as any };
    }

    it('refuses more than 10 text fields beside the file with a 413', async () => {
      const form = new FormData();
      for (let i = 0; i < 11; i++) form.append(`f${i}`, 'x');
      form.append('file', new Blob(['email\na@example.com\n']), 'a.csv');
      const res = await multipart(form);
      expect(res.status).toBe(413);
      expect(res.body.error.message).toMatch(/more than 10 text fields|more than 11 parts/);
    });

    /** A text part `[field, value]`, or a file part `[field, content, file name]`. */
    type Part = [field: string, value: string] | [field: string, content: string, filename: string];

    it.each<[string, Part[], number, { field: string; message: string }]>([
      [
        'a text field over 1024 bytes with a 413 naming it',
        [
          ['note', 'x'.repeat(1025)],
          ['file', 'email\na@example.com\n', 'a.csv'],
        ],
        413,
        { field: 'note', message: 'has a text field longer than 1024 bytes' },
      ],
      [
        'two files in one upload with a 400 naming the file field (malformed, not too large)',
        [
          ['file', 'email\na@example.com\n', 'a.csv'],
          ['file', 'email\nb@example.com\n', 'b.csv'],
        ],
        400,
        { field: 'file', message: 'must be one file: the request has more than one' },
      ],
      [
        'a second file under another field name with a 400 naming that field',
        [
          ['file', 'email\na@example.com\n', 'a.csv'],
          ['other', 'email\nb@example.com\n', 'b.csv'],
        ],
        400,
        { field: 'other', message: 'is not expected: send the CSV as the multipart field "file"' },
      ],
    ])('refuses %s', async (_name, parts, status, error) => {
      const form = new FormData();
      for (const [field, value, filename] of parts) {
        if (filename === undefined) form.append(field, value);
        else form.append(field, new Blob([value]), filename);
      }
      const res = await multipart(form);
      expect(res.status).toBe(status);
      expect(res.body.error.errors).toEqual([error]);
    });

    it('still accepts a file with a few small fields', async () => {
      const form = new FormData();
      form.append('note', 'hello');
      form.append('file', new Blob(['email\na@example.com\n']), 'a.csv');
      expect((await multipart(form)).status).toBe(202);
    });
  });

  describe('CSV export formula guard', () => {
    it("prefixes cells a spreadsheet would run with ' unless escape_formulas=false", async () => {
      await roster.db.deleteFrom('roster_contacts').execute();
      const project = await roster.projects.ensure('main');
      await roster.contacts.create(project.id, {
        email: '+1-x@example.com',
        firstName: '=cmd|calc',
        lastName: '@x',
      });
      const csv = async (query: string) => {
        const res = await fetch(`${server.url}/v1/contacts/export?format=csv${query}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        expect(res.headers.get('cache-control')).toBe('no-store');
        return (await res.text()).split('\n')[1];
      };
      expect(await csv('')).toMatch(/^"'\+1-x@example\.com","'=cmd\|calc","'@x",/);
      expect(await csv('&escape_formulas=false')).toMatch(/^"\+1-x@example\.com","=cmd\|calc","@x",/);
      expect((await request(`${server.url}/v1/contacts/export?escape_formulas=no`, { key })).status).toBe(
        400,
      );
    });
  });

  describe('response headers', () => {
    it.each([
      ['/contacts', true],
      ['/contacts', false],
      ['/v1/contacts', true],
      ['/v1/audiences', false],
      [`/v1/contacts/${ID}`, true],
    ])('%s (with key: %s) is nosniff and no-store', async (path, withKey) => {
      const res = await request(server.url + path, { key: withKey ? key : null });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
    });
  });
});
