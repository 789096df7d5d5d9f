// Copied into the outside project as roster.test.mjs and run there by its own vitest: a user's test
// suite against @roster/testing, installed from the packed tarball.
import { startRoster } from '@roster/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

let plunk;
beforeAll(async () => {
  plunk = await startRoster();
});
afterAll(() => plunk.close());

const headers = () => ({ authorization: `Bearer ${plunk.secretKey}` });

it('creates a contact over HTTP', async () => {
  const res = await fetch(`${plunk.plunkUrl}/contacts`, {
    method: 'POST',
    headers: { ...headers(), 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com' }),
  });
  expect(res.status).toBe(201);
});

it('runs a queued import with drainJobs()', async () => {
  const form = new FormData();
  form.append('file', new Blob(['email\ngrace@example.com\nalan@example.com\n']), 'people.csv');
  const queued = await fetch(`${plunk.plunkUrl}/contacts/import`, {
    method: 'POST',
    headers: headers(),
    body: form,
  });
  expect(queued.status).toBe(202);
  const { jobId } = await queued.json();
  expect(await plunk.drainJobs()).toBeGreaterThanOrEqual(1);
  const job = await (
    await fetch(`${plunk.plunkUrl}/contacts/import/${jobId}`, { headers: headers() })
  ).json();
  expect(job.state).toBe('completed');
  expect(job.result.createdCount).toBe(2);
});
