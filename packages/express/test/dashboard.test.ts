import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRosterRouter, dashboard } from '../src/index.js';
import { ISO, type Listening, listen, request, requestFrom } from './http-helpers.js';

let roster: Roster;
let server: Listening;
let key: string;
let otherKey: string;
let projectId: string;
let assets: string;

const CSRF = { 'x-roster-dashboard': '1' };

/** Signs in and returns the `name=value` of the session cookie. */
async function signIn(withKey = key): Promise<string> {
  const res = await request(`${server.url}/admin/api/session`, {
    method: 'POST',
    body: { key: withKey },
    headers: CSRF,
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

describeEachDialect('dashboard and management routes', (dialect) => {
  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    const project = await roster.projects.ensure('main');
    projectId = project.id;
    key = (await roster.keys.create(projectId)).key;
    otherKey = (await roster.keys.create((await roster.projects.ensure('other')).id)).key;
    // A stand-in build: these tests are about the routes, the real app is tested in Chromium.
    assets = mkdtempSync(join(tmpdir(), 'roster-dashboard-assets-'));
    mkdirSync(join(assets, 'assets'));
    writeFileSync(join(assets, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(assets, 'assets', 'app.js'), 'console.log(1)');
    const app = express();
    app.use('/admin', dashboard(roster, { assetsDir: assets, onError: () => {} }));
    app.use('/unbuilt', dashboard(roster, { assetsDir: join(assets, 'missing'), onError: () => {} }));
    app.use(
      '/host',
      dashboard(roster, {
        assetsDir: assets,
        resolveProject: (req) => (req.get('x-host-user') === 'ada' ? projectId : null),
      }),
    );
    app.use('/roster', createRosterRouter(roster, { onError: () => {} }));
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await roster.close();
    rmSync(assets, { recursive: true, force: true });
  });

  describe('the app', () => {
    it('serves index.html at the mount point with a strict CSP, after a redirect to the trailing slash', async () => {
      const redirect = await fetch(`${server.url}/admin`, { redirect: 'manual' });
      expect(redirect.status).toBe(308);
      expect(redirect.headers.get('location')).toBe('/admin/');
      const res = await fetch(`${server.url}/admin/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<title>app</title>');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const asset = await fetch(`${server.url}/admin/assets/app.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
    });

    it('says how to build the app when it is not built', async () => {
      const res = await fetch(`${server.url}/unbuilt/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('pnpm --filter @roster/dashboard build');
    });
  });

  describe('sign-in', () => {
    it('exchanges a secret key for an HttpOnly SameSite=Strict cookie scoped to the mount', async () => {
      const res = await request(`${server.url}/admin/api/session`, {
        method: 'POST',
        body: { key },
        headers: CSRF,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ signedIn: true, project: { id: projectId, name: 'main' }, auth: 'key' });
      const cookie = res.headers.get('set-cookie')!;
      expect(cookie).toMatch(
        /^roster_session=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=43200$/,
      );
      expect(cookie).not.toContain(key);
    });

    it.each([
      ['no key', {}, 400, 'key'],
      ['a public key', { key: 'pk_abcdefgh' }, 400, 'public key'],
      ['an unknown key', { key: 'sk_unknown_key_1234' }, 401, 'not valid'],
    ])('refuses %s in words', async (_name, body, status, words) => {
      const res = await request(`${server.url}/admin/api/session`, { method: 'POST', body, headers: CSRF });
      expect(res.status).toBe(status);
      expect(JSON.stringify(res.body.error)).toContain(words);
      expect(res.headers.get('set-cookie')).toBeNull();
    });

    it('answers the APIs with the session cookie and 401 without it', async () => {
      const cookie = await signIn();
      const withCookie = await request(`${server.url}/admin/api/contacts`, { headers: { cookie } });
      expect(withCookie.status).toBe(200);
      expect(withCookie.headers.get('cache-control')).toBe('no-store');
      expect((await request(`${server.url}/admin/api/v1/audiences`, { headers: { cookie } })).status).toBe(
        200,
      );
      expect(
        (await request(`${server.url}/admin/api/session`, { headers: { cookie } })).body.project.id,
      ).toBe(projectId);
      const without = await request(`${server.url}/admin/api/contacts`);
      expect(without.status).toBe(401);
      expect(without.body.error.message).toContain('sign in');
      // A Bearer key is not a dashboard session.
      expect((await request(`${server.url}/admin/api/contacts`, { key })).status).toBe(401);
    });

    it('answers the session probe 200 signed in or not, saying why when a session was lost', async () => {
      const none = await request(`${server.url}/admin/api/session`);
      expect(none.status).toBe(200);
      expect(none.body).toEqual({ signedIn: false });
      const unknown = await request(`${server.url}/admin/api/session`, {
        headers: { cookie: 'roster_session=not-a-session' },
      });
      expect(unknown.status).toBe(200);
      expect(unknown.body).toEqual({ signedIn: false });
      const temporary = await roster.keys.create(projectId);
      const cookie = await signIn(temporary.key);
      const signedIn = await request(`${server.url}/admin/api/session`, { headers: { cookie } });
      expect(signedIn.body).toEqual({
        signedIn: true,
        project: { id: projectId, name: 'main' },
        auth: 'key',
      });
      await roster.keys.revoke(temporary.id);
      const revoked = await request(`${server.url}/admin/api/session`, { headers: { cookie } });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({
        signedIn: false,
        message: 'The key of this session was revoked: sign in again',
      });
      // The APIs themselves still answer 401 without a session.
      expect((await request(`${server.url}/admin/api/contacts`, { headers: { cookie } })).status).toBe(401);
    });

    it('ends the session on sign-out and when its key is revoked', async () => {
      const cookie = await signIn();
      const out = await request(`${server.url}/admin/api/session`, {
        method: 'DELETE',
        headers: { cookie, ...CSRF },
      });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
      expect((await request(`${server.url}/admin/api/contacts`, { headers: { cookie } })).status).toBe(401);

      const temporary = await roster.keys.create(projectId);
      const second = await signIn(temporary.key);
      expect(
        (await request(`${server.url}/admin/api/contacts`, { headers: { cookie: second } })).status,
      ).toBe(200);
      await roster.keys.revoke(temporary.id);
      const revoked = await request(`${server.url}/admin/api/contacts`, { headers: { cookie: second } });
      expect(revoked.status).toBe(401);
      expect(revoked.body.error.message).toContain('revoked');
    });
  });

  describe('sign-in limits', () => {
    /** A fresh dashboard (its own sessions and throttles) at `/d` of a new server. */
    async function freshDashboard(options: Parameters<typeof dashboard>[1] = {}) {
      const app = express();
      app.use('/d', dashboard(roster, { assetsDir: assets, onError: () => {}, ...options }));
      return listen(app);
    }
    const signInFrom = (from: string, url: string, withKey: string, cookie?: string) =>
      requestFrom(from, `${url}/d/api/session`, {
        method: 'POST',
        body: { key: withKey },
        headers: { ...CSRF, ...(cookie ? { cookie } : {}) },
      });
    /** Whether the cookie's session is signed in (the probe answers 200 either way). */
    const signedIn = async (url: string, cookie: string) =>
      ((await request(`${url}/d/api/session`, { headers: { cookie } })).body as { signedIn: boolean })
        .signedIn;
    const cookieOf = (res: { headers: Record<string, unknown> }) =>
      String((res.headers['set-cookie'] as string[])[0]).split(';')[0]!;

    it('keeps another project’s session when one project signs in past the session bound', async () => {
      const fresh = await freshDashboard({
        maxSessionsPerProject: 5,
        signInLimits: { successesPerMinute: 1000 },
      });
      try {
        const mine = await signInFrom('127.0.0.1', fresh.url, key);
        expect(mine.status).toBe(200);
        const other = [];
        for (let n = 0; n < 8; n++) {
          const res = await signInFrom('127.0.0.1', fresh.url, otherKey);
          expect(res.status).toBe(200);
          other.push(cookieOf(res));
        }
        expect(await signedIn(fresh.url, cookieOf(mine))).toBe(true);
        // The other project's oldest sessions made room for its newest.
        expect(await signedIn(fresh.url, other[0]!)).toBe(false);
        expect(await signedIn(fresh.url, other[7]!)).toBe(true);
      } finally {
        await fresh.close();
      }
    });

    it('answers 429 with Retry-After after 10 wrong keys a minute from one address, to that address only', async () => {
      const fresh = await freshDashboard();
      try {
        for (let n = 0; n < 10; n++) {
          expect((await signInFrom('127.0.0.1', fresh.url, `sk_wrong_${n}`)).status).toBe(401);
        }
        const refused = await signInFrom('127.0.0.1', fresh.url, 'sk_wrong_again');
        expect(refused.status).toBe(429);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(refused.body).toEqual({
          success: false,
          error: {
            code: 'RATE_LIMIT_EXCEEDED',
            message: expect.stringContaining('Too many sign-ins with a wrong key'),
            statusCode: 429,
            requestId: expect.any(String),
            details: { retryAfter: Number(refused.headers['retry-after']) },
          },
          timestamp: ISO,
        });
        // Even the right key waits, from that address; another address signs in.
        expect((await signInFrom('127.0.0.1', fresh.url, key)).status).toBe(429);
        expect((await signInFrom('127.0.0.2', fresh.url, key)).status).toBe(200);
      } finally {
        await fresh.close();
      }
    });

    it('bounds successful sign-ins per project and address', async () => {
      const fresh = await freshDashboard({ signInLimits: { successesPerMinute: 3 } });
      try {
        for (let n = 0; n < 3; n++) expect((await signInFrom('127.0.0.1', fresh.url, key)).status).toBe(200);
        const refused = await signInFrom('127.0.0.1', fresh.url, key);
        expect(refused.status).toBe(429);
        expect(refused.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
        expect((await signInFrom('127.0.0.1', fresh.url, otherKey)).status).toBe(200);
        expect((await signInFrom('127.0.0.2', fresh.url, key)).status).toBe(200);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('CSRF', () => {
    it('refuses a state-changing request without the dashboard header, even signed in', async () => {
      const cookie = await signIn();
      const res = await request(`${server.url}/admin/api/contacts`, {
        method: 'POST',
        body: { email: 'csrf@example.com' },
        headers: { cookie },
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('X-Roster-Dashboard');
      expect(await roster.contacts.findByEmail(projectId, 'csrf@example.com')).toBeNull();
    });

    it('refuses a request from another origin', async () => {
      const cookie = await signIn();
      const res = await request(`${server.url}/admin/api/contacts`, {
        method: 'POST',
        body: { email: 'csrf@example.com' },
        headers: { cookie, ...CSRF, origin: 'https://evil.example' },
      });
      expect(res.status).toBe(403);
      const same = await request(`${server.url}/admin/api/contacts`, {
        method: 'POST',
        body: { email: 'same-origin@example.com' },
        headers: { cookie, ...CSRF, origin: server.url },
      });
      expect(same.status).toBe(201);
    });

    it('refuses a sign-in without the header (login CSRF)', async () => {
      const res = await request(`${server.url}/admin/api/session`, { method: 'POST', body: { key } });
      expect(res.status).toBe(403);
    });
  });

  describe("the host app's auth", () => {
    it('uses resolveProject instead of a sign-in', async () => {
      const res = await request(`${server.url}/host/api/session`, { headers: { 'x-host-user': 'ada' } });
      expect(res.body).toEqual({ signedIn: true, project: { id: projectId, name: 'main' }, auth: 'host' });
      const refused = await request(`${server.url}/host/api/session`, { headers: { 'x-host-user': 'eve' } });
      expect(refused.status).toBe(200);
      expect(refused.body).toEqual({ signedIn: false });
      expect(
        (await request(`${server.url}/host/api/contacts`, { headers: { 'x-host-user': 'ada' } })).status,
      ).toBe(200);
      expect((await request(`${server.url}/host/api/contacts`)).status).toBe(401);
      const signIn = await request(`${server.url}/host/api/session`, {
        method: 'POST',
        body: { key },
        headers: CSRF,
      });
      expect(signIn.status).toBe(409);
    });
  });

  describe('management API at /roster (Bearer keys)', () => {
    it('answers the key’s project', async () => {
      const res = await request(`${server.url}/roster/project`, { key });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: projectId, name: 'main' });
      expect((await request(`${server.url}/roster/project`)).status).toBe(401);
    });

    it('creates, lists and revokes keys of its own project only', async () => {
      const created = await request(`${server.url}/roster/keys`, { method: 'POST', key, body: {} });
      expect(created.status).toBe(201);
      expect(created.body.key).toMatch(/^sk_[0-9a-f]{48}$/);
      const list = await request(`${server.url}/roster/keys`, { key });
      expect(list.body.data.map((k: { id: string }) => k.id)).toContain(created.body.id);
      expect(JSON.stringify(list.body)).not.toContain(created.body.key);
      const foreign = await request(`${server.url}/roster/keys/${created.body.id}`, {
        method: 'DELETE',
        key: otherKey,
      });
      expect(foreign.status).toBe(404);
      expect((await request(`${server.url}/roster/project`, { key: created.body.key })).status).toBe(200);
      const revoked = await request(`${server.url}/roster/keys/${created.body.id}`, {
        method: 'DELETE',
        key,
      });
      expect(revoked.status).toBe(204);
      expect((await request(`${server.url}/roster/project`, { key: created.body.key })).status).toBe(401);
      const bad = await request(`${server.url}/roster/keys`, {
        method: 'POST',
        key,
        body: { prefix: 'BAD' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.errors[0].field).toBe('prefix');
    });

    it('reports an import’s row counts and errors', async () => {
      const job = await roster.imports.enqueue(projectId, {
        file: Buffer.from('email,plan\na@example.com,pro\nnot-an-email,x\n'),
        name: 'a.csv',
      });
      const waiting = await request(`${server.url}/roster/imports/${job.id}`, { key });
      expect(waiting.body).toMatchObject({ id: job.id, state: 'waiting', progress: 0, rows: { total: 0 } });
      await roster.jobs.runOnce();
      const done = await request(`${server.url}/roster/imports/${job.id}`, { key });
      expect(done.body).toMatchObject({
        state: 'completed',
        progress: 100,
        rows: { total: 2, created: 1, updated: 0, failed: 1 },
        errors: [{ row: 3, email: 'not-an-email', error: expect.any(String) }],
      });
      expect((await request(`${server.url}/roster/imports/${job.id}`, { key: otherKey })).status).toBe(404);
    });

    it('imports its own export back as the same contacts (POST /imports, multipart)', async () => {
      const source = (await roster.projects.ensure('export source')).id;
      const target = await roster.projects.ensure('import target');
      const targetKey = (await roster.keys.create(target.id)).key;
      await roster.contacts.create(source, {
        email: 'trip@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        subscribed: false,
        data: { Plan: 'Pro', first_name: 'data, not a name', created_at: 'kept' },
      });
      const sourceKey = (await roster.keys.create(source)).key;
      const csv = await fetch(`${server.url}/roster/contacts/export`, {
        headers: { authorization: `Bearer ${sourceKey}` },
      });
      const form = new FormData();
      form.append('file', new Blob([await csv.arrayBuffer()], { type: 'text/csv' }), 'café.csv');
      const res = await fetch(`${server.url}/roster/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${targetKey}` },
        body: form,
      });
      expect(res.status).toBe(202);
      const queued = (await res.json()) as { id: string; state: string };
      expect(queued).toMatchObject({ id: expect.any(String), state: 'waiting', progress: 0 });
      await roster.jobs.runOnce();
      const done = await request(`${server.url}/roster/imports/${queued.id}`, { key: targetKey });
      expect(done.body).toMatchObject({ state: 'completed', rows: { total: 1, created: 1, failed: 0 } });
      const copy = await roster.contacts.findByEmail(target.id, 'trip@example.com');
      expect(copy).toMatchObject({
        firstName: 'Ada',
        lastName: 'Lovelace',
        subscribed: false,
        data: { Plan: 'Pro', first_name: 'data, not a name', created_at: 'kept' },
      });
      // The file's name as the browser sent it (UTF-8), on the jobs list.
      const jobs = await request(`${server.url}/roster/jobs?type=import`, { key: targetKey });
      expect(jobs.body.data[0].summary.file).toBe('café.csv');
    });

    it('refuses an import without a file, naming the field', async () => {
      const res = await request(`${server.url}/roster/imports`, { method: 'POST', key, body: {} });
      expect(res.status).toBe(400);
      expect(res.body.error.errors).toEqual([
        { field: 'file', message: 'is required: send the CSV as the multipart field "file"' },
      ]);
    });

    it('names the file of an import that `roster import` reads in place, without its folders', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'roster-path-import-'));
      try {
        const path = join(dir, 'from-disk.csv');
        writeFileSync(path, 'email\ndisk@example.com\n');
        const { job } = await roster.imports.enqueueFromPath(projectId, path);
        const res = await request(`${server.url}/roster/jobs/${job.id}`, { key });
        expect(res.body.summary).toMatchObject({ kind: 'import', file: 'from-disk.csv' });
        expect(JSON.stringify(res.body)).not.toContain(dir);
        await roster.jobs.runOnce();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lists the project’s recent imports and bulk jobs, newest first, in pages, with their results', async () => {
      const other = (await roster.projects.ensure('other')).id;
      await roster.imports.enqueue(other, { file: Buffer.from('email\nz@example.com\n'), name: 'z.csv' });
      const imported = await roster.imports.enqueue(projectId, {
        file: Buffer.from('email\njob1@example.com\njob2@example.com\nbad\n'),
        name: 'people.csv',
      });
      await roster.jobs.runOnce();
      const contact = await roster.contacts.create(projectId, { email: 'bulk-target@example.com' });
      const bulkId = await roster.bulk.enqueue(projectId, 'unsubscribe', [contact.id]);
      const waiting = await request(`${server.url}/roster/jobs?limit=1`, { key });
      expect(waiting.status).toBe(200);
      expect(waiting.body.data).toEqual([
        expect.objectContaining({
          id: bulkId,
          type: 'bulk',
          state: 'waiting',
          progress: 0,
          finishedAt: null,
          summary: {
            kind: 'bulk',
            operation: 'unsubscribe',
            requested: 0,
            succeeded: 0,
            unchanged: 0,
            failed: 0,
          },
        }),
      ]);
      expect(waiting.body.hasMore).toBe(true);
      await roster.jobs.runOnce();
      const first = await request(`${server.url}/roster/jobs?limit=1`, { key });
      expect(first.body.data[0]).toMatchObject({
        id: bulkId,
        state: 'completed',
        progress: 100,
        finishedAt: ISO,
        summary: { kind: 'bulk', operation: 'unsubscribe', requested: 1, succeeded: 1, failed: 0 },
      });
      const second = await request(`${server.url}/roster/jobs?limit=1&cursor=${first.body.cursor}`, { key });
      expect(second.body.data[0]).toMatchObject({
        id: imported.id,
        type: 'import',
        state: 'completed',
        summary: {
          kind: 'import',
          file: 'people.csv',
          rows: { total: 3, created: 2, updated: 0, failed: 1 },
        },
      });
      expect(JSON.stringify(second.body)).not.toContain('payload');
      const all = await request(`${server.url}/roster/jobs?limit=100`, { key });
      expect(
        all.body.data.every((j: { type: string }) => ['import', 'import.local', 'bulk'].includes(j.type)),
      ).toBe(true);
      expect(all.body.data.map((j: { id: string }) => j.id)).not.toContain(undefined);
      const onlyImports = await request(`${server.url}/roster/jobs?type=import&limit=100`, { key });
      expect(onlyImports.body.data.map((j: { type: string }) => j.type)).not.toContain('bulk');
      const foreign = await request(`${server.url}/roster/jobs?limit=100`, { key: otherKey });
      expect(foreign.body.data.map((j: { id: string }) => j.id)).not.toContain(imported.id);
      const one = await request(`${server.url}/roster/jobs/${imported.id}`, { key });
      expect(one.body).toMatchObject({ id: imported.id, state: 'completed' });
      expect((await request(`${server.url}/roster/jobs/${imported.id}`, { key: otherKey })).status).toBe(404);
      const badLimit = await request(`${server.url}/roster/jobs?limit=0`, { key });
      expect(badLimit.status).toBe(400);
      expect(badLimit.body.error.errors[0].field).toBe('limit');
      const badCursor = await request(`${server.url}/roster/jobs?cursor=nope`, { key });
      expect(badCursor.status).toBe(400);
      expect(badCursor.body.error.errors[0].field).toBe('cursor');
    });

    it('lists and exports contacts with search, subscription, audience and segment filters together', async () => {
      const vip = await roster.audiences.create(projectId, { name: 'VIP' });
      const emails = ['f-ann@filters.test', 'f-bob@filters.test', 'f-cy@filters.test', 'f-dee@other.test'];
      for (const [i, email] of emails.entries()) {
        await roster.contacts.create(projectId, {
          email,
          subscribed: i !== 1,
          audienceId: i < 3 ? vip.id : null,
          data: { plan: i === 0 ? 'pro' : 'free' },
        });
      }
      const segment = await roster.segments.create(projectId, {
        name: 'Pro plan',
        condition: {
          logic: 'AND',
          groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
        },
      });
      const list = (query: string) => request(`${server.url}/roster/contacts?${query}`, { key });
      const emailsOf = (body: { data: { email: string }[] }) => body.data.map((c) => c.email).sort();

      const inAudience = await list(`audience_id=${vip.id}`);
      expect(inAudience.status).toBe(200);
      expect(inAudience.body.total).toBe(3);
      expect(emailsOf(inAudience.body)).toEqual(emails.slice(0, 3));
      const unsubscribedInAudience = await list(`audience_id=${vip.id}&subscribed=false&search=filters.test`);
      expect(unsubscribedInAudience.body).toMatchObject({
        total: 1,
        data: [{ email: 'f-bob@filters.test' }],
      });
      const inSegment = await list(`segment_id=${segment.id}&search=f-`);
      expect(inSegment.body).toMatchObject({ total: 1, data: [{ email: 'f-ann@filters.test' }] });
      const byEmail = await list('search=f-&sort=email&dir=desc&limit=2');
      expect(byEmail.body.data.map((c: { email: string }) => c.email)).toEqual([
        'f-dee@other.test',
        'f-cy@filters.test',
      ]);
      const next = await list(`search=f-&sort=email&dir=desc&limit=2&cursor=${byEmail.body.cursor}`);
      expect(next.body.data.map((c: { email: string }) => c.email)).toEqual([
        'f-bob@filters.test',
        'f-ann@filters.test',
      ]);
      expect(next.body.total).toBeUndefined();

      const csv = await fetch(
        `${server.url}/roster/contacts/export?format=csv&audience_id=${vip.id}&subscribed=true`,
        {
          headers: { authorization: `Bearer ${key}` },
        },
      );
      expect(csv.status).toBe(200);
      const lines = (await csv.text()).trim().split('\n');
      expect(lines[0]).toBe('email,first_name,last_name,subscribed,audience,created_at,data.plan');
      expect(
        lines
          .slice(1)
          .map((l) => l.split(',')[0])
          .sort(),
      ).toEqual(['"f-ann@filters.test"', '"f-cy@filters.test"']);
      const json = await request(
        `${server.url}/roster/contacts/export?format=json&segment_id=${segment.id}&search=f-`,
        {
          key,
        },
      );
      expect(json.body.data.map((c: { email: string }) => c.email)).toEqual(['f-ann@filters.test']);

      const badSubscribed = await list('subscribed=maybe');
      expect(badSubscribed.status).toBe(400);
      expect(badSubscribed.body.error.errors[0].field).toBe('subscribed');
      const badSort = await list('sort=name');
      expect(badSort.status).toBe(400);
      expect(badSort.body.error.errors[0].field).toBe('sort');
      const unknownSegment = await list('segment_id=0193a1b2-8000-7abc-9def-0123456789ab');
      expect(unknownSegment.status).toBe(404);
      const badFormat = await request(`${server.url}/roster/contacts/export?format=xml`, { key });
      expect(badFormat.status).toBe(400);
      expect(badFormat.body.error.errors[0].field).toBe('format');
      const foreign = await request(`${server.url}/roster/contacts?audience_id=${vip.id}`, { key: otherKey });
      expect(foreign.body).toMatchObject({ total: 0, data: [] });
    });
  });
});
