import {
  describeEachDialect,
  eachMainAndOtherProject,
  rosterRejection as failure,
} from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import type { Roster } from '../roster.js';
import { createPropertyTypeCache } from './property-check.js';
import { filterUsesDataKey } from './property-service.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

const SEATS_IS_NUMBER = 'must be a number: the property seats is declared as number';

describeEachDialect('contact properties', (dialect) => {
  eachMainAndOtherProject(dialect, (t) => {
    ({ roster, projectId, otherProjectId } = t);
  });

  describe('declaring', () => {
    it('creates a property with a UUIDv7 id and gets it by id or key, in its project only', async () => {
      const created = await roster.properties.create(projectId, {
        key: 'company_name',
        type: 'string',
        fallbackValue: 'Acme',
      });
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        projectId,
        key: 'company_name',
        type: 'string',
        fallbackValue: 'Acme',
        createdAt: expect.any(String),
      });
      expect(await roster.properties.get(projectId, created.id)).toEqual(created);
      expect(await roster.properties.get(projectId, 'company_name')).toEqual(created);
      expect((await failure(roster.properties.get(otherProjectId, created.id))).code).toBe('not_found');
      expect((await failure(roster.properties.get(otherProjectId, 'company_name'))).code).toBe('not_found');
    });

    it('stores a number fallback as a number and none as null; lists newest first', async () => {
      const seats = await roster.properties.create(projectId, {
        key: 'seats',
        type: 'number',
        fallbackValue: 3,
      });
      const plan = await roster.properties.create(projectId, { key: 'plan', type: 'string' });
      expect(seats.fallbackValue).toBe(3);
      expect(plan.fallbackValue).toBeNull();
      expect((await roster.properties.list(projectId)).map((p) => p.key)).toEqual(['plan', 'seats']);
      expect(await roster.properties.list(otherProjectId)).toEqual([]);
    });

    it('refuses keys outside Resend rules, a fallback of the wrong type and a repeated key', async () => {
      for (const key of ['', 'has-dash', 'has space', 'é', 'x'.repeat(51)]) {
        const error = await failure(roster.properties.create(projectId, { key, type: 'string' }));
        expect(error.code).toBe('validation_failed');
        expect(error.details.issues?.[0]?.field).toBe('key');
      }
      expect(
        (await failure(roster.properties.create(projectId, { key: 'x', type: 'date' as 'string' }))).details
          .issues?.[0],
      ).toMatchObject({ field: 'type', message: 'must be "string" or "number"' });
      expect(
        (await failure(roster.properties.create(projectId, { key: 'x', type: 'number', fallbackValue: 'a' })))
          .details.issues?.[0],
      ).toMatchObject({ field: 'fallbackValue' });
      await roster.properties.create(projectId, { key: 'x'.repeat(50), type: 'string' });
      const repeated = await failure(
        roster.properties.create(projectId, { key: 'x'.repeat(50), type: 'number' }),
      );
      expect(repeated.code).toBe('conflict');
    });

    it('updates only the fallback value, checked against the declared type', async () => {
      const seats = await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      expect((await roster.properties.update(projectId, 'seats', { fallbackValue: 5 })).fallbackValue).toBe(
        5,
      );
      const wrong = await failure(roster.properties.update(projectId, seats.id, { fallbackValue: 'five' }));
      expect(wrong.details.issues?.[0]).toMatchObject({ field: 'fallbackValue' });
      expect(
        (await roster.properties.update(projectId, seats.id, { fallbackValue: null })).fallbackValue,
      ).toBeNull();
      expect((await roster.properties.get(projectId, seats.id)).type).toBe('number');
    });
  });

  describe('enforcing the declared type', () => {
    it('refuses a wrong type on create, upsert, update and createMany, naming the key', async () => {
      await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      const create = await failure(
        roster.contacts.create(projectId, { email: 'a@example.com', data: { seats: 'ten' } }),
      );
      expect(create.code).toBe('validation_failed');
      expect(create.details.issues).toEqual([{ field: 'data.seats', message: SEATS_IS_NUMBER }]);
      const upsert = await failure(
        roster.contacts.upsert(projectId, { email: 'a@example.com', data: { seats: '10' } }),
      );
      expect(upsert.details.issues?.[0]).toMatchObject({ field: 'data.seats', message: SEATS_IS_NUMBER });
      const contact = await roster.contacts.create(projectId, {
        email: 'a@example.com',
        data: { seats: 10 },
      });
      const update = await failure(roster.contacts.update(projectId, contact.id, { data: { seats: true } }));
      expect(update.details.issues?.[0]).toMatchObject({ field: 'data.seats' });
      const many = await failure(
        roster.contacts.createMany(projectId, {
          contacts: [{ email: 'b@example.com' }, { email: 'c@example.com', data: { seats: '1' } }],
        }),
      );
      expect(many.details.issues?.[0]).toMatchObject({ field: 'contacts.1.data.seats' });
      expect((await roster.contacts.get(projectId, contact.id)).data).toEqual({ seats: 10 });
      expect(await roster.contacts.count(projectId)).toBe(1);
    });

    it('accepts the right type, null (delete) and undeclared keys; other projects stay free-form', async () => {
      await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      const { contact } = await roster.contacts.upsert(projectId, {
        email: 'a@example.com',
        data: { seats: 2, anything: 'x' },
      });
      expect(contact.data).toEqual({ seats: 2, anything: 'x' });
      expect(
        (await roster.contacts.upsert(projectId, { email: 'a@example.com', data: { seats: null } })).contact
          .data,
      ).toEqual({
        anything: 'x',
      });
      await roster.contacts.create(otherProjectId, { email: 'a@example.com', data: { seats: 'many' } });
    });

    it('enforces a property declared after this roster cached the project, and forgets a deleted one', async () => {
      await roster.contacts.upsert(projectId, { email: 'a@example.com', data: { seats: 'many' } });
      await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      const error = await failure(
        roster.contacts.upsert(projectId, { email: 'a@example.com', data: { seats: 'x' } }),
      );
      expect(error.details.issues?.[0]?.field).toBe('data.seats');
      await roster.properties.delete(projectId, 'seats');
      await roster.contacts.upsert(projectId, { email: 'a@example.com', data: { seats: 'x' } });
    });

    it("refuses a wrong type in track's data, recording no event", async () => {
      await roster.properties.create(projectId, { key: 'plan', type: 'string' });
      const error = await failure(
        roster.events.track(projectId, { email: 'a@example.com', event: 'signup', data: { plan: 42 } }),
      );
      expect(error.details.issues?.[0]).toEqual({
        field: 'data.plan',
        message: 'must be a string: the property plan is declared as string',
      });
      expect(await roster.contacts.findByEmail(projectId, 'a@example.com')).toBeNull();
      await roster.events.track(projectId, {
        email: 'a@example.com',
        event: 'signup',
        data: { plan: 'pro' },
      });
    });

    it('fails a CSV row whose cell is not of the declared type, naming the column; reads numeric cells as numbers', async () => {
      await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      const job = await roster.imports.enqueue(projectId, {
        file: Buffer.from('email,seats,note\na@example.com,12,x\nb@example.com,lots,y\nc@example.com,,z\n'),
        name: 'contacts.csv',
      });
      await roster.jobs.runOnce();
      const status = await roster.imports.status(projectId, job.id);
      expect(status.result?.failureCount).toBe(1);
      expect(status.result?.errors).toEqual([
        {
          row: 3,
          email: 'b@example.com',
          error: `Invalid value in column "seats" ("lots" ${SEATS_IS_NUMBER})`,
        },
      ]);
      expect((await roster.contacts.findByEmail(projectId, 'a@example.com'))?.data).toEqual({
        seats: 12,
        note: 'x',
      });
      expect(await roster.contacts.findByEmail(projectId, 'b@example.com')).toBeNull();
    });
  });

  describe('the per-process type cache', () => {
    it("keeps a project's types until invalidated or older than maxAgeMs", async () => {
      let now = 0;
      const cache = createPropertyTypeCache({ maxAgeMs: 100, now: () => now });
      expect((await cache.typesOf(roster.db, projectId)).size).toBe(0);
      // Declared through the roster: its own cache is told, this one (another process's) is not.
      await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      expect((await cache.typesOf(roster.db, projectId)).size).toBe(0);
      now = 100;
      expect((await cache.typesOf(roster.db, projectId)).get('seats')).toBe('number');
      await roster.properties.delete(projectId, 'seats');
      expect((await cache.typesOf(roster.db, projectId)).get('seats')).toBe('number');
      cache.invalidate(projectId);
      expect((await cache.typesOf(roster.db, projectId)).size).toBe(0);
    });
  });

  describe('deleting', () => {
    it('deletes a property (values stay in data) and answers not_found afterwards', async () => {
      await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      await roster.contacts.create(projectId, { email: 'a@example.com', data: { seats: 1 } });
      const deleted = await roster.properties.delete(projectId, 'seats');
      expect(deleted.key).toBe('seats');
      expect((await failure(roster.properties.get(projectId, deleted.id))).code).toBe('not_found');
      expect((await failure(roster.properties.delete(projectId, deleted.id))).code).toBe('not_found');
      expect((await roster.contacts.findByEmail(projectId, 'a@example.com'))?.data).toEqual({ seats: 1 });
    });

    it('refuses to delete a property a segment filter uses, naming the segment', async () => {
      await roster.properties.create(projectId, { key: 'seats', type: 'number' });
      const segment = await roster.segments.create(projectId, {
        name: 'Big teams',
        condition: {
          logic: 'AND',
          groups: [
            {
              filters: [{ field: 'email', operator: 'contains', value: '@' }],
              conditions: {
                logic: 'OR',
                groups: [{ filters: [{ field: 'data.seats', operator: 'greaterThan', value: 10 }] }],
              },
            },
          ],
        },
      });
      const error = await failure(roster.properties.delete(projectId, 'seats'));
      expect(error.code).toBe('conflict');
      expect(error.message).toContain('"Big teams"');
      expect(error.message).toContain(segment.id);
      expect((await roster.properties.get(projectId, 'seats')).key).toBe('seats');
      await roster.segments.delete(projectId, segment.id);
      await roster.properties.delete(projectId, 'seats');
    });
  });
});

describe('filterUsesDataKey', () => {
  it('finds data.<key> and paths under it, not other keys sharing a prefix', () => {
    const tree = (field: string) => ({
      logic: 'AND',
      groups: [{ filters: [{ field, operator: 'exists' }] }],
    });
    expect(filterUsesDataKey(tree('data.seats'), 'seats')).toBe(true);
    expect(filterUsesDataKey(tree('data.seats.total'), 'seats')).toBe(true);
    expect(filterUsesDataKey(tree('data.seats_total'), 'seats')).toBe(false);
    expect(filterUsesDataKey(null, 'seats')).toBe(false);
  });
});
