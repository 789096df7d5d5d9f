import { createRoster, type Roster } from '@roster/core';
import { type RunningServer, startServer } from '@roster/server';
import { Unosend } from '@unosend/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The official Unosend SDK (@unosend/node 2.1.0), unchanged, against `roster serve`'s app:
 * only `baseUrl` points at roster.
 */
let roster: Roster;
let server: RunningServer;
let unosend: Unosend;
let otherClient: Unosend;

const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

beforeAll(async () => {
  roster = await createRoster({ database: ':memory:' });
  const project = await roster.projects.ensure('default');
  const other = await roster.projects.ensure('other');
  server = await startServer({ roster, port: 0, onError: (e) => console.error(e) });
  const key = (await roster.keys.create(project.id, { prefix: 'un_' })).key;
  const otherKey = (await roster.keys.create(other.id, { prefix: 'un_' })).key;
  unosend = new Unosend(key, { baseUrl: `${server.url}/v1` });
  otherClient = new Unosend(otherKey, { baseUrl: `${server.url}/v1` });
});
afterAll(async () => {
  await server.close();
  await roster.close();
});

describe('@unosend/node against roster', () => {
  it('manages audiences: create, get, list, update, delete', async () => {
    const created = await unosend.audiences.create('Newsletter', 'Weekly news');
    expect(created).toEqual({
      data: { id: UUID, name: 'Newsletter', description: 'Weekly news', created_at: ISO },
      error: null,
      meta: undefined,
    });
    const id = created.data!.id;

    const got = await unosend.audiences.get(id);
    expect(got.error).toBeNull();
    expect(got.data).toEqual({
      id,
      name: 'Newsletter',
      description: 'Weekly news',
      contacts_count: 0,
      created_at: created.data!.created_at,
      updated_at: created.data!.created_at,
    });

    const listed = await unosend.audiences.list();
    expect(listed.error).toBeNull();
    expect(listed.data).toEqual([got.data]);

    const updated = await unosend.audiences.update(id, { name: 'Renamed' });
    expect(updated.error).toBeNull();
    expect(updated.data).toEqual({ id, name: 'Renamed', description: 'Weekly news', updated_at: ISO });

    expect(await otherClient.audiences.get(id)).toEqual({
      data: null,
      error: { message: 'Audience not found', code: 404, statusCode: 404 },
    });

    const deleted = await unosend.audiences.delete(id);
    expect(deleted).toEqual({ data: { id, deleted: true }, error: null, meta: undefined });
    expect((await unosend.audiences.get(id)).error).toEqual({
      message: 'Audience not found',
      code: 404,
      statusCode: 404,
    });
  });

  it('manages contacts: create, get, list, update, delete, bulkCreate', async () => {
    const audience = (await unosend.audiences.create('Customers')).data!;
    const created = await unosend.contacts.create({
      email: 'jane@example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      audienceId: audience.id,
      metadata: { plan: 'free' },
    });
    expect(created.error).toBeNull();
    expect(created.data).toEqual({
      id: UUID,
      email: 'jane@example.com',
      first_name: 'Jane',
      last_name: 'Doe',
      audience_id: audience.id,
      subscribed: true,
      metadata: { plan: 'free' },
      created_at: ISO,
    });
    const id = created.data!.id;

    const duplicate = await unosend.contacts.create({ email: 'jane@example.com', audienceId: audience.id });
    expect(duplicate).toEqual({
      data: null,
      error: { message: 'Contact with this email already exists', code: 409, statusCode: 409 },
    });

    const got = await unosend.contacts.get(id);
    expect(got.data).toEqual({ ...created.data, updated_at: created.data!.created_at });

    const updated = await unosend.contacts.update(id, {
      firstName: 'Janet',
      subscribed: false,
      metadata: { plan: 'pro' },
    });
    expect(updated.error).toBeNull();
    expect(updated.data).toEqual({
      ...created.data,
      first_name: 'Janet',
      subscribed: false,
      metadata: { plan: 'pro' },
      updated_at: ISO,
    });

    const bulk = await unosend.contacts.bulkCreate({
      audienceId: audience.id,
      contacts: [
        { email: 'a@example.com', firstName: 'Alice' },
        { email: 'b@example.com', firstName: 'Bob', lastName: 'B' },
        { email: 'jane@example.com' },
      ],
    });
    expect(bulk).toEqual({
      data: { created: 2, skipped: 1, message: 'Successfully created 2 contact(s)' },
      error: null,
      meta: undefined,
    });

    const page1 = await unosend.contacts.list({ page: 1, perPage: 2 });
    const page2 = await unosend.contacts.list({ page: 2, perPage: 2 });
    expect(page1.error).toBeNull();
    expect(page1.data!.map((c) => c.email)).toEqual(['b@example.com', 'a@example.com']);
    expect(page2.data!.map((c) => [c.email, c.first_name])).toEqual([['jane@example.com', 'Janet']]);
    expect((await unosend.audiences.get(audience.id)).data).toMatchObject({ contacts_count: 3 });

    const foreign = await otherClient.contacts.get(id);
    expect(foreign.error).toEqual({ message: 'Contact not found', code: 404, statusCode: 404 });
    expect((await otherClient.contacts.list()).data).toEqual([]);

    const deleted = await unosend.contacts.delete(id);
    expect(deleted).toEqual({ data: { id, deleted: true }, error: null, meta: undefined });
    expect((await unosend.contacts.get(id)).error).toMatchObject({ code: 404 });
  });

  it('validates emails and exports JSON through the SDK', async () => {
    expect((await unosend.contacts.validate('someone@gmial.com')).data).toEqual({
      email: 'someone@gmial.com',
      valid: false,
      reason: 'Possible typo: did you mean someone@gmail.com?',
    });
    const exported = await unosend.contacts.export({ format: 'json' });
    expect(exported.error).toBeNull();
    expect((exported.data as { email: string }[]).map((c) => c.email).sort()).toEqual([
      'a@example.com',
      'b@example.com',
    ]);
  });

  it('reports a bad key as a 401 error', async () => {
    const bad = new Unosend('un_not_a_real_key', { baseUrl: `${server.url}/v1` });
    expect(await bad.contacts.list()).toEqual({
      data: null,
      error: { message: 'Invalid API key', code: 401, statusCode: 401 },
    });
  });

  it('imports a base64 CSV into an audience with contacts.import, names from the name columns', async () => {
    const audience = (await unosend.audiences.create('Imported')).data!;
    const elsewhere = (await unosend.audiences.create('Elsewhere')).data!;
    const old = (
      await unosend.contacts.create({
        email: 'imp-old@example.com',
        firstName: 'Old',
        lastName: 'Name',
        audienceId: elsewhere.id,
      })
    ).data!;
    const csv =
      'email,first_name,last_name,company\nimp-new@example.com,Grace,Hopper,Navy\nimp-old@example.com,,Timer,\n';
    await roster.jobs.start();
    try {
      const imported = await unosend.contacts.import({
        audienceId: audience.id,
        file: Buffer.from(csv).toString('base64'),
        format: 'csv',
      });
      expect(imported).toEqual({
        data: {
          id: UUID,
          status: 'completed',
          imported: 1,
          duplicates: 1,
          errors: 0,
          total: 2,
          errorDetails: [],
        },
        error: null,
        meta: undefined,
      });
      const unknown = await unosend.contacts.import({
        audienceId: '0190a6c4-0000-7000-8000-000000000000',
        file: csv,
      });
      expect(unknown).toEqual({
        data: null,
        error: { message: 'Audience not found', code: 404, statusCode: 404 },
      });
    } finally {
      await roster.jobs.stop();
    }
    expect((await unosend.audiences.get(audience.id)).data).toMatchObject({ contacts_count: 2 });
    const listed = (await unosend.contacts.list({ perPage: 100 })).data!;
    const byEmail = Object.fromEntries(listed.map((c) => [c.email, c]));
    expect(byEmail['imp-new@example.com']).toEqual({
      id: UUID,
      email: 'imp-new@example.com',
      first_name: 'Grace',
      last_name: 'Hopper',
      audience_id: audience.id,
      subscribed: true,
      metadata: { company: 'Navy' },
      created_at: ISO,
      updated_at: ISO,
    });
    expect(byEmail['imp-old@example.com']).toEqual({
      ...old,
      last_name: 'Timer',
      audience_id: audience.id,
      updated_at: ISO,
    });
  });
});
