import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRosterRouter, dashboard } from '../src/index.js';
import { type Listening, listen, request } from './http-helpers.js';

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
      expect(res.body).toEqual({ project: { id: projectId, name: 'main' }, auth: 'key' });
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
      expect(res.body).toEqual({ project: { id: projectId, name: 'main' }, auth: 'host' });
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
  });
});
