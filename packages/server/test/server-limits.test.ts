import { request as httpRequest } from 'node:http';
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

/**
 * Opens `count` raw connections from `localAddress` that never send a byte; resolves once each one
 * is connected or already closed (by the server) and at most `settleAt` are still open (or 5 s have
 * passed), with the sockets still open.
 */
async function halfOpen(
  port: number,
  count: number,
  localAddress: string,
  settleAt: number,
): Promise<Socket[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect({ port, host: '127.0.0.1', localAddress });
          socket.on('error', () => {});
          socket.once('connect', () => resolve(socket));
          socket.once('close', () => resolve(socket));
        }),
    ),
  );
  // Give the server time to close the ones it refuses (on a loaded machine this takes longer than a
  // moment): wait until no more than `settleAt` are open, or 5 s, then hand back the open ones.
  const deadline = Date.now() + 5000;
  while (sockets.filter((socket) => !socket.destroyed).length > settleAt && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 50));
  }
  await new Promise((done) => setTimeout(done, 100));
  return sockets.filter((socket) => !socket.destroyed);
}

/** GET /health from `localAddress` on a fresh connection: the status, or 0 when the connection failed. */
function healthFrom(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/health', localAddress, agent: false, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
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

  /** A server whose headers and request timeouts are short enough to wait for in a test. */
  const startWithShortTimeouts = () =>
    startServer({ roster, port: 0, limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });

  it('answers 408 and closes a connection whose request is not complete within the request timeout', async () => {
    running = await startWithShortTimeouts();
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
    running = await startWithShortTimeouts();
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

  it('keeps answering other clients while one address holds hundreds of half-open connections', async () => {
    running = await startServer({
      roster,
      port: 0,
      limits: { maxConnections: 200, maxConnectionsPerClient: 50 },
    });
    // One client (127.0.0.1) opens 300 connections and never sends a request.
    const attacker = await halfOpen(running.port, 300, '127.0.0.1', 50);
    try {
      // Everyone else (127.0.0.2: Linux routes all of 127/8 to lo) is still served.
      const statuses: number[] = [];
      for (let batch = 0; batch < 10; batch++) {
        statuses.push(
          ...(await Promise.all(Array.from({ length: 10 }, () => healthFrom(running!.port, '127.0.0.2')))),
        );
      }
      const answered = statuses.filter((status) => status === 200).length;
      expect(answered / statuses.length).toBeGreaterThanOrEqual(0.95);
      expect(attacker.length).toBeLessThanOrEqual(50);
    } finally {
      for (const socket of attacker) socket.destroy();
    }
  });

  it('closes a connection that sends nothing within the headers timeout', async () => {
    running = await startWithShortTimeouts();
    const started = Date.now();
    const { answer } = await open();
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(3000);
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
