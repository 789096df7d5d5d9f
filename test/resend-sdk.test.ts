import type { Roster } from '@roster/core';
import { type RunningServer, startServer } from '@roster/server';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { Resend } from 'resend';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The official Resend SDK (resend 6.22.0), unchanged, against `roster serve`'s app: only `baseUrl`
 * points at roster (`<server>/resend`), with a `re_` key.
 */
const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
const TIME = expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+00$/);

describeEachDialect('resend SDK against roster', (dialect) => {
  let roster: Roster;
  let server: RunningServer;
  let resend: Resend;
  let other: Resend;
  let projectId: string;
  const unexpected: unknown[] = [];

  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    const project = await roster.projects.ensure(`resend-sdk-${Date.now()}`);
    const otherProject = await roster.projects.ensure(`resend-sdk-other-${Date.now()}`);
    projectId = project.id;
    server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: (e) => unexpected.push(e) });
    const baseUrl = `${server.url}/resend`;
    resend = new Resend((await roster.keys.create(project.id, { prefix: 're_' })).key, { baseUrl });
    other = new Resend((await roster.keys.create(otherProject.id, { prefix: 're_' })).key, { baseUrl });
  });
  afterAll(async () => {
    await server?.close();
    await roster?.close();
    expect(unexpected).toEqual([]);
  });

  it('refuses a key of another dialect as an invalid key', async () => {
    const sk = new Resend((await roster.keys.create(projectId)).key, { baseUrl: `${server.url}/resend` });
    const res = await sk.contacts.list();
    expect(res.data).toBeNull();
    expect(res.error).toMatchObject({ statusCode: 403, name: 'invalid_api_key' });
  });

  it("answers paths roster does not serve under /resend (e.g. sending) 404 in Resend's shape", async () => {
    const res = await fetch(`${server.url}/resend/emails`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ statusCode: 404, message: expect.any(String), name: 'not_found' });
  });

  it('creates, gets, updates, lists and removes contacts', async () => {
    const created = await resend.contacts.create({
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      unsubscribed: false,
      properties: { plan: 'pro' },
    });
    expect(created.error).toBeNull();
    expect(created.data).toEqual({ object: 'contact', id: UUID });
    const id = created.data!.id;
    const got = await resend.contacts.get({ email: 'ada@example.com' });
    expect(got.data).toEqual({
      object: 'contact',
      id,
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      created_at: TIME,
      unsubscribed: false,
      properties: { plan: 'pro' },
    });
    expect((await resend.contacts.get(id)).data).toEqual(got.data);
    const updated = await resend.contacts.update({ id, firstName: 'Augusta', unsubscribed: true });
    expect(updated.data).toEqual({ object: 'contact', id });
    expect((await resend.contacts.get({ id })).data).toMatchObject({
      first_name: 'Augusta',
      unsubscribed: true,
    });
    const bob = (await resend.contacts.create({ email: 'bob@example.com' })).data!.id;
    const page = await resend.contacts.list({ limit: 1 });
    expect(page.data).toMatchObject({ object: 'list', has_more: true, data: [{ id: bob }] });
    const next = await resend.contacts.list({ limit: 1, after: bob });
    expect(next.data?.data.map((c) => c.id)).toEqual([id]);
    expect((await other.contacts.get(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
    expect((await resend.contacts.remove({ email: 'bob@example.com' })).data).toEqual({
      object: 'contact',
      contact: 'bob@example.com',
      deleted: true,
    });
    expect((await resend.contacts.remove(id)).data).toEqual({
      object: 'contact',
      contact: id,
      deleted: true,
    });
    expect((await resend.contacts.get(id)).error).toEqual({
      statusCode: 404,
      name: 'not_found',
      message: 'Contact not found',
    });
    const missing = await resend.contacts.create({} as never);
    expect(missing.error).toEqual({
      statusCode: 422,
      name: 'missing_required_field',
      message: 'Missing `email` field.',
    });
  });

  it("manages segments (and audiences), a contact's segments and a segment's contacts", async () => {
    const segment = await resend.segments.create({ name: 'Customers' });
    expect(segment.data).toEqual({ object: 'segment', id: UUID, name: 'Customers' });
    const segmentId = segment.data!.id;
    expect((await resend.segments.get(segmentId)).data).toEqual({
      object: 'segment',
      id: segmentId,
      name: 'Customers',
      created_at: TIME,
    });
    expect((await resend.audiences.list()).data?.data.map((s) => s.id)).toContain(segmentId);
    const carol = (
      await resend.contacts.create({ email: 'carol@example.com', segments: [{ id: segmentId }] })
    ).data!.id;
    const dan = (await resend.contacts.create({ email: 'dan@example.com' })).data!.id;
    expect((await resend.contacts.segments.add({ email: 'dan@example.com', segmentId })).error).toBeNull();
    const listed = await resend.contacts.segments.list({ contactId: dan });
    expect(listed.data?.data.map((s) => s.id)).toEqual([segmentId]);
    const members = await resend.contacts.list({ segmentId });
    expect(members.data?.data.map((c) => c.id)).toEqual([dan, carol]);
    expect((await resend.contacts.segments.remove({ contactId: dan, segmentId })).error).toBeNull();
    expect((await resend.contacts.list({ audienceId: segmentId })).data?.data.map((c) => c.id)).toEqual([
      carol,
    ]);
    // The legacy audience-scoped contact calls.
    const legacy = await resend.contacts.create({ audienceId: segmentId, email: 'eve@example.com' });
    expect(legacy.data).toEqual({ object: 'contact', id: UUID });
    expect((await resend.contacts.get({ audienceId: segmentId, email: 'eve@example.com' })).data?.id).toBe(
      legacy.data!.id,
    );
    // Removing from an audience takes the contact out of it; the contact itself stays.
    expect((await resend.contacts.remove({ audienceId: segmentId, email: 'eve@example.com' })).data).toEqual({
      object: 'contact',
      id: legacy.data!.id,
      deleted: true,
    });
    expect(
      (await resend.contacts.get({ audienceId: segmentId, email: 'eve@example.com' })).error,
    ).toMatchObject({
      statusCode: 404,
      name: 'not_found',
    });
    expect((await resend.contacts.get({ email: 'eve@example.com' })).data?.id).toBe(legacy.data!.id);
    expect((await resend.segments.remove(segmentId)).data).toEqual({
      object: 'segment',
      id: segmentId,
      deleted: true,
    });
    expect((await resend.segments.get(segmentId)).error).toMatchObject({
      statusCode: 404,
      name: 'not_found',
    });
  });

  it("manages topics and a contact's topic subscriptions", async () => {
    const news = await resend.topics.create({
      name: 'News',
      description: 'Weekly',
      defaultSubscription: 'opt_in',
    });
    expect(news.error).toBeNull();
    const topicId = news.data!.id;
    expect((await resend.topics.get(topicId)).data).toMatchObject({
      id: topicId,
      name: 'News',
      description: 'Weekly',
      default_subscription: 'opt_in',
      created_at: TIME,
    });
    expect((await resend.topics.list()).data?.data.map((t) => t.id)).toContain(topicId);
    expect((await resend.topics.update({ id: topicId, name: 'Digest' })).error).toBeNull();
    const contact = (await resend.contacts.create({ email: 'fay@example.com' })).data!.id;
    expect((await resend.contacts.topics.list({ id: contact })).data?.data).toEqual([
      { id: topicId, name: 'Digest', description: 'Weekly', subscription: 'opt_in' },
    ]);
    const set = await resend.contacts.topics.update({
      email: 'fay@example.com',
      topics: [{ id: topicId, subscription: 'opt_out' }],
    });
    expect(set.data).toEqual({ id: contact });
    expect(
      (await resend.contacts.topics.list({ email: 'fay@example.com' })).data?.data[0]?.subscription,
    ).toBe('opt_out');
    expect((await resend.topics.remove(topicId)).data).toEqual({
      object: 'topic',
      id: topicId,
      deleted: true,
    });
  });

  it('manages contact properties and enforces their type', async () => {
    const created = await resend.contactProperties.create({ key: 'seats', type: 'number', fallbackValue: 1 });
    expect(created.data).toEqual({ object: 'contact_property', id: UUID });
    const id = created.data!.id;
    expect((await resend.contactProperties.get(id)).data).toMatchObject({
      object: 'contact_property',
      id,
      key: 'seats',
      type: 'number',
      fallbackValue: 1,
    });
    expect((await resend.contactProperties.list()).data?.data.map((p) => p.id)).toEqual([id]);
    expect((await resend.contactProperties.update({ id, fallbackValue: 2 })).error).toBeNull();
    expect((await resend.contactProperties.get(id)).data).toMatchObject({ fallbackValue: 2 });
    const wrong = await resend.contacts.create({ email: 'gus@example.com', properties: { seats: 'many' } });
    expect(wrong.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    expect(wrong.error?.message).toContain('properties.seats');
    expect((await resend.contactProperties.remove(id)).data).toEqual({
      object: 'contact_property',
      id,
      deleted: true,
    });
  });

  it('imports contacts (contacts.imports.create, get, list) into segments with topics and typed properties', async () => {
    const segment = (await resend.segments.create({ name: 'Imported' })).data!;
    const topic = (await resend.topics.create({ name: 'Digest', defaultSubscription: 'opt_in' })).data!;
    await resend.contactProperties.create({ key: 'seats', type: 'number' });
    await resend.contacts.create({ email: 'kept@example.com', firstName: 'Kept' });
    const csv =
      'Email,Given,Seats,Out\nkept@example.com,Changed,1,false\nnew@example.com,New,12,true\nbad@example.com,Bad,many,false\n';
    const created = await resend.contacts.imports.create({
      file: new Blob([csv], { type: 'text/csv' }),
      columnMap: {
        email: 'Email',
        firstName: 'Given',
        unsubscribed: 'Out',
        properties: { seats: { column: 'Seats', type: 'number' } },
      },
      onConflict: 'skip',
      segments: [{ id: segment.id }],
      topics: [{ id: topic.id, subscription: 'opt_out' }],
    });
    expect(created.error).toBeNull();
    expect(created.data).toEqual({ object: 'contact_import', id: UUID });
    const id = created.data!.id;
    await roster.jobs.runJob(projectId, id);
    const got = await resend.contacts.imports.get(id);
    expect(got.error).toBeNull();
    expect(got.data).toEqual({
      object: 'contact_import',
      id,
      status: 'completed',
      created_at: TIME,
      completed_at: TIME,
      counts: { total: 3, created: 1, updated: 0, skipped: 1, failed: 1 },
    });
    const listed = await resend.contacts.imports.list({ limit: 10, status: 'completed' });
    expect(listed.data).toEqual({ object: 'list', has_more: false, data: [got.data] });
    expect((await resend.contacts.imports.list({ status: 'failed' })).data?.data).toEqual([]);
    const fresh = (await resend.contacts.get({ email: 'new@example.com' })).data!;
    expect(fresh).toMatchObject({ first_name: 'New', unsubscribed: true, properties: { seats: 12 } });
    expect((await resend.contacts.get({ email: 'kept@example.com' })).data?.first_name).toBe('Kept');
    const members = await resend.contacts.list({ segmentId: segment.id });
    expect(members.data?.data.map((c) => c.email)).toEqual(['new@example.com']);
    const topics = await resend.contacts.topics.list({ email: 'new@example.com' });
    expect(topics.data?.data).toEqual([expect.objectContaining({ id: topic.id, subscription: 'opt_out' })]);
    // Another project sees none of it.
    expect((await other.contacts.imports.get(id)).error).toMatchObject({
      statusCode: 404,
      name: 'not_found',
    });
    const upsert = await resend.contacts.imports.create({
      file: new Blob(['email,first_name\nkept@example.com,Upserted\n'], { type: 'text/csv' }),
      onConflict: 'upsert',
    });
    await roster.jobs.runJob(projectId, upsert.data!.id);
    expect((await resend.contacts.imports.get(upsert.data!.id)).data?.counts).toEqual({
      total: 1,
      created: 0,
      updated: 1,
      skipped: 0,
      failed: 0,
    });
    expect((await resend.contacts.get({ email: 'kept@example.com' })).data?.first_name).toBe('Upserted');
  });
});
