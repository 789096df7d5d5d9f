import { describeEachDialect } from '@roster/test-harness';
import { expect, it } from 'vitest';
import { callerOf, ISO, UUID } from './http-helpers.js';
import { useRosterApi } from './roster-helpers.js';

describeEachDialect('/roster topics and properties', (dialect) => {
  const s = useRosterApi(dialect, [
    'roster_segments',
    'roster_contacts',
    'roster_topics',
    'roster_contact_properties',
  ]);
  const call = callerOf(s);

  it('creates, lists, reads, changes and deletes a topic', async () => {
    const created = await call('POST', '/topics', {
      name: 'Product news',
      description: 'Monthly',
      defaultSubscription: 'opt_in',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: UUID,
      projectId: s.projectId,
      name: 'Product news',
      description: 'Monthly',
      defaultSubscription: 'opt_in',
      visibility: 'private',
      createdAt: ISO,
      updatedAt: ISO,
    });
    const id = created.body.id;
    expect((await call('GET', '/topics')).body).toEqual({ data: [created.body] });
    expect((await call('GET', `/topics/${id}`)).body).toEqual(created.body);
    const changed = await call('PATCH', `/topics/${id}`, {
      name: 'News',
      visibility: 'public',
      description: null,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id, name: 'News', visibility: 'public', description: null });
    expect((await call('DELETE', `/topics/${id}`)).status).toBe(204);
    expect((await call('GET', `/topics/${id}`)).status).toBe(404);
  });

  it('answers bad topic input with a 400 naming the field', async () => {
    const missing = await call('POST', '/topics', { name: 'News' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.errors).toEqual([
      { field: 'defaultSubscription', message: 'must be opt_in or opt_out' },
    ]);
    const { body } = await call('POST', '/topics', { name: 'News', defaultSubscription: 'opt_out' });
    const fixed = await call('PATCH', `/topics/${body.id}`, { defaultSubscription: 'opt_in' });
    expect(fixed.status).toBe(400);
    expect(fixed.body.error.errors[0].field).toBe('defaultSubscription');
    expect((await call('POST', '/topics', 'not json')).status).toBe(400);
  });

  it('refuses to delete a topic a segment filter uses, with a 409 naming the segment', async () => {
    const { body: topic } = await call('POST', '/topics', { name: 'News', defaultSubscription: 'opt_in' });
    await s.roster.segments.create(s.projectId, {
      name: 'Readers',
      condition: {
        logic: 'AND',
        groups: [{ filters: [{ field: `topic.${topic.id}`, operator: 'equals', value: 'opt_in' }] }],
      },
    } as never);
    const refused = await call('DELETE', `/topics/${topic.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('Readers');
    expect((await call('GET', `/topics/${topic.id}`)).status).toBe(200);
  });

  it('shows and switches a contact’s topics, the default applied where it has not chosen', async () => {
    const { body: news } = await call('POST', '/topics', { name: 'News', defaultSubscription: 'opt_in' });
    const { body: offers } = await call('POST', '/topics', {
      name: 'Offers',
      defaultSubscription: 'opt_out',
    });
    const contact = await s.roster.contacts.create(s.projectId, { email: 'ada@example.com' });
    const before = await call('GET', `/contacts/${contact.id}/topics`);
    expect(before.body).toEqual({
      data: [
        { id: offers.id, name: 'Offers', description: null, subscription: 'opt_out', explicit: false },
        { id: news.id, name: 'News', description: null, subscription: 'opt_in', explicit: false },
      ],
    });
    const put = await call('PUT', `/contacts/${contact.id}/topics`, {
      topics: [{ id: news.id, subscription: 'opt_out' }],
    });
    expect(put.status).toBe(200);
    expect(put.body.data).toEqual([
      { id: offers.id, name: 'Offers', description: null, subscription: 'opt_out', explicit: false },
      { id: news.id, name: 'News', description: null, subscription: 'opt_out', explicit: true },
    ]);
    expect((await call('GET', `/contacts/${contact.id}/topics`)).body).toEqual(put.body);
  });

  it('answers a bad topics body with a 400 naming topics.<i>.<field>', async () => {
    const contact = await s.roster.contacts.create(s.projectId, { email: 'ada@example.com' });
    const path = `/contacts/${contact.id}/topics`;
    const notArray = await call('PUT', path, { topics: 'opt_in' });
    expect(notArray.status).toBe(400);
    expect(notArray.body.error.errors).toEqual([
      { field: 'topics', message: 'must be an array of { id, subscription }' },
    ]);
    const { body: news } = await call('POST', '/topics', { name: 'News', defaultSubscription: 'opt_in' });
    const bad = await call('PUT', path, { topics: [{ id: news.id, subscription: 'maybe' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.errors).toEqual([
      { field: 'topics.0.subscription', message: 'must be opt_in or opt_out' },
    ]);
    const unknown = await call('PUT', path, {
      topics: [{ id: '0190b0a0-0000-7000-8000-000000000000', subscription: 'opt_in' }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.errors[0].field).toBe('topics.0.id');
    expect((await call('GET', '/contacts/0190b0a0-0000-7000-8000-000000000000/topics')).status).toBe(404);
  });

  it('keeps each project’s topics and properties to itself', async () => {
    const { body: topic } = await call('POST', '/topics', { name: 'News', defaultSubscription: 'opt_in' });
    await call('POST', '/properties', { key: 'plan', type: 'string' });
    expect((await call('GET', '/topics', undefined, s.otherKey)).body).toEqual({ data: [] });
    expect((await call('GET', `/topics/${topic.id}`, undefined, s.otherKey)).status).toBe(404);
    expect((await call('DELETE', `/topics/${topic.id}`, undefined, s.otherKey)).status).toBe(404);
    expect((await call('GET', '/properties/plan', undefined, s.otherKey)).status).toBe(404);
    // A key outside the key rules (NUL included: PostgreSQL refuses it in text) names no property.
    expect((await call('GET', '/properties/a%00b')).status).toBe(404);
    expect((await call('DELETE', '/properties/a%00b')).status).toBe(404);
    expect((await call('PATCH', '/properties/a%00b', { fallbackValue: null })).status).toBe(404);
    expect((await call('GET', '/properties', undefined, s.otherKey)).body).toEqual({ data: [] });
    expect((await call('GET', '/topics', undefined, null)).status).toBe(401);
  });

  it('declares, lists, reads (by id or key), changes the fallback of and deletes a property', async () => {
    const created = await call('POST', '/properties', { key: 'seats', type: 'number', fallbackValue: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: UUID,
      projectId: s.projectId,
      key: 'seats',
      type: 'number',
      fallbackValue: 1,
      createdAt: ISO,
    });
    expect((await call('GET', '/properties')).body).toEqual({ data: [created.body] });
    expect((await call('GET', '/properties/seats')).body).toEqual(created.body);
    expect((await call('GET', `/properties/${created.body.id}`)).body).toEqual(created.body);
    const changed = await call('PATCH', '/properties/seats', { fallbackValue: 5 });
    expect(changed.body).toEqual({ ...created.body, fallbackValue: 5 });
    const wrong = await call('PATCH', '/properties/seats', { fallbackValue: 'five' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.errors[0].field).toBe('fallbackValue');
    expect((await call('POST', '/properties', { key: 'seats', type: 'string' })).status).toBe(409);
    const badKey = await call('POST', '/properties', { key: 'has space', type: 'string' });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.errors[0].field).toBe('key');
    expect((await call('DELETE', '/properties/seats')).status).toBe(204);
    expect((await call('GET', '/properties/seats')).status).toBe(404);
  });

  it('refuses to delete a property a segment filter uses, with a 409', async () => {
    await call('POST', '/properties', { key: 'plan', type: 'string' });
    await s.roster.segments.create(s.projectId, {
      name: 'Pro',
      condition: {
        logic: 'AND',
        groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
      },
    } as never);
    const refused = await call('DELETE', '/properties/plan');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('Pro');
  });
});
