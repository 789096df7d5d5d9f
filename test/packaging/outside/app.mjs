// An existing Express app, installed from the packed tarballs and run with plain `node` (no TypeScript
// loader): mounts both routers, answers real requests, and completes an import and a bulk job; takes
// one name from each subpath of @roster/core (schemas, wire).
// Prints one JSON line with what it saw; test/packaging/outside.test.ts checks it.
import { createRoster } from '@roster/core';
import { MAX_PAGE_SIZE, upsertContactSchema } from '@roster/core/schemas';
import { WEBHOOK_EVENT_TYPES } from '@roster/core/wire';
import { createPlunkRouter, createUnosendRouter } from '@roster/express';
import express from 'express';

const roster = await createRoster({ database: process.argv[2] ?? ':memory:' });
await roster.jobs.start(); // the one call that makes imports and bulk jobs run in this process
const project = await roster.projects.ensure('outside-app');
const { key } = await roster.keys.create(project.id);

const app = express();
app.get('/', (_req, res) => res.send('my app'));
app.use('/api', createPlunkRouter(roster));
app.use('/v1', createUnosendRouter(roster));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const auth = { authorization: `Bearer ${key}` };

async function call(path, init = {}) {
  const res = await fetch(`${base}${path}`, { ...init, headers: { ...auth, ...init.headers } });
  return { status: res.status, body: await res.json() };
}
async function waitForJob(path) {
  for (let i = 0; i < 200; i++) {
    const job = await call(path);
    if (job.body.state === 'completed' || job.body.state === 'failed') return job.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${path} did not finish`);
}

const created = await call('/api/contacts', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'ada@example.com', data: { plan: 'pro' } }),
});
const listed = await call('/v1/contacts');

const form = new FormData();
form.append('file', new Blob(['email,name\ngrace@example.com,Grace\nalan@example.com,Alan\n']), 'people.csv');
const queued = await call('/api/contacts/import', { method: 'POST', body: form });
const imported = await waitForJob(`/api/contacts/import/${queued.body.jobId}`);

const bulkQueued = await call('/api/contacts/bulk-unsubscribe', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ mode: 'ids', contactIds: [created.body.id] }),
});
const bulk = await waitForJob(`/api/contacts/bulk/${bulkQueued.body.jobId}`);
const after = await call(`/api/contacts/${created.body.id}`);

console.log(
  JSON.stringify({
    created: { status: created.status, email: created.body.email },
    listed: { status: listed.status, emails: listed.body.data?.map((c) => c.email) },
    importQueued: queued.status,
    imported,
    bulkQueued: bulkQueued.status,
    bulk,
    subscribedAfterBulk: after.body.subscribed,
    subpaths: {
      maxPageSize: MAX_PAGE_SIZE,
      schemaRejects: upsertContactSchema.safeParse({ email: 42 }).success === false,
      webhookEventTypes: WEBHOOK_EVENT_TYPES.includes('contact.created'),
    },
  }),
);
server.close();
await roster.close();
