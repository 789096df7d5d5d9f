import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

const NOW = '2026-03-01T12:00:00.000Z';
const clock = () => new Date(NOW);

let roster: Roster | undefined;
afterEach(async () => {
  await roster?.close();
  roster = undefined;
});

describeEachDialect('static segment members', (dialect) => {
  it('records contact.created for each contact that createMissing creates, and nothing for existing ones', async () => {
    roster = await createTestRoster(dialect, { clock, jobs: { onError: () => {} } });
    const projectId = (await roster.projects.ensure('p')).id;
    const existing = await roster.contacts.create(projectId, { email: 'old@example.com' });
    const before = (await roster.changes.list(projectId, { limit: 1000 })).data.length;
    const segment = await roster.segments.create(projectId, { name: 'VIP', type: 'STATIC' });
    const result = await roster.segments.addMembers(projectId, segment.id, {
      emails: ['OLD@example.com', 'new1@example.com', 'new2@example.com', 'new1@example.com'],
      createMissing: true,
      subscribed: false,
    });
    expect(result).toEqual({ added: 3, created: 2, notFound: [] });
    const events = (await roster.changes.list(projectId, { limit: 1000 })).data.slice(before);
    const created = await Promise.all(
      ['new1@example.com', 'new2@example.com'].map((e) => roster!.contacts.findByEmail(projectId, e)),
    );
    // The same events as `contacts.createMany` records for new contacts: the contact as stored.
    expect(events.map(({ type, contactId, data }) => ({ type, contactId, data }))).toEqual(
      created.map((contact) => ({ type: 'contact.created', contactId: contact!.id, data: { contact } })),
    );
    expect(events.every((e) => e.contactId !== existing.id)).toBe(true);
    expect(created.map((c) => c!.subscribed)).toEqual([false, false]);
  });
});
