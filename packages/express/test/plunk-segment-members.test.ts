import { describeEachDialect } from '@roster/test-harness';
import { beforeEach, expect, it } from 'vitest';
import { emptyTables, request } from './http-helpers.js';
import { usePlunkServer } from './plunk-helpers.js';

describeEachDialect('Plunk STATIC segment members', (dialect) => {
  const s = usePlunkServer(dialect);
  beforeEach(async () => {
    await emptyTables(s.roster, 'roster_segments', 'roster_contacts', 'roster_jobs');
  });

  it('POST /segments/:id/members with createMissing records contact.created for the contacts it creates', async () => {
    const api = (path: string, body: unknown) =>
      request(`${s.base}${path}`, { method: 'POST', body, key: s.key });
    await s.roster.contacts.create(s.projectId, { email: 'old@example.com' });
    const id = (await api('/segments', { name: 'VIP', type: 'STATIC' })).body.id as string;
    const before = (await s.roster.changes.list(s.projectId, { limit: 1000 })).data.length;
    const res = await api(`/segments/${id}/members`, {
      emails: ['old@example.com', 'new@example.com'],
      createMissing: true,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ added: 2, created: 1, notFound: [] });
    const contact = await s.roster.contacts.findByEmail(s.projectId, 'new@example.com');
    const events = (await s.roster.changes.list(s.projectId, { limit: 1000 })).data.slice(before);
    expect(events.map(({ type, contactId, data }) => ({ type, contactId, data }))).toEqual([
      { type: 'contact.created', contactId: contact!.id, data: { contact } },
    ]);
  });
});
