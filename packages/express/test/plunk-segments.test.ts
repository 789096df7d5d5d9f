import { describeEachDialect } from '@roster/test-harness';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyTables, ISO, request, UUID } from './http-helpers.js';
import { usePlunkServer } from './plunk-helpers.js';

let now: Date;

const pro = {
  logic: 'AND',
  groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
};

describeEachDialect('Plunk segments API', (dialect) => {
  beforeAll(() => {
    now = new Date('2026-04-01T00:00:00.000Z');
  });
  const s = usePlunkServer(dialect, { roster: { clock: () => now } });

  function api(path: string, init: { method?: string; body?: unknown; key?: string } = {}) {
    return request(`${s.base}${path}`, { method: init.method, body: init.body, key: init.key ?? s.key });
  }
  beforeEach(async () => {
    await emptyTables(s.roster, 'roster_segments', 'roster_contacts', 'roster_jobs');
    for (const [email, plan] of [
      ['a', 'pro'],
      ['b', 'pro'],
      ['c', 'free'],
    ] as const) {
      now = new Date(now.getTime() + 1000);
      await s.roster.contacts.create(s.projectId, { email: `${email}@example.com`, data: { plan } });
    }
  });

  describe('error size', () => {
    it('answers a 750 KB body full of problems with a small error: at most 20 issues, each clipped', async () => {
      const field = `data.${'x'.repeat(7_500)}`;
      const filters = Array.from({ length: 100 }, () => ({
        field: `nope${field}`,
        operator: 'equals',
        value: 1,
      }));
      const body = JSON.stringify({ name: 'n', condition: { logic: 'AND', groups: [{ filters }] } });
      expect(body.length).toBeGreaterThan(750_000);
      const res = await api('/segments', { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body).length).toBeLessThan(32 * 1024);
      const issues = res.body.error.errors as { field: string; message: string }[];
      expect(issues).toHaveLength(20);
      expect(issues[0]).toEqual({
        field: 'condition.groups[0].filters[0].field',
        message: expect.stringMatching(/^unsupported filter field "nopedata\.x+…"$/),
      });
      expect(res.body.error.message).toMatch(/; and 80 more problems$/);
    });
  });

  describe('CRUD', () => {
    it('creates a DYNAMIC segment with its count (201, Plunk’s shape) and lists newest first as a bare array', async () => {
      const created = await api('/segments', { method: 'POST', body: { name: 'Pro users', condition: pro } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: UUID,
        name: 'Pro users',
        description: null,
        type: 'DYNAMIC',
        condition: pro,
        trackMembership: false,
        memberCount: 2,
        projectId: s.projectId,
        createdAt: ISO,
        updatedAt: ISO,
        project: { name: 'main' },
      });
      now = new Date(now.getTime() + 1000);
      const st = await api('/segments', {
        method: 'POST',
        body: { name: 'Hand-picked', type: 'STATIC', condition: pro },
      });
      expect(st.body).toMatchObject({ type: 'STATIC', condition: null, memberCount: 0 });
      const list = await api('/segments');
      expect(list.status).toBe(200);
      expect(list.body.map((s: { name: string }) => s.name)).toEqual(['Hand-picked', 'Pro users']);
      expect((await api('/segments', { key: s.otherKey })).body).toEqual([]);
      expect((await api(`/segments/${created.body.id}`, { key: s.otherKey })).status).toBe(404);
    });

    it('answers Plunk’s flat 400s and a 400 envelope naming the bad node of a tree', async () => {
      expect(await api('/segments', { method: 'POST', body: { condition: pro } })).toMatchObject({
        status: 400,
        body: { error: 'Name is required' },
      });
      expect((await api('/segments', { method: 'POST', body: { name: 'x' } })).body).toEqual({
        error: 'Condition is required and must be an object for DYNAMIC segments',
      });
      const bad = await api('/segments', {
        method: 'POST',
        body: {
          name: 'x',
          condition: {
            logic: 'AND',
            groups: [{ filters: [] }, { filters: [{ field: 'email', operator: 'nope' }] }],
          },
        },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.errors.map((e: { field: string }) => e.field)).toEqual([
        'condition.groups[0]',
        'condition.groups[1].filters[0].operator',
      ]);
      const long = await api('/segments', {
        method: 'POST',
        body: { name: 'n'.repeat(101), condition: pro },
      });
      expect(long.status).toBe(400);
      expect(long.body.error.errors[0].field).toBe('name');
    });

    it('PATCH changes fields, recounts on a new condition, keeps type; DELETE answers 204', async () => {
      const id = (await api('/segments', { method: 'POST', body: { name: 'S', condition: pro } })).body.id;
      const free = {
        logic: 'OR',
        groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'free' }] }],
      };
      const patched = await api(`/segments/${id}`, {
        method: 'PATCH',
        body: { name: 'Free', condition: free, type: 'STATIC' },
      });
      expect(patched.body).toMatchObject({ name: 'Free', type: 'DYNAMIC', memberCount: 1, condition: free });
      expect((await api(`/segments/${id}`, { method: 'PATCH', body: { condition: 'x' } })).body).toEqual({
        error: 'Condition must be an object',
      });
      expect((await api(`/segments/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await api(`/segments/${id}`)).status).toBe(404);
    });

    it('refuses self references and cycles, and segments of another project', async () => {
      const a = (await api('/segments', { method: 'POST', body: { name: 'A', condition: pro } })).body.id;
      const refA = {
        logic: 'AND',
        groups: [{ filters: [{ field: `segment.${a}`, operator: 'memberOfSegment' }] }],
      };
      const b = await api('/segments', { method: 'POST', body: { name: 'B', condition: refA } });
      expect(b.body.memberCount).toBe(2);
      const self = await api(`/segments/${a}`, {
        method: 'PATCH',
        body: {
          condition: {
            logic: 'AND',
            groups: [{ filters: [{ field: `segment.${a}`, operator: 'memberOfSegment' }] }],
          },
        },
      });
      expect(self.status).toBe(400);
      const cycle = await api(`/segments/${a}`, {
        method: 'PATCH',
        body: {
          condition: {
            logic: 'AND',
            groups: [{ filters: [{ field: `segment.${b.body.id}`, operator: 'notMemberOfSegment' }] }],
          },
        },
      });
      expect(cycle.status).toBe(400);
      expect(cycle.body.error.errors[0].field).toBe('condition.groups[0].filters[0].field');
      const foreign = await api('/segments', {
        method: 'POST',
        key: s.otherKey,
        body: { name: 'F', condition: refA },
      });
      expect(foreign.status).toBe(400);
      expect(foreign.body.error.errors[0].message).toMatch(/does not exist in this project/);
    });
  });

  describe('members and contacts', () => {
    it('pages a DYNAMIC segment’s contacts newest first with page/pageSize (capped at 100)', async () => {
      const id = (await api('/segments', { method: 'POST', body: { name: 'P', condition: pro } })).body.id;
      const first = await api(`/segments/${id}/contacts?page=1&pageSize=1`);
      expect(first.body).toMatchObject({ total: 2, page: 1, pageSize: 1, totalPages: 2 });
      expect(first.body.data.map((c: { email: string }) => c.email)).toEqual(['b@example.com']);
      const second = await api(`/segments/${id}/contacts?page=2&pageSize=1`);
      expect(second.body.data.map((c: { email: string }) => c.email)).toEqual(['a@example.com']);
      expect((await api(`/segments/${id}/contacts?pageSize=500`)).body.pageSize).toBe(100);
    });

    it('adds and removes STATIC members by email, creating missing ones on request', async () => {
      const id = (await api('/segments', { method: 'POST', body: { name: 'VIP', type: 'STATIC' } })).body.id;
      const added = await api(`/segments/${id}/members`, {
        method: 'POST',
        body: { emails: ['A@example.com', 'a@example.com', 'new@example.com', 'ghost@example.com'] },
      });
      expect(added.body).toEqual({
        added: 1,
        created: 0,
        notFound: ['new@example.com', 'ghost@example.com'],
      });
      const created = await api(`/segments/${id}/members`, {
        method: 'POST',
        body: { emails: ['new@example.com', 'a@example.com'], createMissing: true, subscribed: false },
      });
      expect(created.body).toEqual({ added: 2, created: 1, notFound: [] });
      expect((await s.roster.contacts.findByEmail(s.projectId, 'new@example.com'))!.subscribed).toBe(false);
      expect((await api(`/segments/${id}`)).body.memberCount).toBe(2);
      const contacts = await api(`/segments/${id}/contacts`);
      expect(contacts.body.total).toBe(2);
      const removed = await api(`/segments/${id}/members`, {
        method: 'DELETE',
        body: { emails: ['NEW@example.com', 'c@example.com'] },
      });
      expect(removed.body).toEqual({ removed: 2 });
      expect((await api(`/segments/${id}`)).body.memberCount).toBe(1);
      expect((await api(`/segments/${id}/members`, { method: 'POST', body: { emails: [] } })).body).toEqual({
        error: 'emails must be a non-empty array',
      });
      const dyn = (await api('/segments', { method: 'POST', body: { name: 'D', condition: pro } })).body.id;
      const wrong = await api(`/segments/${dyn}/members`, {
        method: 'POST',
        body: { emails: ['a@example.com'] },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.message).toBe('Can only add contacts to STATIC segments');
      // memberOfSegment of a STATIC segment uses its members.
      const inVip = await s.roster.contacts.count(s.projectId, {
        filter: {
          logic: 'AND',
          groups: [{ filters: [{ field: `segment.${id}`, operator: 'memberOfSegment' }] }],
        },
      });
      expect(inVip).toBe(1);
    });

    it('refresh recounts the cache; compute needs trackMembership and records entry/exit events', async () => {
      const id = (await api('/segments', { method: 'POST', body: { name: 'Pro Users!', condition: pro } }))
        .body.id;
      await s.roster.contacts.create(s.projectId, { email: 'd@example.com', data: { plan: 'pro' } });
      expect((await api(`/segments/${id}`)).body.memberCount).toBe(2);
      expect((await api(`/segments/${id}/refresh`, { method: 'POST' })).body).toEqual({ memberCount: 3 });
      expect((await api(`/segments/${id}/compute`, { method: 'POST' })).status).toBe(400);
      await api(`/segments/${id}`, { method: 'PATCH', body: { trackMembership: true } });
      expect((await api(`/segments/${id}/compute`, { method: 'POST' })).body).toEqual({
        added: 3,
        removed: 0,
        total: 3,
      });
      const a = (await s.roster.contacts.findByEmail(s.projectId, 'a@example.com'))!;
      await s.roster.contacts.update(s.projectId, a.id, { data: { plan: 'free' } });
      expect((await api(`/segments/${id}/compute`, { method: 'POST' })).body).toEqual({
        added: 0,
        removed: 1,
        total: 2,
      });
      const events = await s.roster.events.list(s.projectId, a.id);
      expect(events.map((e) => e.name)).toEqual(['segment.pro-users.exit', 'segment.pro-users.entry']);
      expect(events[0]!.data).toEqual({ segmentId: id, segmentName: 'Pro Users!' });
    });

    it('a periodic durable job refreshes every memberCount', async () => {
      const id = (await api('/segments', { method: 'POST', body: { name: 'P', condition: pro } })).body.id;
      await s.roster.contacts.create(s.projectId, { email: 'e@example.com', data: { plan: 'pro' } });
      await s.roster.jobs.runOnce();
      expect((await api(`/segments/${id}`)).body.memberCount).toBe(2);
      now = new Date(now.getTime() + 5 * 60_000 + 1);
      expect(await s.roster.jobs.runOnce()).toBe(1);
      expect((await api(`/segments/${id}`)).body.memberCount).toBe(3);
      const next = await s.roster.jobs.unfinished(s.projectId, 'segments.refresh');
      expect(next).toHaveLength(1);
    });
  });
});
