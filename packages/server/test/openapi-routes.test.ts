import { createRoster, type Roster } from '@roster/core';
import { plunkOpenApi, resendOpenApi, rosterOpenApi, unosendOpenApi } from '@roster/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';

let roster: Roster;
let server: RunningServer;
beforeAll(async () => {
  roster = await createRoster({ database: ':memory:', limits: { maxBulkIds: 250 } });
  server = await startServer({ roster, port: 0 });
});
afterAll(async () => {
  await server.close();
  await roster.close();
});

/** The OpenAPI document the server serves at `/openapi/<name>.json`, without a key: a 200 of JSON. */
async function served(name: string): Promise<Record<string, any>> {
  const res = await fetch(`${server.url}/openapi/${name}.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  return (await res.json()) as Record<string, any>;
}

describe('the server serves the OpenAPI documents', () => {
  it('serves the Plunk document at /openapi/plunk.json without a key', async () => {
    const doc = await served('plunk');
    expect(doc).toEqual(plunkOpenApi({ maxBulkIds: 250 }));
    expect(doc.servers).toEqual([{ url: '/' }]);
  });

  it('serves the Unosend document at /openapi/unosend.json, with the server’s bulk limit', async () => {
    const doc = await served('unosend');
    expect(doc).toEqual(unosendOpenApi({ maxBulkIds: 250 }));
    expect(doc).not.toEqual(unosendOpenApi());
    expect(doc.servers).toEqual([{ url: '/v1' }]);
    expect(doc.components.schemas.UnosendBulkBody.anyOf[1].properties.contact_ids.maxItems).toBe(250);
  });

  it('serves the Resend document at /openapi/resend.json', async () => {
    const doc = await served('resend');
    expect(doc).toEqual(resendOpenApi());
    expect(doc.servers).toEqual([{ url: '/resend' }]);
    expect(doc.paths['/contacts/imports'].post.operationId).toBe('createContactImport');
  });

  it('serves the management document at /openapi/roster.json', async () => {
    const doc = await served('roster');
    expect(doc).toEqual(rosterOpenApi());
    expect(doc.servers).toEqual([{ url: '/roster' }]);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/audit',
      '/consent',
      '/consent/rotate-secret',
      '/contacts',
      '/contacts/export',
      '/contacts/{id}/confirmation',
      '/contacts/{id}/consent',
      '/contacts/{id}/events',
      '/contacts/{id}/topics',
      '/contacts/{id}/unsubscribe-headers',
      '/imports',
      '/imports/{jobId}',
      '/inbound-settings',
      '/jobs',
      '/jobs/{id}',
      '/keys',
      '/keys/{id}',
      '/migrations',
      '/overview',
      '/personal-data/erase',
      '/personal-data/export',
      '/project',
      '/properties',
      '/properties/{idOrKey}',
      '/suppressions',
      '/suppressions/{idOrEmail}',
      '/topics',
      '/topics/{id}',
      '/webhooks',
      '/webhooks/{id}',
      '/webhooks/{id}/deliveries',
      '/webhooks/{id}/deliveries/{deliveryId}',
      '/webhooks/{id}/deliveries/{deliveryId}/attempts',
      '/webhooks/{id}/deliveries/{deliveryId}/replay',
      '/webhooks/{id}/replay',
      '/webhooks/{id}/rotate-secret',
      '/webhooks/{id}/secret',
      '/webhooks/{id}/test',
    ]);
  });

  it('serves the dashboard at /dashboard/', async () => {
    const res = await fetch(`${server.url}/dashboard`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('/dashboard/');
  });
});

describe('unknown routes', () => {
  it('answers an unknown /v1 route in Unosend’s error envelope', async () => {
    for (const path of ['/v1/nope', '/v1/emails', '/v1']) {
      const res = await fetch(`${server.url}${path}?x=1`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: {
          message: `Route POST ${path} not found`,
          code: 404,
          type: 'not_found',
          request_id: expect.any(String),
        },
      });
    }
  });

  it('answers an unknown route outside /v1 in Plunk’s error envelope', async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      success: false,
      error: {
        code: 'NOT_FOUND',
        message: 'Route GET /nope not found',
        statusCode: 404,
        requestId: expect.any(String),
      },
      timestamp: expect.any(String),
    });
  });
});
