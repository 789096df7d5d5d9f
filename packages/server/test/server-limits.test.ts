import { connect, type Socket } from 'node:net';
import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';

let roster: Roster;
let running: RunningServer | undefined;
let key: string;

/** Opens a raw connection; resolves once connected, with a promise of everything read until close. */
function open(): Promise<{ socket: Socket; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(running!.port, '127.0.0.1');
    let text = '';
    const answer = new Promise<string>((done) => {
      socket.on('data', (d) => {
        text += d;
      });
      socket.on('close', () => done(text));
    });
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, answer }));
    socket.once('error', reject);
  });
}

describeEachDialect('roster server limits', (dialect) => {
  beforeEach(async () => {
    roster = await createTestRoster(dialect);
    key = (await roster.keys.create((await roster.projects.ensure('default')).id)).key;
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await roster.close();
  });

  it('answers 408 and closes a connection whose request is not complete within the request timeout', async () => {
    running = await startServer({
      roster,
      port: 0,
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
    const { socket, answer } = await open();
    // A valid key and a body that never completes.
    socket.write(
      `POST /contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":',
    );
    const started = Date.now();
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('closes a connection that never finishes its request head within the headers timeout', async () => {
    running = await startServer({
      roster,
      port: 0,
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
    const { socket, answer } = await open();
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('refuses connections beyond maxConnections while the first ones stay open', async () => {
    running = await startServer({ roster, port: 0, limits: { maxConnections: 2 } });
    const first = await open();
    const second = await open();
    const third = await open();
    // The third is closed by the server without an answer; the first two still work.
    expect(await third.answer).toBe('');
    first.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await first.answer).toMatch(/^HTTP\/1\.1 200 /);
    second.socket.destroy();
  });

  it('refuses a headers timeout longer than the request timeout', async () => {
    await expect(
      startServer({ roster, port: 0, limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } }),
    ).rejects.toThrow('must not exceed the request timeout');
  });

  it('applies jsonLimitBytes to the API routes of both dialects', async () => {
    running = await startServer({ roster, port: 0, jsonLimitBytes: 100 });
    const body = JSON.stringify({ email: 'a@example.com', data: { note: 'x'.repeat(200) } });
    for (const path of ['/contacts', '/v1/contacts']) {
      const res = await fetch(running.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(413);
    }
  });
});
