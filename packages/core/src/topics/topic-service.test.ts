// `failure(promise)`: the RosterError it rejects with.
import { createTestRoster, describeEachDialect, rosterRejection as failure } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';
import type { Filter, FilterCondition } from '../segments/filter-types.js';

const NOW = '2026-03-01T12:00:00.000Z';
const clock = () => new Date(NOW);

let roster: Roster;
let projectId: string;

const topicIs = (topicId: string, operator: Filter['operator'], value: unknown): FilterCondition => ({
  logic: 'AND',
  groups: [{ filters: [{ field: `topic.${topicId}`, operator, value }] }],
});

async function matching(filter: FilterCondition): Promise<string[]> {
  const page = await roster.contacts.list(projectId, { filter, limit: 100, includeTotal: true });
  expect(await roster.contacts.count(projectId, { filter })).toBe(page.total);
  return page.data.map((c) => c.email.split('@')[0]!).sort();
}

describeEachDialect('topics', (dialect) => {
  beforeEach(async () => {
    roster = await createTestRoster(dialect, { clock, jobs: { onError: () => {} } });
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(async () => {
    await roster.close();
  });

  it('creates, gets, lists (newest first), updates and deletes topics of one project', async () => {
    const news = await roster.topics.create(projectId, { name: ' News ', defaultSubscription: 'opt_in' });
    expect(news).toEqual({
      id: expect.any(String),
      projectId,
      name: 'News',
      description: null,
      defaultSubscription: 'opt_in',
      visibility: 'private',
      createdAt: NOW,
      updatedAt: NOW,
    });
    const promo = await roster.topics.create(projectId, {
      name: 'Promotions',
      description: 'Deals',
      defaultSubscription: 'opt_out',
      visibility: 'public',
    });
    expect(await roster.topics.get(projectId, news.id.toUpperCase())).toEqual(news);
    expect((await roster.topics.list(projectId)).map((t) => t.name)).toEqual(['Promotions', 'News']);
    const updated = await roster.topics.update(projectId, promo.id, { name: 'Offers', description: null });
    expect(updated).toMatchObject({ name: 'Offers', description: null, visibility: 'public' });
    const other = (await roster.projects.ensure('other')).id;
    expect((await failure(roster.topics.get(other, news.id))).code).toBe('not_found');
    expect(await roster.topics.list(other)).toEqual([]);
    await roster.topics.delete(projectId, news.id);
    expect((await failure(roster.topics.get(projectId, news.id))).code).toBe('not_found');
    expect((await failure(roster.topics.delete(projectId, news.id))).code).toBe('not_found');
    expect((await failure(roster.topics.get(projectId, 'not-a-uuid'))).code).toBe('not_found');
  });

  it('rejects bad input naming the field', async () => {
    const issues = async (promise: Promise<unknown>) => {
      const error = await failure(promise);
      expect(error.code).toBe('validation_failed');
      return error.details.issues;
    };
    expect(
      await issues(roster.topics.create(projectId, { name: 'x'.repeat(51), defaultSubscription: 'opt_in' })),
    ).toEqual([{ field: 'name', message: 'must be at most 50 characters' }]);
    expect(
      await issues(roster.topics.create(projectId, { name: 'a', defaultSubscription: 'maybe' as 'opt_in' })),
    ).toEqual([{ field: 'defaultSubscription', message: 'must be opt_in or opt_out' }]);
    expect(
      await issues(
        roster.topics.create(projectId, {
          name: 'a',
          description: 'd'.repeat(201),
          defaultSubscription: 'opt_in',
        }),
      ),
    ).toEqual([{ field: 'description', message: 'must be at most 200 characters' }]);
    const topic = await roster.topics.create(projectId, { name: 'a', defaultSubscription: 'opt_in' });
    const fixed = await issues(
      roster.topics.update(projectId, topic.id, { defaultSubscription: 'opt_out' } as never),
    );
    expect(fixed?.map((i) => i.field)).toEqual(['defaultSubscription']);
    expect(
      await issues(roster.topics.update(projectId, topic.id, { visibility: 'secret' as 'public' })),
    ).toEqual([{ field: 'visibility', message: 'must be public or private' }]);
  });

  it("gives each topic the contact's own subscription, else the topic's default", async () => {
    const news = await roster.topics.create(projectId, { name: 'News', defaultSubscription: 'opt_in' });
    const promo = await roster.topics.create(projectId, { name: 'Promo', defaultSubscription: 'opt_out' });
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    expect(await roster.topics.contactTopics(projectId, ada.id)).toEqual([
      { id: promo.id, name: 'Promo', description: null, subscription: 'opt_out', explicit: false },
      { id: news.id, name: 'News', description: null, subscription: 'opt_in', explicit: false },
    ]);
    const set = await roster.topics.setContactTopics(projectId, ada.id, [
      { id: promo.id, subscription: 'opt_in' },
    ]);
    expect(set.map((t) => [t.name, t.subscription, t.explicit])).toEqual([
      ['Promo', 'opt_in', true],
      ['News', 'opt_in', false],
    ]);
    expect(await roster.topics.contactTopics(projectId, ada.id)).toEqual(set);
    // Deleting the topic deletes the contact's subscription to it; deleting the contact deletes all.
    await roster.topics.delete(projectId, promo.id);
    expect((await roster.topics.contactTopics(projectId, ada.id)).map((t) => t.name)).toEqual(['News']);
    await roster.topics.setContactTopics(projectId, ada.id, [{ id: news.id, subscription: 'opt_out' }]);
    await roster.contacts.delete(projectId, ada.id);
    const left = await roster.db.selectFrom('roster_contact_topics').selectAll().execute();
    expect(left).toEqual([]);
    expect((await failure(roster.topics.contactTopics(projectId, ada.id))).code).toBe('not_found');
  });

  it('refuses unknown topics and repeated ids in setContactTopics, naming the entry', async () => {
    const news = await roster.topics.create(projectId, { name: 'News', defaultSubscription: 'opt_in' });
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const otherTopic = await roster.topics.create((await roster.projects.ensure('other')).id, {
      name: 'Theirs',
      defaultSubscription: 'opt_in',
    });
    const unknown = await failure(
      roster.topics.setContactTopics(projectId, ada.id, [
        { id: news.id, subscription: 'opt_out' },
        { id: otherTopic.id, subscription: 'opt_in' },
      ]),
    );
    expect(unknown.code).toBe('validation_failed');
    expect(unknown.details.issues).toEqual([
      { field: '1.id', message: `topic ${otherTopic.id} does not exist in this project` },
    ]);
    const twice = await failure(
      roster.topics.setContactTopics(projectId, ada.id, [
        { id: news.id, subscription: 'opt_out' },
        { id: news.id.toUpperCase(), subscription: 'opt_in' },
      ]),
    );
    expect(twice.details.issues?.map((i) => i.field)).toEqual(['1.id']);
    const bad = await failure(
      roster.topics.setContactTopics(projectId, ada.id, [{ id: news.id, subscription: 'yes' as 'opt_in' }]),
    );
    expect(bad.details.issues).toEqual([{ field: '0.subscription', message: 'must be opt_in or opt_out' }]);
    // Nothing was written by the refused calls.
    expect((await roster.topics.contactTopics(projectId, ada.id))[0]!.explicit).toBe(false);
    expect((await failure(roster.topics.setContactTopics(projectId, news.id, []))).code).toBe('not_found');
  });

  it('records contact.updated naming the topics whose effective subscription changed', async () => {
    const news = await roster.topics.create(projectId, { name: 'News', defaultSubscription: 'opt_in' });
    const promo = await roster.topics.create(projectId, { name: 'Promo', defaultSubscription: 'opt_out' });
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const before = (await roster.changes.list(projectId, { limit: 1000 })).data.length;
    // news: explicit opt_in equals its default (no change); promo: opt_out -> opt_in.
    await roster.topics.setContactTopics(projectId, ada.id, [
      { id: news.id, subscription: 'opt_in' },
      { id: promo.id, subscription: 'opt_in' },
    ]);
    // The same again changes nothing and records nothing.
    await roster.topics.setContactTopics(projectId, ada.id, [{ id: promo.id, subscription: 'opt_in' }]);
    const events = (await roster.changes.list(projectId, { limit: 1000 })).data.slice(before);
    expect(events.map(({ type, contactId, data }) => ({ type, contactId, data }))).toEqual([
      {
        type: 'contact.updated',
        contactId: ada.id,
        data: {
          contact: ada,
          changed: ['topics'],
          previous: { topics: [{ id: promo.id, subscription: 'opt_out' }] },
          topics: [{ id: promo.id, name: 'Promo', subscription: 'opt_in', previous: 'opt_out' }],
        },
      },
    ]);
  });

  it('filters contacts by effective topic subscription, defaults applied', async () => {
    const news = await roster.topics.create(projectId, { name: 'News', defaultSubscription: 'opt_in' });
    const promo = await roster.topics.create(projectId, { name: 'Promo', defaultSubscription: 'opt_out' });
    const [a, b] = await Promise.all(
      ['a', 'b', 'c'].map((n) => roster.contacts.create(projectId, { email: `${n}@example.com` })),
    );
    await roster.topics.setContactTopics(projectId, a!.id, [{ id: news.id, subscription: 'opt_out' }]);
    await roster.topics.setContactTopics(projectId, b!.id, [{ id: promo.id, subscription: 'opt_in' }]);
    expect(await matching(topicIs(news.id, 'equals', 'opt_in'))).toEqual(['b', 'c']);
    expect(await matching(topicIs(news.id, 'equals', 'opt_out'))).toEqual(['a']);
    expect(await matching(topicIs(news.id, 'notEquals', 'opt_in'))).toEqual(['a']);
    expect(await matching(topicIs(promo.id.toUpperCase(), 'equals', 'opt_in'))).toEqual(['b']);
    expect(await matching(topicIs(promo.id, 'equals', 'opt_out'))).toEqual(['a', 'c']);
    // A segment over the topic sees the same contacts.
    const segment = await roster.segments.create(projectId, {
      name: 'Promo readers',
      condition: topicIs(promo.id, 'equals', 'opt_in'),
    });
    expect(segment.memberCount).toBe(1);
    // A topic a segment's filter names cannot be deleted (the segment would break).
    const refused = await failure(roster.topics.delete(projectId, promo.id));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toBe(
      `Topic ${promo.id} is used by the filter of segment "Promo readers" (${segment.id}): change or delete the segment first`,
    );
    await roster.segments.delete(projectId, segment.id);
    await roster.topics.delete(projectId, promo.id);
  });

  it('refuses a topic filter naming an unknown topic or a bad value, with the path', async () => {
    const theirs = await roster.topics.create((await roster.projects.ensure('other')).id, {
      name: 'Theirs',
      defaultSubscription: 'opt_in',
    });
    const issues = async (filter: FilterCondition) => {
      const error = await failure(roster.contacts.count(projectId, { filter }));
      expect(error.code).toBe('validation_failed');
      return error.details.issues;
    };
    expect(await issues(topicIs(theirs.id, 'equals', 'opt_in'))).toEqual([
      {
        field: 'filter.groups[0].filters[0].field',
        message: `topic ${theirs.id} does not exist in this project`,
      },
    ]);
    expect(await issues(topicIs(theirs.id, 'equals', true))).toEqual([
      { field: 'filter.groups[0].filters[0].value', message: 'must be "opt_in" or "opt_out"' },
    ]);
    expect((await issues(topicIs(theirs.id, 'contains', 'opt_in')))?.[0]?.field).toBe(
      'filter.groups[0].filters[0].operator',
    );
  });
});
