// Type-checked in the outside project with tsc --noEmit (moduleResolution node16 and bundler; strict,
// exactOptionalPropertyTypes, noPropertyAccessFromIndexSignature, skipLibCheck false) against the .d.ts
// files shipped in the tarballs. Never run.
import { type Contact, createRoster, isRosterError, type Roster, type RosterOptions } from '@roster/core';
import { MAX_PAGE_SIZE, type UpsertContactInput, upsertContactSchema } from '@roster/core/schemas';
import { type JobView, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@roster/core/wire';
import { createPlunkRouter, createUnosendRouter } from '@roster/express';
import { startServer } from '@roster/server';
import { type RosterFixture, startRoster } from '@roster/testing';
import express from 'express';

const options: RosterOptions = { database: ':memory:', jobs: { concurrency: 1 } };

export async function embed(): Promise<Contact> {
  const roster: Roster = await createRoster(options);
  await roster.jobs.start();
  const project = await roster.projects.ensure('typed');
  const app = express();
  app.use('/api', createPlunkRouter(roster));
  app.use('/v1', createUnosendRouter(roster));
  const contact = await roster.contacts.upsert(project.id, {
    email: 'ada@example.com',
    data: { plan: 'pro' },
  });
  const page = await roster.contacts.list(project.id, { limit: 10 });
  const first: Contact | undefined = page.data[0];
  const server = await startServer({ roster, port: 0 });
  const url: string = server.url;
  await server.close();
  try {
    await roster.contacts.get(project.id, '00000000-0000-7000-8000-000000000000');
  } catch (error) {
    if (isRosterError(error)) console.log(error.code, url);
  }
  return first ?? contact;
}

export async function fixture(): Promise<number> {
  const plunk: RosterFixture = await startRoster();
  const drained: number = await plunk.drainJobs();
  await plunk.close();
  return drained;
}

export function subpaths(job: JobView): {
  input: UpsertContactInput;
  limit: number;
  event: WebhookEventType;
} {
  const input: UpsertContactInput = { email: 'ada@example.com', subscribed: job.state === 'completed' };
  upsertContactSchema.parse(input);
  return { input, limit: MAX_PAGE_SIZE, event: WEBHOOK_EVENT_TYPES[0] };
}
