import type { AddressInfo } from 'node:net';
import { createRoster, type Roster } from '@roster/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';

let roster: Roster;
let server: import('node:http').Server;
let base: string;

beforeAll(async () => {
  roster = await createRoster({ database: ':memory:', jobs: { pollIntervalMs: 20 } });
  await roster.jobs.start(); // as src/main.ts does: imports and bulk jobs run in this process
  const app = await createApp(roster, [
    { name: 'alice', team: 'acme', password: 'alice-password' },
    { name: 'bob', team: 'globex', password: 'bob-password' },
  ]);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await roster.close();
});

async function login(name: string): Promise<string> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: `${name}-password` }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

async function call(path: string, init: { cookie?: string; method?: string; body?: unknown } = {}) {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json');
  return { status: res.status, body: json ? JSON.parse(text) : text };
}

describe('an Express app embedding roster', () => {
  it('keeps its own routes and its own auth', async () => {
    expect((await call('/me')).status).toBe(401);
    const cookie = await login('alice');
    expect(await call('/me', { cookie })).toEqual({ status: 200, body: { user: 'alice', team: 'acme' } });
  });

  it('serves the Plunk API at /api/contacts for signed-in users, and 401 otherwise', async () => {
    const cookie = await login('alice');
    const created = await call('/api/contacts', {
      cookie,
      method: 'POST',
      body: { email: 'ada@example.com', data: { plan: 'pro' } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'ada@example.com',
      data: { plan: 'pro' },
      _meta: { isNew: true },
    });

    const page = await call('/api/contacts', { cookie });
    expect(page.status).toBe(200);
    expect(page.body.data.map((c: { email: string }) => c.email)).toContain('ada@example.com');

    const anonymous = await call('/api/contacts');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
  });

  it('gives each team its own contacts', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const mine = await call('/api/contacts', {
      cookie: alice,
      method: 'POST',
      body: { email: 'only-acme@example.com' },
    });
    expect((await call(`/api/contacts/${mine.body.id}`, { cookie: bob })).status).toBe(404);
    const bobs = await call('/api/contacts', { cookie: bob });
    expect(bobs.body.data.map((c: { email: string }) => c.email)).not.toContain('only-acme@example.com');
  });

  it('calls the core directly from its own signup handler', async () => {
    const first = await call('/signup/globex', { method: 'POST', body: { email: 'Grace@Example.com' } });
    expect(first).toEqual({ status: 201, body: { email: 'grace@example.com', welcome: true } });
    const again = await call('/signup/globex', { method: 'POST', body: { email: 'grace@example.com' } });
    expect(again).toEqual({ status: 200, body: { email: 'grace@example.com', welcome: false } });

    const bob = await login('bob');
    const listed = await call('/api/contacts?search=grace', { cookie: bob });
    expect(listed.body.data).toEqual([
      expect.objectContaining({ email: 'grace@example.com', data: { source: 'signup-form' } }),
    ]);
    expect((await call('/dashboard', { cookie: bob })).body.contacts).toBeGreaterThanOrEqual(1);

    const invalid = await call('/signup/globex', { method: 'POST', body: { email: 'nope' } });
    expect(invalid).toEqual({ status: 400, body: { error: 'email: must be a valid email address' } });
  });

  it('leaves paths outside /api/contacts to the app', async () => {
    const other = await call('/api/other');
    expect(other.status).toBe(404);
    expect(other.body).toContain('Cannot GET /api/other'); // Express's own 404 page, not roster's
    const alice = await login('alice');
    const unknownUnderRouter = await call('/api/contacts/x/y', { cookie: alice });
    expect(unknownUnderRouter.status).toBe(404);
    expect(unknownUnderRouter.body.error.code).toBe('NOT_FOUND');
  });

  it('completes a CSV import and a bulk job queued through /api, with the job runner started', async () => {
    const cookie = await login('alice');
    const form = new FormData();
    form.append('file', new Blob(['email\ngrace@example.com\nalan@example.com\n']), 'people.csv');
    const queued = await fetch(`${base}/api/contacts/import`, {
      method: 'POST',
      headers: { cookie },
      body: form,
    });
    expect(queued.status).toBe(202);
    const { jobId } = (await queued.json()) as { jobId: string };
    const waitFor = async (path: string) => {
      for (let i = 0; i < 300; i++) {
        const job = await call(path, { cookie });
        if (job.body.state === 'completed' || job.body.state === 'failed') return job.body;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${path} never finished`);
    };
    expect(await waitFor(`/api/contacts/import/${jobId}`)).toMatchObject({
      state: 'completed',
      result: { createdCount: 2, failureCount: 0 },
    });

    const page = await call('/api/contacts?search=grace', { cookie });
    const grace = page.body.data[0].id as string;
    const bulk = await call('/api/contacts/bulk-unsubscribe', {
      cookie,
      method: 'POST',
      body: { mode: 'ids', contactIds: [grace] },
    });
    expect(bulk.status).toBe(202);
    expect(await waitFor(`/api/contacts/bulk/${bulk.body.jobId}`)).toMatchObject({
      state: 'completed',
      result: { successCount: 1 },
    });
  });
});
