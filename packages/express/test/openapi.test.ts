import { createRoster, type Roster } from '@roster/core';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPlunkRouter,
  createResendRouter,
  createRosterRouter,
  createUnosendRouter,
  plunkOpenApi,
  resendOpenApi,
  rosterOpenApi,
  unosendOpenApi,
} from '../src/index.js';
import { closeServed, emptyTables, type Listening, listen } from './http-helpers.js';
import { expectValidOpenApi, operationsOf, schemaValidator } from './openapi-helpers.js';

type Json = Record<string, any>;

/** What a scenario gets: a server with both dialects mounted as `roster serve` mounts them. */
interface Api {
  roster: Roster;
  projectId: string;
  key: string;
  /** A request to the dialect's base URL; `key: null` sends no Authorization header. */
  call(
    method: string,
    path: string,
    init?: { body?: unknown; key?: string | null; form?: FormData; base?: string },
  ): Promise<Response>;
}

type Scenario = (api: Api, doc: Json) => Promise<Response>;

let roster: Roster;
let server: Listening;
let projectId: string;
let key: string;
let resendKey: string;
const unexpected: unknown[] = [];

beforeAll(async () => {
  // A small import limit keeps the 413 scenario fast; the documents are rendered with the same limits.
  roster = await createRoster({
    database: ':memory:',
    publicUrl: 'https://lists.example.com',
    limits: { maxImportBytes: 4096, maxBulkIds: 1000 },
    // Webhook test events go to the loopback discard port (refused at once), never off the machine.
    webhooks: { allowPrivateTargets: true, timeoutMs: 2000 },
  });

  projectId = (await roster.projects.ensure('default')).id;
  key = (await roster.keys.create(projectId)).key;
  resendKey = (await roster.keys.create(projectId, { prefix: 're_' })).key;
  const app = express();
  const onError = (error: unknown) => unexpected.push(error);
  app.use('/v1', createUnosendRouter(roster, { onError, importWaitMs: 20_000 }));
  // The same API answering imports at once, for the "still running" (202) answers.
  app.use('/v1-nowait', createUnosendRouter(roster, { onError, importWaitMs: 0 }));
  app.use('/roster', createRosterRouter(roster, { onError }));
  app.use('/resend', createResendRouter(roster, { onError }));
  // The Plunk API with a one-request track bucket, for the 429 answer.
  app.use(
    '/track-limited',
    createPlunkRouter(roster, { onError, trackRateLimit: { perSecond: 0.01, burst: 1 } }),
  );
  app.use(createPlunkRouter(roster, { onError }));
  server = await listen(app);
});
afterAll(() => closeServed(server, roster));
beforeEach(() =>
  emptyTables(
    roster,
    'roster_contacts',
    'roster_audiences',
    'roster_jobs',
    'roster_webhook_endpoints',
    'roster_topics',
    'roster_contact_properties',
    'roster_segments',
    'roster_suppressions',
  ),
);

function apiFor(base: string): Api {
  // The Resend API takes only `re_` keys.
  const ownKey = base === '/resend' ? resendKey : key;
  return {
    roster,
    projectId,
    key: ownKey,
    call(method, path, init = {}) {
      const headers: Record<string, string> = {};
      const presented = init.key === undefined ? ownKey : init.key;
      if (presented !== null) headers.authorization = `Bearer ${presented}`;
      let body: string | FormData | undefined = init.form;
      if (init.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.body);
      }
      return fetch(`${server.url}${init.base ?? base}${path}`, {
        method: method.toUpperCase(),
        headers,
        body,
      });
    },
  };
}

/** The documented request body example of an operation. */
function bodyExample(doc: Json, operationId: string): unknown {
  const op = operationsOf(doc).find((o) => o.op.operationId === operationId)!.op;
  return op.requestBody.content['application/json'].example;
}

const newContact = (api: Api, email = 'ada@example.com', data: Json = { plan: 'pro' }) =>
  api.roster.contacts.create(api.projectId, { email, data, firstName: 'Ada', lastName: 'Lovelace' });
const newAudience = (api: Api, name = 'Newsletter') =>
  api.roster.audiences.create(api.projectId, { name, description: 'Monthly product news' });
const UNKNOWN_ID = '0193a1b2-0000-7000-8000-000000000000';
const csvForm = (csv: string, field = 'file') => {
  const form = new FormData();
  form.append(field, new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
  return form;
};
const CSV = 'email,plan\nada@example.com,pro\ngrace@example.com,free\nnot-an-email,pro\n';

/**
 * `GET`, `PATCH` and `DELETE <path>/{id}` of one `Contact` or `Audience`: one made by `create`, an
 * unknown id, and an invalid `PATCH` body. Plunk and Unosend differ only in a delete's status.
 */
function byIdScenarios(
  resource: string,
  path: string,
  create: (api: Api) => Promise<{ id: string }>,
  invalid: Json,
  deleted: 200 | 204,
): Record<string, Scenario> {
  const known = async (api: Api) => `${path}/${(await create(api)).id}`;
  const unknown = `${path}/${UNKNOWN_ID}`;
  const update = `update${resource}`;
  return {
    [`get${resource} 200`]: async (api) => api.call('get', await known(api)),
    [`get${resource} 404`]: (api) => api.call('get', unknown),
    [`${update} 200`]: async (api, doc) =>
      api.call('patch', await known(api), { body: bodyExample(doc, update) }),
    [`${update} 400`]: async (api) => api.call('patch', await known(api), { body: invalid }),
    [`${update} 404`]: (api, doc) => api.call('patch', unknown, { body: bodyExample(doc, update) }),
    [`delete${resource} ${deleted}`]: async (api) => api.call('delete', await known(api)),
    [`delete${resource} 404`]: (api) => api.call('delete', unknown),
  };
}

/** `GET`, `PATCH` and `DELETE /contacts/{id}`, with the 409 of a taken email. */
function contactByIdScenarios(deleted: 200 | 204): Record<string, Scenario> {
  return {
    ...byIdScenarios('Contact', '/contacts', (api) => newContact(api), { subscribed: 'yes' }, deleted),
    'updateContact 409': async (api) => {
      await newContact(api, 'taken@example.com');
      const id = (await newContact(api)).id;
      return api.call('patch', `/contacts/${id}`, { body: { email: 'taken@example.com' } });
    },
  };
}

/** The bulk job scenarios are the same for the three operations. */
function bulkScenarios(): Record<string, Scenario> {
  const out: Record<string, Scenario> = {};
  for (const name of ['bulkSubscribeContacts', 'bulkUnsubscribeContacts', 'bulkDeleteContacts']) {
    const path = `/contacts/bulk-${name.replace(/^bulk|Contacts$/g, '').toLowerCase()}`;
    out[`${name} 202`] = async (api) => {
      const contact = await newContact(api);
      return api.call('post', path, { body: { mode: 'ids', contactIds: [contact.id, UNKNOWN_ID] } });
    };
    out[`${name} 400`] = (api) => api.call('post', path, { body: { mode: 'ids', contactIds: ['nope'] } });
  }
  return out;
}

// ---- Plunk: one real request per documented (operation, status) ------------------------------------

const PRO_TREE = {
  logic: 'AND',
  groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
};
async function newSegment(api: Api, type: 'DYNAMIC' | 'STATIC' = 'DYNAMIC'): Promise<string> {
  return (
    await api.roster.segments.create(api.projectId, {
      name: 'S',
      type,
      condition: type === 'DYNAMIC' ? PRO_TREE : undefined,
    })
  ).id;
}
async function publicKey(api: Api): Promise<string> {
  return (await api.roster.keys.create(api.projectId, { prefix: 'pk_' })).key;
}

const segmentScenarios: Record<string, Scenario> = {
  'listSegments 200': async (api) => {
    await newSegment(api);
    return api.call('get', '/segments');
  },
  'createSegment 201': (api, doc) =>
    api.call('post', '/segments', { body: bodyExample(doc, 'createSegment') }),
  'createSegment 400': (api) => api.call('post', '/segments', { body: { condition: PRO_TREE } }),
  'getSegment 200': async (api) => api.call('get', `/segments/${await newSegment(api)}`),
  'getSegment 404': (api) => api.call('get', `/segments/${UNKNOWN_ID}`),
  'updateSegment 200': async (api, doc) =>
    api.call('patch', `/segments/${await newSegment(api)}`, { body: bodyExample(doc, 'updateSegment') }),
  'deleteSegment 204': async (api) => api.call('delete', `/segments/${await newSegment(api)}`),
  'listSegmentContacts 200': async (api) => {
    await newContact(api);
    return api.call('get', `/segments/${await newSegment(api)}/contacts?page=1&pageSize=20`);
  },
  'addSegmentMembers 200': async (api, doc) =>
    api.call('post', `/segments/${await newSegment(api, 'STATIC')}/members`, {
      body: bodyExample(doc, 'addSegmentMembers'),
    }),
  'removeSegmentMembers 200': async (api, doc) => {
    await newContact(api);
    return api.call('delete', `/segments/${await newSegment(api, 'STATIC')}/members`, {
      body: bodyExample(doc, 'removeSegmentMembers'),
    });
  },
  'computeSegment 200': async (api) => {
    const id = (
      await api.roster.segments.create(api.projectId, {
        name: 'T',
        condition: PRO_TREE,
        trackMembership: true,
      })
    ).id;
    return api.call('post', `/segments/${id}/compute`);
  },
  'refreshSegment 200': async (api) => api.call('post', `/segments/${await newSegment(api)}/refresh`),
  'trackEvent 200': async (api, doc) =>
    api.call('post', '/v1/track', { key: await publicKey(api), body: bodyExample(doc, 'trackEvent') }),
  'trackEvent 409': async (api, doc) => {
    const key = await publicKey(api);
    const send = () =>
      fetch(`${server.url}/v1/track`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': `k-${Math.random()}`,
        },
        body: JSON.stringify(bodyExample(doc, 'trackEvent')),
      });
    const headers = {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'idempotency-key': 'once',
    };
    await api.roster.db.deleteFrom('roster_idempotency_keys').execute();
    await send();
    const body = JSON.stringify(bodyExample(doc, 'trackEvent'));
    await fetch(`${server.url}/v1/track`, { method: 'POST', headers, body });
    return fetch(`${server.url}/v1/track`, { method: 'POST', headers, body });
  },
  'trackEvent 413': async (api) =>
    api.call('post', '/v1/track', {
      key: await publicKey(api),
      body: { event: 'big', email: 'ada@example.com', data: { note: 'x'.repeat(70_000) } },
    }),
  'trackEvent 429': async (api, doc) => {
    const body = bodyExample(doc, 'trackEvent');
    const init = { key: await publicKey(api), body, base: '/track-limited' };
    await api.call('post', '/v1/track', init);
    return api.call('post', '/v1/track', init);
  },
  'trackEvent 422': async (api) =>
    api.call('post', '/v1/track', {
      key: await publicKey(api),
      body: { event: 'email.open', email: 'ada@example.com' },
    }),
};

const plunkScenarios: Record<string, Scenario> = {
  ...segmentScenarios,
  'listContacts 200': async (api) => {
    await newContact(api, 'grace@example.com');
    await newContact(api, 'ada@example.com');
    return api.call('get', '/contacts?limit=1&search=example.com');
  },
  'listContacts 400': (api) => api.call('get', '/contacts?cursor=not-a-cursor'),
  'upsertContact 200': async (api, doc) => {
    const body = bodyExample(doc, 'upsertContact') as Json;
    await api.call('post', '/contacts', { body });
    return api.call('post', '/contacts', { body: { ...body, data: { seats: 5 } } });
  },
  'upsertContact 201': (api, doc) =>
    api.call('post', '/contacts', { body: bodyExample(doc, 'upsertContact') }),
  'upsertContact 400': (api) => api.call('post', '/contacts', { body: { email: 'not an email' } }),
  'upsertContact 413': (api) =>
    api.call('post', '/contacts', {
      body: { email: 'ada@example.com', data: { blob: 'x'.repeat(1_100_000) } },
    }),
  ...contactByIdScenarios(204),
  'importContacts 202': (api) => api.call('post', '/contacts/import', { form: csvForm(CSV) }),
  'importContacts 400': (api) => api.call('post', '/contacts/import', { form: csvForm(CSV, 'csv') }),
  'importContacts 413': (api) =>
    api.call('post', '/contacts/import', { form: csvForm(`email\n${'a@example.com\n'.repeat(400)}`) }),
  'getImportJob 200': async (api) => {
    const queued = await api.call('post', '/contacts/import', { form: csvForm(CSV) });
    const { jobId } = (await queued.json()) as { jobId: string };
    await api.roster.jobs.runOnce();
    return api.call('get', `/contacts/import/${jobId}`);
  },
  'getImportJob 404': (api) => api.call('get', `/contacts/import/${UNKNOWN_ID}`),
  ...bulkScenarios(),
  'getBulkJob 200': async (api) => {
    const contact = await newContact(api);
    const queued = await api.call('post', '/contacts/bulk-unsubscribe', {
      body: { mode: 'ids', contactIds: [contact.id, UNKNOWN_ID] },
    });
    const { jobId } = (await queued.json()) as { jobId: string };
    await api.roster.jobs.runOnce();
    return api.call('get', `/contacts/bulk/${jobId}`);
  },
  'getBulkJob 404': (api) => api.call('get', `/contacts/bulk/${UNKNOWN_ID}`),
};

// ---- Unosend -----------------------------------------------------------------------------------------

const unosendImport = (api: Api, body: unknown) => api.call('post', '/contacts/import', { body });

/** Runs `work` with the background job runner started, so an import finishes within the request. */
async function withJobsRunning(api: Api, work: () => Promise<Response>): Promise<Response> {
  await api.roster.jobs.start();
  try {
    return await work();
  } finally {
    await api.roster.jobs.stop();
  }
}

/** Queues an import without running it (the runner is stopped): the POST answers 202 with the id. */
async function queuedImport(api: Api, csv: string): Promise<string> {
  const res = await api.call('post', '/contacts/import', { body: { file: csv }, base: '/v1-nowait' });
  expect(res.status).toBe(202);
  return ((await res.json()) as { data: { id: string } }).data.id;
}

const unosendScenarios: Record<string, Scenario> = {
  'createContact 201': async (api, doc) => {
    const body = bodyExample(doc, 'createContact') as Json;
    const audience = await newAudience(api);
    return api.call('post', '/contacts', { body: { ...body, audience_id: audience.id } });
  },
  'createContact 400': (api) => api.call('post', '/contacts', { body: { email: 'not an email' } }),
  'createContact 404': (api, doc) =>
    api.call('post', '/contacts', { body: bodyExample(doc, 'createContact') }),
  'createContact 409': async (api) => {
    await newContact(api);
    return api.call('post', '/contacts', { body: { email: 'ada@example.com' } });
  },
  'listContacts 200': async (api) => {
    const audience = await newAudience(api);
    await api.roster.contacts.create(api.projectId, { email: 'ada@example.com', audienceId: audience.id });
    await newContact(api, 'grace@example.com');
    return api.call('get', '/contacts?limit=10&offset=0');
  },
  'listContacts 400': (api) => api.call('get', '/contacts?limit=ten'),
  'exportContacts 200': async (api) => {
    await newContact(api);
    return api.call('get', '/contacts/export?format=json');
  },
  'exportContacts 400': (api) => api.call('get', '/contacts/export?format=xml'),
  'validateEmail 200': (api, doc) =>
    api.call('post', '/contacts/validate', { body: bodyExample(doc, 'validateEmail') }),
  'validateEmail 400': (api) => api.call('post', '/contacts/validate', { body: {} }),
  'bulkContacts 200': async (api, doc) => {
    const body = bodyExample(doc, 'bulkContacts') as Json;
    const contact = await newContact(api);
    return api.call('post', '/contacts/bulk', { body: { ...body, contact_ids: [contact.id] } });
  },
  'bulkContacts 400': (api) =>
    api.call('post', '/contacts/bulk', { body: { operation: 'delete', contact_ids: ['nope'] } }),
  'bulkContacts 404': (api, doc) =>
    api.call('post', '/contacts/bulk', { body: bodyExample(doc, 'bulkContacts') }),
  'importContacts 200': (api, doc) =>
    withJobsRunning(api, () => unosendImport(api, bodyExample(doc, 'importContacts'))),
  'importContacts 202': (api, doc) =>
    api.call('post', '/contacts/import', { body: bodyExample(doc, 'importContacts'), base: '/v1-nowait' }),
  'importContacts 400': (api) => unosendImport(api, {}),
  'importContacts 404': (api) => unosendImport(api, { file: CSV, audience_id: UNKNOWN_ID }),
  'importContacts 413': (api) => unosendImport(api, { file: `email\n${'a@example.com\n'.repeat(400)}` }),
  'importContacts 422': (api) => withJobsRunning(api, () => unosendImport(api, { file: '' })),
  'getImport 200': async (api) => {
    const id = await queuedImport(api, CSV);
    await api.roster.jobs.runOnce();
    return api.call('get', `/contacts/import/${id}`);
  },
  'getImport 202': async (api) => api.call('get', `/contacts/import/${await queuedImport(api, CSV)}`),
  'getImport 404': (api) => api.call('get', `/contacts/import/${UNKNOWN_ID}`),
  'getImport 422': async (api) => {
    const id = await queuedImport(api, '');
    await api.roster.jobs.runOnce();
    return api.call('get', `/contacts/import/${id}`);
  },
  ...contactByIdScenarios(200),
  'createAudience 201': (api, doc) =>
    api.call('post', '/audiences', { body: bodyExample(doc, 'createAudience') }),
  'createAudience 400': (api) => api.call('post', '/audiences', { body: {} }),
  'listAudiences 200': async (api) => {
    const audience = await newAudience(api);
    await api.roster.contacts.create(api.projectId, { email: 'ada@example.com', audienceId: audience.id });
    return api.call('get', '/audiences');
  },
  ...byIdScenarios('Audience', '/audiences', (api) => newAudience(api), { name: '' }, 200),
};

/** A finished import job of the test project. */
async function finishedImport(api: Api): Promise<string> {
  const job = await api.roster.imports.enqueue(api.projectId, {
    file: Buffer.from('email,plan\nada@example.com,pro\nnot-an-email,x\n'),
    name: 'people.csv',
  });
  await api.roster.jobs.runOnce();
  return job.id;
}

/** A webhook endpoint of the test project pointing at a closed loopback port. */
async function webhookEndpoint(api: Api, enabled = true) {
  return api.roster.webhooks.create(api.projectId, {
    url: 'http://127.0.0.1:9/hooks',
    eventTypes: ['*'],
    enabled,
  });
}

/** A finished delivery (a test event: the attempt is refused by the closed port). */
async function webhookDelivery(api: Api) {
  const endpoint = await webhookEndpoint(api);
  const { delivery } = await api.roster.webhooks.sendTest(api.projectId, endpoint.id);
  return { endpoint, delivery };
}

/** A topic of the test project (opt-in by default). */
const newTopic = (api: Api) =>
  api.roster.topics.create(api.projectId, { name: 'Product news', defaultSubscription: 'opt_in' });
/** A declared string property `tier` of the test project (no segment of another scenario tests `data.tier`). */
const newProperty = (api: Api) =>
  api.roster.properties.create(api.projectId, { key: 'tier', type: 'string' });
let segmentNumber = 0;
/** A dynamic segment of the test project with this one filter (a fresh name each time). */
const segmentUsing = (api: Api, filter: Json) =>
  api.roster.segments.create(api.projectId, {
    name: `Uses ${++segmentNumber}`,
    condition: { logic: 'AND', groups: [{ filters: [filter] }] },
  } as never);

/** A contact of the test project that awaits its confirmation. */
const pendingContact = (api: Api) =>
  api.roster.contacts.create(api.projectId, {
    email: `pending-${++segmentNumber}@example.com`,
    pending: true,
  });

const rosterScenarios: Record<string, Scenario> = {
  'requestConfirmation 201': async (api, doc) =>
    api.call('post', `/contacts/${(await pendingContact(api)).id}/confirmation`, {
      body: bodyExample(doc, 'requestConfirmation'),
    }),
  'requestConfirmation 400': async (api) =>
    api.call('post', `/contacts/${(await pendingContact(api)).id}/confirmation`, {
      body: { redirectUrl: 'ftp://example.com/' },
    }),
  'requestConfirmation 404': (api) => api.call('post', `/contacts/${UNKNOWN_ID}/confirmation`, { body: {} }),
  'getUnsubscribeHeaders 200': async (api) =>
    api.call('get', `/contacts/${(await pendingContact(api)).id}/unsubscribe-headers`),
  'getUnsubscribeHeaders 400': async (api) =>
    api.call('get', `/contacts/${(await pendingContact(api)).id}/unsubscribe-headers?topic_id=nope`),
  'getUnsubscribeHeaders 404': (api) => api.call('get', `/contacts/${UNKNOWN_ID}/unsubscribe-headers`),
  'getConsentStatus 200': async (api) =>
    api.call('get', `/contacts/${(await pendingContact(api)).id}/consent`),
  'getConsentStatus 404': (api) => api.call('get', `/contacts/${UNKNOWN_ID}/consent`),
  'listContactEvents 200': async (api) => {
    const contact = await pendingContact(api);
    await api.roster.contacts.update(api.projectId, contact.id, { subscribed: true });
    return api.call('get', `/contacts/${contact.id}/events`);
  },
  'listContactEvents 400': async (api) =>
    api.call('get', `/contacts/${(await pendingContact(api)).id}/events?limit=0`),
  'listContactEvents 404': (api) => api.call('get', `/contacts/${UNKNOWN_ID}/events`),
  'listAudit 200': async (api) => {
    await api.roster.audit.record(api.projectId, { actor: 'cli', action: 'key.revoked', target: null });
    return api.call('get', '/audit');
  },
  'listAudit 400': (api) => api.call('get', '/audit?since=yesterday-ish'),
  'getOverview 200': async (api) => {
    await api.roster.contacts.create(api.projectId, { email: 'overview@example.com' });
    return api.call('get', '/overview?days=7');
  },
  'getOverview 400': (api) => api.call('get', '/overview?days=0'),
  'getConsentSettings 200': (api) => api.call('get', '/consent'),
  'updateConsentSettings 200': (api, doc) =>
    api.call('patch', '/consent', { body: bodyExample(doc, 'updateConsentSettings') }),
  'updateConsentSettings 400': (api) => api.call('patch', '/consent', { body: { logoUrl: 'javascript:x' } }),
  'rotateConsentSecret 200': (api, doc) =>
    api.call('post', '/consent/rotate-secret', { body: bodyExample(doc, 'rotateConsentSecret') }),
  'rotateConsentSecret 400': (api) => api.call('post', '/consent/rotate-secret', { body: { overlapMs: -1 } }),
  'listTopics 200': async (api) => {
    await newTopic(api);
    return api.call('get', '/topics');
  },
  'createTopic 201': (api, doc) => api.call('post', '/topics', { body: bodyExample(doc, 'createTopic') }),
  'createTopic 400': (api) =>
    api.call('post', '/topics', { body: { name: 'News', defaultSubscription: 'yes' } }),
  'getTopic 200': async (api) => api.call('get', `/topics/${(await newTopic(api)).id}`),
  'getTopic 404': (api) => api.call('get', `/topics/${UNKNOWN_ID}`),
  'updateTopic 200': async (api, doc) =>
    api.call('patch', `/topics/${(await newTopic(api)).id}`, { body: bodyExample(doc, 'updateTopic') }),
  'updateTopic 400': async (api) =>
    api.call('patch', `/topics/${(await newTopic(api)).id}`, { body: { defaultSubscription: 'opt_out' } }),
  'updateTopic 404': (api, doc) =>
    api.call('patch', `/topics/${UNKNOWN_ID}`, { body: bodyExample(doc, 'updateTopic') }),
  'deleteTopic 204': async (api) => api.call('delete', `/topics/${(await newTopic(api)).id}`),
  'deleteTopic 404': (api) => api.call('delete', `/topics/${UNKNOWN_ID}`),
  'deleteTopic 409': async (api) => {
    const topic = await newTopic(api);
    await segmentUsing(api, { field: `topic.${topic.id}`, operator: 'equals', value: 'opt_in' });
    return api.call('delete', `/topics/${topic.id}`);
  },
  'listContactTopics 200': async (api) => {
    await newTopic(api);
    return api.call('get', `/contacts/${(await newContact(api)).id}/topics`);
  },
  'listContactTopics 404': (api) => api.call('get', `/contacts/${UNKNOWN_ID}/topics`),
  'setContactTopics 200': async (api) => {
    const topic = await newTopic(api);
    return api.call('put', `/contacts/${(await newContact(api)).id}/topics`, {
      body: { topics: [{ id: topic.id, subscription: 'opt_out' }] },
    });
  },
  'setContactTopics 400': async (api) => {
    const topic = await newTopic(api);
    return api.call('put', `/contacts/${(await newContact(api)).id}/topics`, {
      body: { topics: [{ id: topic.id, subscription: 'maybe' }] },
    });
  },
  'setContactTopics 404': (api) =>
    api.call('put', `/contacts/${UNKNOWN_ID}/topics`, { body: { topics: [] } }),
  'listProperties 200': async (api) => {
    await newProperty(api);
    return api.call('get', '/properties');
  },
  'createProperty 201': (api, doc) =>
    api.call('post', '/properties', { body: bodyExample(doc, 'createProperty') }),
  'createProperty 400': (api) =>
    api.call('post', '/properties', { body: { key: 'has space', type: 'string' } }),
  'createProperty 409': async (api, doc) => {
    await api.call('post', '/properties', { body: bodyExample(doc, 'createProperty') });
    return api.call('post', '/properties', { body: bodyExample(doc, 'createProperty') });
  },
  'getProperty 200': async (api) => api.call('get', `/properties/${(await newProperty(api)).key}`),
  'getProperty 404': (api) => api.call('get', '/properties/tier'),
  'updateProperty 200': async (api, doc) => {
    await newProperty(api);
    return api.call('patch', '/properties/tier', { body: bodyExample(doc, 'updateProperty') });
  },
  'updateProperty 400': async (api) => {
    await newProperty(api);
    return api.call('patch', '/properties/tier', { body: { fallbackValue: 3 } });
  },
  'updateProperty 404': (api) => api.call('patch', '/properties/tier', { body: { fallbackValue: 'x' } }),
  'deleteProperty 204': async (api) => api.call('delete', `/properties/${(await newProperty(api)).id}`),
  'deleteProperty 404': (api) => api.call('delete', '/properties/tier'),
  'deleteProperty 409': async (api) => {
    await newProperty(api);
    await segmentUsing(api, { field: 'data.tier', operator: 'equals', value: 'pro' });
    return api.call('delete', '/properties/tier');
  },
  'listSuppressions 200': async (api) => {
    await api.call('post', '/suppressions', { body: { email: 'listed@example.com' } });
    return api.call('get', '/suppressions');
  },
  'addSuppression 201': (api) =>
    api.call('post', '/suppressions', { body: { email: 'new-one@example.com' } }),
  'addSuppression 200': async (api) => {
    await api.call('post', '/suppressions', { body: { email: 'twice@example.com' } });
    return api.call('post', '/suppressions', { body: { email: 'twice@example.com' } });
  },
  'addSuppression 400': (api) => api.call('post', '/suppressions', { body: { email: 'nope' } }),
  'getSuppression 200': async (api) => {
    await api.call('post', '/suppressions', { body: { email: 'got@example.com' } });
    return api.call('get', '/suppressions/got@example.com');
  },
  'getSuppression 404': (api) => api.call('get', `/suppressions/${UNKNOWN_ID}`),
  'removeSuppression 204': async (api) => {
    await api.call('post', '/suppressions', { body: { email: 'gone@example.com' } });
    return api.call('delete', '/suppressions/gone@example.com');
  },
  'removeSuppression 404': (api) => api.call('delete', `/suppressions/${UNKNOWN_ID}`),
  'getInboundSettings 200': (api) => api.call('get', '/inbound-settings'),
  'setInboundSettings 200': (api, doc) =>
    api.call('put', '/inbound-settings', { body: bodyExample(doc, 'setInboundSettings') }),
  'setInboundSettings 400': (api) => api.call('put', '/inbound-settings', { body: { resendSecret: 'nope' } }),
  'exportPersonalData 200': (api, doc) =>
    api.call('post', '/personal-data/export', { body: bodyExample(doc, 'exportPersonalData') }),
  'exportPersonalData 400': (api) => api.call('post', '/personal-data/export', { body: { email: 'nope' } }),
  'erasePersonalData 200': (api, doc) =>
    api.call('post', '/personal-data/erase', { body: bodyExample(doc, 'erasePersonalData') }),
  'erasePersonalData 400': (api) => api.call('post', '/personal-data/erase', { body: { email: 'nope' } }),
  'getProject 200': (api) => api.call('get', '/project'),
  'listKeys 200': (api) => api.call('get', '/keys'),
  'createKey 201': (api, doc) => api.call('post', '/keys', { body: bodyExample(doc, 'createKey') }),
  'createKey 400': (api) => api.call('post', '/keys', { body: { prefix: 'NOPE' } }),
  'revokeKey 204': async (api) => {
    const spare = await api.roster.keys.create(api.projectId);
    return api.call('delete', `/keys/${spare.id}`);
  },
  'revokeKey 404': (api) => api.call('delete', `/keys/${UNKNOWN_ID}`),
  'startImport 202': (api) => api.call('post', '/imports', { form: csvForm(CSV) }),
  'startImport 400': (api) => api.call('post', '/imports', { form: csvForm(CSV, 'csv') }),
  'startImport 413': (api) =>
    api.call('post', '/imports', { form: csvForm(`email\n${'a@example.com\n'.repeat(400)}`) }),
  'getImport 200': async (api) => api.call('get', `/imports/${await finishedImport(api)}`),
  'getImport 404': (api) => api.call('get', `/imports/${UNKNOWN_ID}`),
  'startMigration 202': (api, doc) =>
    api.call('post', '/migrations', { body: bodyExample(doc, 'startMigration') }),
  'startMigration 409': async (api) => {
    const body = { from: 'plunk', url: 'https://plunk.example.com', key: 'sk_x' };
    await api.call('post', '/migrations', { body });
    return api.call('post', '/migrations', { body });
  },
  'startMigration 400': (api) => api.call('post', '/migrations', { body: { from: 'mailchimp', key: 'k' } }),
  'listJobs 200': async (api) => {
    await finishedImport(api);
    return api.call('get', '/jobs?limit=20');
  },
  'listJobs 400': (api) => api.call('get', '/jobs?limit=0'),
  'getJob 200': async (api) => api.call('get', `/jobs/${await finishedImport(api)}`),
  'getJob 404': (api) => api.call('get', `/jobs/${UNKNOWN_ID}`),
  'listFilteredContacts 200': async (api) => {
    await api.roster.contacts.create(api.projectId, { email: 'ada@example.com', data: { plan: 'pro' } });
    return api.call('get', '/contacts?search=ada&subscribed=true');
  },
  'listFilteredContacts 400': (api) => api.call('get', '/contacts?subscribed=maybe'),
  'listFilteredContacts 404': (api) => api.call('get', `/contacts?segment_id=${UNKNOWN_ID}`),
  'exportFilteredContacts 200': async (api) => {
    await api.roster.contacts.create(api.projectId, { email: 'ada@example.com', firstName: 'Ada' });
    return api.call('get', '/contacts/export?format=json&search=ada');
  },
  'exportFilteredContacts 400': (api) => api.call('get', '/contacts/export?format=xml'),
  'exportFilteredContacts 404': (api) => api.call('get', `/contacts/export?segment_id=${UNKNOWN_ID}`),
  'listWebhooks 200': async (api) => {
    await webhookEndpoint(api);
    return api.call('get', '/webhooks');
  },
  'createWebhook 201': (api, doc) =>
    api.call('post', '/webhooks', { body: bodyExample(doc, 'createWebhook') }),
  'createWebhook 400': (api) =>
    api.call('post', '/webhooks', {
      body: { url: 'https://crm.example.com/', eventTypes: ['contact.exploded'] },
    }),
  'getWebhook 200': async (api) => api.call('get', `/webhooks/${(await webhookEndpoint(api)).id}`),
  'getWebhook 404': (api) => api.call('get', `/webhooks/${UNKNOWN_ID}`),
  'updateWebhook 200': async (api, doc) =>
    api.call('patch', `/webhooks/${(await webhookEndpoint(api, false)).id}`, {
      body: bodyExample(doc, 'updateWebhook'),
    }),
  'updateWebhook 400': async (api) =>
    api.call('patch', `/webhooks/${(await webhookEndpoint(api)).id}`, { body: { enabled: 'yes' } }),
  'updateWebhook 404': (api) => api.call('patch', `/webhooks/${UNKNOWN_ID}`, { body: { enabled: true } }),
  'deleteWebhook 204': async (api) => api.call('delete', `/webhooks/${(await webhookEndpoint(api)).id}`),
  'deleteWebhook 404': (api) => api.call('delete', `/webhooks/${UNKNOWN_ID}`),
  'getWebhookSecret 200': async (api) =>
    api.call('get', `/webhooks/${(await webhookEndpoint(api)).id}/secret`),
  'getWebhookSecret 404': (api) => api.call('get', `/webhooks/${UNKNOWN_ID}/secret`),
  'rotateWebhookSecret 200': async (api, doc) =>
    api.call('post', `/webhooks/${(await webhookEndpoint(api)).id}/rotate-secret`, {
      body: bodyExample(doc, 'rotateWebhookSecret'),
    }),
  'rotateWebhookSecret 400': async (api) =>
    api.call('post', `/webhooks/${(await webhookEndpoint(api)).id}/rotate-secret`, {
      body: { overlapMs: -1 },
    }),
  'rotateWebhookSecret 404': (api) => api.call('post', `/webhooks/${UNKNOWN_ID}/rotate-secret`),
  'testWebhook 200': async (api) => api.call('post', `/webhooks/${(await webhookEndpoint(api)).id}/test`),
  'testWebhook 404': (api) => api.call('post', `/webhooks/${UNKNOWN_ID}/test`),
  'replayWebhookDeliveries 202': async (api, doc) => {
    const { endpoint } = await webhookDelivery(api);
    return api.call('post', `/webhooks/${endpoint.id}/replay`, {
      body: bodyExample(doc, 'replayWebhookDeliveries'),
    });
  },
  'replayWebhookDeliveries 400': async (api) =>
    api.call('post', `/webhooks/${(await webhookEndpoint(api)).id}/replay`, { body: {} }),
  'replayWebhookDeliveries 404': (api) =>
    api.call('post', `/webhooks/${UNKNOWN_ID}/replay`, { body: { since: '2026-11-23T19:40:00.000Z' } }),
  'replayWebhookDeliveries 409': async (api) =>
    api.call('post', `/webhooks/${(await webhookEndpoint(api, false)).id}/replay`, {
      body: { since: '2026-11-23T19:40:00.000Z' },
    }),
  'listWebhookDeliveries 200': async (api) => {
    const { endpoint } = await webhookDelivery(api);
    return api.call('get', `/webhooks/${endpoint.id}/deliveries?limit=10`);
  },
  'listWebhookDeliveries 400': async (api) =>
    api.call('get', `/webhooks/${(await webhookEndpoint(api)).id}/deliveries?limit=0`),
  'listWebhookDeliveries 404': (api) => api.call('get', `/webhooks/${UNKNOWN_ID}/deliveries`),
  'getWebhookDelivery 200': async (api) => {
    const { endpoint, delivery } = await webhookDelivery(api);
    return api.call('get', `/webhooks/${endpoint.id}/deliveries/${delivery.id}`);
  },
  'getWebhookDelivery 404': async (api) =>
    api.call('get', `/webhooks/${(await webhookEndpoint(api)).id}/deliveries/${UNKNOWN_ID}`),
  'listWebhookDeliveryAttempts 200': async (api) => {
    const { endpoint, delivery } = await webhookDelivery(api);
    return api.call('get', `/webhooks/${endpoint.id}/deliveries/${delivery.id}/attempts`);
  },
  'listWebhookDeliveryAttempts 404': async (api) => {
    // A delivery of another endpoint is not found under this one.
    const { delivery } = await webhookDelivery(api);
    const other = await webhookEndpoint(api);
    return api.call('get', `/webhooks/${other.id}/deliveries/${delivery.id}/attempts`);
  },
  'replayWebhookDelivery 202': async (api) => {
    const { endpoint, delivery } = await webhookDelivery(api);
    return api.call('post', `/webhooks/${endpoint.id}/deliveries/${delivery.id}/replay`);
  },
  'replayWebhookDelivery 404': async (api) =>
    api.call('post', `/webhooks/${(await webhookEndpoint(api)).id}/deliveries/${UNKNOWN_ID}/replay`),
  'replayWebhookDelivery 409': async (api) => {
    const { endpoint, delivery } = await webhookDelivery(api);
    await api.roster.webhooks.replay(api.projectId, delivery.id);
    return api.call('post', `/webhooks/${endpoint.id}/deliveries/${delivery.id}/replay`);
  },
};

/**
 * The Resend API's scenarios: every documented answer of `createResendRouter`, on real data made
 * through core.
 */
const resendContact = (api: Api, email = 'ada@example.com') =>
  api.roster.contacts.create(api.projectId, { email, firstName: 'Ada', data: { plan: 'pro' } });
const resendSegment = (api: Api) =>
  api.roster.segments.create(api.projectId, { name: 'List', type: 'STATIC' });
const resendTopic = (api: Api) =>
  api.roster.topics.create(api.projectId, { name: 'News', defaultSubscription: 'opt_in' });
const resendProperty = (api: Api) =>
  api.roster.properties.create(api.projectId, { key: 'plan', type: 'string' });
const resendImport = async (api: Api) => {
  const form = csvForm('email\nada@example.com\n');
  const res = await api.call('post', '/contacts/imports', { form });
  return ((await res.json()) as Json).id as string;
};
const resendSuppression = async (api: Api, email = 'ada@example.com') =>
  (await api.roster.suppressions.add(api.projectId, { email })).suppression;
const resendScenarios: Record<string, Scenario> = {
  'createSuppression 201': (api, doc) =>
    api.call('post', '/suppressions', { body: bodyExample(doc, 'createSuppression') }),
  'createSuppression 422': (api) => api.call('post', '/suppressions', { body: { email: 'nope' } }),
  'listSuppressions 200': async (api) => {
    await resendSuppression(api);
    return api.call('get', '/suppressions?origin=manual');
  },
  'listSuppressions 422': (api) => api.call('get', '/suppressions?origin=typo'),
  'getSuppression 200': async (api) => api.call('get', `/suppressions/${(await resendSuppression(api)).id}`),
  'getSuppression 404': (api) => api.call('get', '/suppressions/nobody@example.com'),
  'deleteSuppression 200': async (api) => {
    await resendSuppression(api);
    return api.call('delete', '/suppressions/ada@example.com');
  },
  'deleteSuppression 404': (api) => api.call('delete', `/suppressions/${UNKNOWN_ID}`),
  'addSuppressions 201': (api, doc) =>
    api.call('post', '/suppressions/batch/add', { body: bodyExample(doc, 'addSuppressions') }),
  'addSuppressions 422': (api) =>
    api.call('post', '/suppressions/batch/add', { body: { emails: ['ada@example.com', 'nope'] } }),
  'removeSuppressions 200': async (api, doc) => {
    await resendSuppression(api);
    return api.call('post', '/suppressions/batch/remove', { body: bodyExample(doc, 'removeSuppressions') });
  },
  'removeSuppressions 422': (api) => api.call('post', '/suppressions/batch/remove', { body: { emails: [] } }),
  'createContact 201': (api, doc) =>
    api.call('post', '/contacts', { body: bodyExample(doc, 'createContact') }),
  'createContact 404': (api) =>
    api.call('post', '/contacts', { body: { email: 'ada@example.com', segments: [UNKNOWN_ID] } }),
  'listContacts 200': async (api) => {
    await resendContact(api);
    return api.call('get', '/contacts');
  },
  'getContact 200': async (api) => api.call('get', `/contacts/${(await resendContact(api)).id}`),
  'getContact 404': (api) => api.call('get', `/contacts/${UNKNOWN_ID}`),
  'updateContact 200': async (api, doc) =>
    api.call('patch', `/contacts/${(await resendContact(api)).id}`, {
      body: bodyExample(doc, 'updateContact'),
    }),
  'deleteContact 200': async (api) => api.call('delete', `/contacts/${(await resendContact(api)).id}`),
  'listContactSegments 200': async (api) => {
    const contact = await resendContact(api);
    await api.roster.segments.addMembers(api.projectId, (await resendSegment(api)).id, {
      emails: [contact.email],
    });
    return api.call('get', `/contacts/${contact.id}/segments`);
  },
  'addContactSegment 201': async (api) =>
    api.call('post', `/contacts/${(await resendContact(api)).id}/segments/${(await resendSegment(api)).id}`),
  'removeContactSegment 200': async (api) =>
    api.call(
      'delete',
      `/contacts/${(await resendContact(api)).id}/segments/${(await resendSegment(api)).id}`,
    ),
  'listContactTopics 200': async (api) => {
    await resendTopic(api);
    return api.call('get', `/contacts/${(await resendContact(api)).id}/topics`);
  },
  'updateContactTopics 200': async (api) => {
    const topic = await resendTopic(api);
    return api.call('patch', `/contacts/${(await resendContact(api)).id}/topics`, {
      body: [{ id: topic.id, subscription: 'opt_out' }],
    });
  },
  'createContactImport 201': (api) =>
    api.call('post', '/contacts/imports', { form: csvForm('email\nada@example.com\n') }),
  'listContactImports 200': async (api) => {
    await resendImport(api);
    return api.call('get', '/contacts/imports');
  },
  'getContactImport 200': async (api) => api.call('get', `/contacts/imports/${await resendImport(api)}`),
  ...Object.fromEntries(
    (['Segment', 'Audience'] as const).flatMap((name) => {
      const path = `/${name.toLowerCase()}s`;
      return [
        [
          `create${name} 201`,
          (api: Api, doc: Json) => api.call('post', path, { body: bodyExample(doc, `create${name}`) }),
        ],
        [
          `list${name}s 200`,
          async (api: Api) => {
            await resendSegment(api);
            return api.call('get', path);
          },
        ],
        [`get${name} 200`, async (api: Api) => api.call('get', `${path}/${(await resendSegment(api)).id}`)],
        [
          `delete${name} 200`,
          async (api: Api) => api.call('delete', `${path}/${(await resendSegment(api)).id}`),
        ],
      ];
    }),
  ),
  'listSegmentContacts 200': async (api) =>
    api.call('get', `/segments/${(await resendSegment(api)).id}/contacts`),
  'createAudienceContact 201': async (api, doc) =>
    api.call('post', `/audiences/${(await resendSegment(api)).id}/contacts`, {
      body: bodyExample(doc, 'createAudienceContact'),
    }),
  'listAudienceContacts 200': async (api) =>
    api.call('get', `/audiences/${(await resendSegment(api)).id}/contacts`),
  'getAudienceContact 200': async (api) => {
    const contact = await resendContact(api);
    const segment = await resendSegment(api);
    await api.roster.segments.addMembers(api.projectId, segment.id, { emails: [contact.email] });
    return api.call('get', `/audiences/${segment.id}/contacts/${contact.id}`);
  },
  'updateAudienceContact 200': async (api, doc) =>
    api.call(
      'patch',
      `/audiences/${(await resendSegment(api)).id}/contacts/${(await resendContact(api)).id}`,
      {
        body: bodyExample(doc, 'updateAudienceContact'),
      },
    ),
  'removeAudienceContact 200': async (api) =>
    api.call(
      'delete',
      `/audiences/${(await resendSegment(api)).id}/contacts/${(await resendContact(api)).id}`,
    ),
  'createTopic 201': (api, doc) => api.call('post', '/topics', { body: bodyExample(doc, 'createTopic') }),
  'listTopics 200': async (api) => {
    await resendTopic(api);
    return api.call('get', '/topics');
  },
  'getTopic 200': async (api) => api.call('get', `/topics/${(await resendTopic(api)).id}`),
  'updateTopic 200': async (api, doc) =>
    api.call('patch', `/topics/${(await resendTopic(api)).id}`, { body: bodyExample(doc, 'updateTopic') }),
  'deleteTopic 200': async (api) => api.call('delete', `/topics/${(await resendTopic(api)).id}`),
  'createContactProperty 201': (api, doc) =>
    api.call('post', '/contact-properties', { body: bodyExample(doc, 'createContactProperty') }),
  'listContactProperties 200': async (api) => {
    await resendProperty(api);
    return api.call('get', '/contact-properties');
  },
  'getContactProperty 200': async (api) =>
    api.call('get', `/contact-properties/${(await resendProperty(api)).id}`),
  'updateContactProperty 200': async (api, doc) =>
    api.call('patch', `/contact-properties/${(await resendProperty(api)).id}`, {
      body: bodyExample(doc, 'updateContactProperty'),
    }),
  'deleteContactProperty 200': async (api) =>
    api.call('delete', `/contact-properties/${(await resendProperty(api)).id}`),
};

/**
 * Every documented 401: the operation called with an unknown key (the Resend API, which answers an
 * unknown key 403 as Resend does, with no key).
 */
function unauthorizedScenario(method: string, path: string, doc: Json, base = ''): Scenario {
  return (api) => {
    const op = doc.paths[path][method];
    const url = path.replace(/\{(\w+)\}/g, (_, name) => {
      const param = op.parameters.find((p: Json) => p.name === name);
      return param.example;
    });
    const body = op.requestBody?.content['application/json']?.example;
    return api.call(method, url, { key: base === '/resend' ? null : 'sk_not_a_registered_key', body });
  };
}

/** The machine-readable error name in a dialect's error body: Plunk's `error.code`, Unosend's `error.type`. */
const errorName = (body: Json) =>
  typeof body.name === 'string' && typeof body.statusCode === 'number'
    ? body.name
    : typeof body.error?.type === 'string'
      ? body.error.type
      : body.error?.code;

/** Every `METHOD /path` an Express router serves, with `:param` written as OpenAPI's `{param}`. */
function routesOf(router: express.Router): string[] {
  const out: string[] = [];
  for (const layer of router.stack as { route?: { path: string; methods: Record<string, boolean> } }[]) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
    for (const [method, on] of Object.entries(layer.route.methods)) if (on) out.push(`${method} ${path}`);
  }
  return out.sort();
}

const LIMITS = { maxImportBytes: 4096, maxBulkIds: 1000 };
const dialects = [
  {
    name: 'Plunk',
    doc: plunkOpenApi(LIMITS),
    base: '',
    scenarios: plunkScenarios,
    router: (r: Roster) => createPlunkRouter(r),
  },
  {
    name: 'Unosend',
    doc: unosendOpenApi(LIMITS),
    base: '/v1',
    scenarios: unosendScenarios,
    router: (r: Roster) => createUnosendRouter(r),
  },
  {
    name: 'roster management',
    doc: rosterOpenApi(),
    base: '/roster',
    scenarios: rosterScenarios,
    router: (r: Roster) => createRosterRouter(r),
  },
  {
    name: 'Resend',
    doc: resendOpenApi(),
    base: '/resend',
    scenarios: resendScenarios,
    router: (r: Roster) => createResendRouter(r),
  },
];

describe.each(dialects)('OpenAPI document of the $name API', ({ doc, base, scenarios, router }) => {
  const validator = schemaValidator(doc);
  const documented = operationsOf(doc).flatMap(({ method, path, op }) =>
    Object.entries(op.responses as Json).map(([status, response]) => ({
      method,
      path,
      op,
      status: Number(status),
      response: response as Json,
      id: `${op.operationId} ${status}`,
    })),
  );

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expectValidOpenApi(doc);
  });

  it('documents exactly the routes the router serves', () => {
    const documentedRoutes = operationsOf(doc).map(({ method, path }) => `${method} ${path}`);
    expect(documentedRoutes.sort()).toEqual(routesOf(router(roster)));
  });

  it('has a real-server scenario for every documented response, and documents every scenario', () => {
    const ids = documented.map((d) => d.id).filter((id) => !id.endsWith(' 401'));
    expect(Object.keys(scenarios).sort()).toEqual(ids.sort());
  });

  it('documents a 401 for every operation', () => {
    for (const { op } of operationsOf(doc)) expect(Object.keys(op.responses)).toContain('401');
  });

  it('has request, parameter and response examples that validate against their own schemas', () => {
    for (const { op } of operationsOf(doc)) {
      const json = op.requestBody?.content['application/json'];
      if (json) validator.expectValid(json.schema, json.example, `${op.operationId} request example`);
      for (const param of op.parameters ?? []) {
        if (param.example !== undefined)
          validator.expectValid(param.schema, param.example, `${op.operationId} ${param.name} example`);
      }
    }
    for (const { id, response } of documented) {
      const json = response.content?.['application/json'];
      if (json) {
        expect(json.example, `${id} has an example`).toBeDefined();
        validator.expectValid(json.schema, json.example, `${id} example`);
      }
    }
  });

  it('rejects bodies that differ from the documented shape (the schemas are strict)', () => {
    const contact = documented.find((d) => d.id === 'getContact 200' || d.id === 'getProject 200')!.response
      .content['application/json'];
    expect(validator.isValid(contact.schema, contact.example)).toBe(true);
    expect(validator.isValid(contact.schema, { ...contact.example, extra: 1 })).toBe(false);
    const { id: _, ...withoutId } = contact.example;
    expect(validator.isValid(contact.schema, withoutId)).toBe(false);
  });

  it.each(documented.map((d) => [d.id, d] as const))(
    'the server answers %s as documented',
    async (_id, { method, path, op, status, response }) => {
      const api = apiFor(base);
      const scenario =
        status === 401
          ? unauthorizedScenario(method, path, doc, base)
          : scenarios[`${op.operationId} ${status}`];
      expect(scenario, 'a scenario exists').toBeDefined();
      const res = await scenario!(api, doc);
      const text = await res.text();
      expect(res.status, text).toBe(status);
      const type = res.headers.get('content-type') ?? '';
      if (!response.content) {
        expect(text).toBe('');
        return;
      }
      const json = response.content['application/json'];
      expect(type).toContain('application/json');
      const body = JSON.parse(text);
      validator.expectValid(json.schema, body, `${op.operationId} ${status} response`);
      // Same fields as the example (optional ones aside), and for errors the same error name.
      if (status >= 400) expect(errorName(body)).toBe(errorName(json.example));
      else expect(Object.keys(body).sort()).toEqual(Object.keys(json.example).sort());
      expect(unexpected).toEqual([]);
    },
  );
});

describe('OpenAPI documents, other media types', () => {
  it('the CSV export answers the documented text/csv with the example’s header line', async () => {
    const doc = unosendOpenApi();
    const documentedCsv = doc.paths as Json;
    const example: string =
      documentedCsv['/contacts/export'].get.responses['200'].content['text/csv'].example;
    await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const res = await apiFor('/v1').call('get', '/contacts/export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const text = await res.text();
    expect(text.split('\n')[0]).toBe(example.split('\n')[0]);
  });

  it("accepts the Resend create answer with roster's suppressed: true, as the server sends it for a suppressed address", async () => {
    const doc = resendOpenApi();
    const validator = schemaValidator(doc);
    const op = operationsOf(doc).find((o) => o.op.operationId === 'createContact')!.op;
    const schema = (op.responses as Json)['201'].content['application/json'].schema;
    await roster.suppressions.add(projectId, { email: 'gone@example.com' });
    const res = await apiFor('/resend').call('post', '/contacts', { body: { email: 'gone@example.com' } });
    const body = (await res.json()) as Json;
    expect(body.suppressed).toBe(true);
    validator.expectValid(schema, body, 'createContact 201 of a suppressed address');
    expect(validator.isValid(schema, { ...body, suppressed: false })).toBe(false);
  });

  it('renders the server URL and bulk limit it is given', () => {
    expect((plunkOpenApi({ serverUrl: 'https://contacts.example.com/api' }).servers as Json[])[0]).toEqual({
      url: 'https://contacts.example.com/api',
    });
    const doc = unosendOpenApi({ maxBulkIds: 50 }) as Json;
    const apply = doc.components.schemas.UnosendBulkBody.anyOf[1];
    expect(apply.properties.contact_ids.maxItems).toBe(50);
  });
});
