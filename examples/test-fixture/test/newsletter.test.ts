import { type RosterFixture, startRoster } from '@roster/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  allContacts,
  bulkStatus,
  bulkUnsubscribe,
  importCsv,
  importStatus,
  signUp,
  unsubscribe,
} from '../src/newsletter.js';

// The key the app's test environment already uses; roster accepts exactly this key.
const TEST_KEY = 'sk_test_newsletter_app';

let plunk: RosterFixture;

beforeAll(async () => {
  plunk = await startRoster({ keys: { secretKey: TEST_KEY } });
  process.env.PLUNK_API_URL = plunk.plunkUrl;
  process.env.PLUNK_SECRET_KEY = TEST_KEY;
});
afterAll(() => plunk.close());
beforeEach(() => plunk.reset());

describe('newsletter', () => {
  it('signs people up and merges what it learns about them later', async () => {
    const first = await signUp('Ada@Example.com', { plan: 'free' });
    expect(first).toMatchObject({ email: 'ada@example.com', subscribed: true, data: { plan: 'free' } });

    const again = await signUp('ada@example.com', { plan: 'pro', seats: 3 });
    expect(again.id).toBe(first.id);
    expect(again.data).toEqual({ plan: 'pro', seats: 3 });
    expect(await allContacts()).toHaveLength(1);
  });

  it('unsubscribes a contact', async () => {
    const contact = await signUp('grace@example.com');
    expect((await unsubscribe(contact.id)).subscribed).toBe(false);
  });

  it('reads every page of a long list', async () => {
    await plunk.seedContacts(250);
    const contacts = await allContacts();
    expect(contacts).toHaveLength(250);
    expect(new Set(contacts.map((c) => c.id)).size).toBe(250);
  });

  it('imports a CSV: the job is queued, then done once drained', async () => {
    const jobId = await importCsv(
      'email,plan\nada@example.com,pro\ngrace@example.com,free\nnot-an-email,pro\n',
    );
    expect((await importStatus(jobId)).state).toBe('waiting');

    await plunk.drainJobs();

    const status = await importStatus(jobId);
    expect(status.state).toBe('completed');
    expect(status.result).toMatchObject({ totalRows: 3, successCount: 2, failureCount: 1 });
    const emails = (await allContacts()).map((c) => c.email).sort();
    expect(emails).toEqual(['ada@example.com', 'grace@example.com']);
  });

  it('unsubscribes many contacts with a bulk job', async () => {
    const seeded = await plunk.seedContacts(5);
    const jobId = await bulkUnsubscribe(seeded.slice(0, 3).map((c) => c.id));

    await plunk.drainJobs();

    expect((await bulkStatus(jobId)).state).toBe('completed');
    const subscribed = (await allContacts()).filter((c) => c.subscribed);
    expect(subscribed.map((c) => c.id).sort()).toEqual(
      seeded
        .slice(3)
        .map((c) => c.id)
        .sort(),
    );
  });

  it('surfaces Plunk errors to the caller', async () => {
    await expect(signUp('not an email')).rejects.toThrow(/Plunk answered 400/);
  });
});
