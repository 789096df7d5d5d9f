import type { Roster } from '@roster/core';
import { type RunningServer, startServer } from '@roster/server';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';

/**
 * Consent over real HTTP (roster serve's app): double opt-in started from each dialect's create,
 * confirmed on the public page; one-click unsubscribe (RFC 8058); the preference page without
 * JavaScript; the consent record of each change.
 */
let roster: Roster;
let server: RunningServer;
let sk: string;
let pk: string;
let un: string;
let re: string;
let projectId: string;

const PUBLIC_URL = 'https://lists.example.com';
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1).replace(/>$/, '');

describeEachDialect('consent over HTTP', (dialect) => {
  beforeAll(async () => {
    roster = await createTestRoster(dialect, { publicUrl: PUBLIC_URL, jobs: { onError: () => {} } });
    projectId = (await roster.projects.ensure('default')).id;
    sk = (await roster.keys.create(projectId, { prefix: 'sk_' })).key;
    pk = (await roster.keys.create(projectId, { prefix: 'pk_' })).key;
    un = (await roster.keys.create(projectId, { prefix: 'un_' })).key;
    re = (await roster.keys.create(projectId, { prefix: 're_' })).key;
    server = await startServer({ roster, port: 0, onError: (e) => console.error(e) });
  });
  afterAll(async () => {
    await server.close();
    await roster.close();
  });
  beforeEach(async () => {
    await roster.db.deleteFrom('roster_contacts').execute();
    await roster.db.deleteFrom('roster_topics').execute();
  });

  async function call(method: string, path: string, key: string | null, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function form(path: string, fields: [string, string][] | string, accept = 'text/html') {
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
      body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
    });
  }

  const subscribed = async (id: string) => (await roster.contacts.get(projectId, id)).subscribed;
  const events = async (id: string) =>
    (await call('GET', `/roster/contacts/${id}/events`, sk)).body.data as {
      name: string;
      data: Record<string, unknown> | null;
    }[];

  it('runs a double opt-in started by Plunk: pending, a GET that changes nothing, a POST that confirms and redirects', async () => {
    const created = await call('POST', '/contacts', sk, { email: 'ada@example.com', pending: true });
    expect(created.status).toBe(201);
    expect(created.body.subscribed).toBe(false);
    const id = created.body.id as string;
    const listed = await call('GET', '/contacts?subscribed=true', sk);
    expect(listed.body.total).toBe(0);

    const request = await call('POST', `/roster/contacts/${id}/confirmation`, sk, {
      redirectUrl: 'https://app.example.com/welcome',
    });
    expect(request.status).toBe(201);
    expect(Object.keys(request.body).sort()).toEqual(['expiresAt', 'token', 'url']);
    expect(request.body.url).toBe(`${PUBLIC_URL}/confirm/${request.body.token}`);
    const path = `/confirm/${request.body.token}`;

    const page = await fetch(`${server.url}${path}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('<form method="post">');
    expect(await subscribed(id)).toBe(false); // link scanners prefetch: a GET changes nothing

    const confirmed = await form(path, '');
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('https://app.example.com/welcome');
    expect(await subscribed(id)).toBe(true);
    expect((await call('GET', `/roster/contacts/${id}/consent`, sk)).body.status).toBe('confirmed');

    // Never downgraded by writes that merely omit the flag (Plunk's upsert and track included).
    expect((await call('POST', '/contacts', sk, { email: 'ada@example.com', data: { a: 1 } })).status).toBe(
      200,
    );
    expect((await call('POST', '/v1/track', pk, { event: 'login', email: 'ada@example.com' })).status).toBe(
      200,
    );
    expect((await call('POST', '/contacts', sk, { email: 'ada@example.com', pending: true })).status).toBe(
      200,
    );
    expect(await subscribed(id)).toBe(true);

    const names = (await events(id)).map((e) => [e.name, e.data?.source]);
    expect(names).toEqual([
      ['login', undefined],
      ['contact.confirmed', 'confirmation'],
      ['contact.subscribed', 'confirmation'],
      ['contact.confirmation_requested', 'roster'],
    ]);
    const flip = (await events(id)).find((e) => e.name === 'contact.subscribed')!;
    expect(flip.data?.clientAddress).toMatch(/127\.0\.0\.1/);
  });

  it('names the API of each write in its consent record: Plunk for /v1/track, under Unosend’s /v1', async () => {
    const created = await call('POST', '/contacts', sk, { email: 'flip@example.com', subscribed: false });
    const id = created.body.id as string;
    const tracked = await call('POST', '/v1/track', pk, {
      event: 'signup',
      email: 'flip@example.com',
      subscribed: true,
    });
    expect(tracked.status).toBe(200);
    const unsubscribed = await call('PATCH', `/v1/contacts/${id}`, un, { subscribed: false });
    expect(unsubscribed.status).toBe(200);
    const flips = (await events(id))
      .filter((e) => e.name.startsWith('contact.'))
      .map((e) => [e.name, e.data?.source]);
    expect(flips).toEqual([
      ['contact.unsubscribed', 'unosend'],
      ['contact.subscribed', 'plunk'],
    ]);
  });

  it('starts a contact pending from Unosend and Resend creates too', async () => {
    const uno = await call('POST', '/v1/contacts', un, { email: 'uno@example.com', pending: true });
    expect(uno.status).toBe(201);
    expect(await subscribed(uno.body.id)).toBe(false);
    const res = await call('POST', '/resend/contacts', re, { email: 'res@example.com', pending: true });
    expect(res.status).toBe(201);
    expect(await subscribed(res.body.id)).toBe(false);
    for (const id of [uno.body.id, res.body.id]) {
      expect((await call('GET', `/roster/contacts/${id}/consent`, sk)).body.status).toBe('pending');
    }
    const bad = await call('POST', '/v1/contacts', un, { email: 'x@example.com', pending: 'yes' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('pending');
  });

  it('refuses a confirmation redirect that is not http(s), naming redirectUrl', async () => {
    const created = await call('POST', '/contacts', sk, { email: 'ada@example.com', pending: true });
    const refused = await call('POST', `/roster/contacts/${created.body.id}/confirmation`, sk, {
      redirectUrl: 'javascript:alert(1)',
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('redirectUrl');
  });

  it('unsubscribes with one click (RFC 8058): no key, idempotent, 200 after the contact is deleted', async () => {
    const created = await call('POST', '/contacts', sk, { email: 'ada@example.com' });
    const id = created.body.id as string;
    const headers = (await call('GET', `/roster/contacts/${id}/unsubscribe-headers`, sk)).body;
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(headers['List-Unsubscribe']).toMatch(/^<https:\/\/lists\.example\.com\/unsubscribe\/[\w-]+>$/);
    const path = `/unsubscribe/${tokenOf(headers['List-Unsubscribe'])}`;

    const page = await fetch(`${server.url}${path}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(html).toContain(`href="/preferences/${tokenOf(headers['List-Unsubscribe'])}"`);
    expect(await subscribed(id)).toBe(true);

    expect((await form(path, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect(await subscribed(id)).toBe(false);
    expect((await form(path, 'List-Unsubscribe=One-Click')).status).toBe(200);
    const [flip] = await events(id);
    expect(flip).toMatchObject({ name: 'contact.unsubscribed', data: { source: 'unsubscribe_link' } });

    expect((await form(path, 'nothing=here')).status).toBe(400);
    await call('DELETE', `/contacts/${id}`, sk);
    expect((await form(path, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect((await form('/unsubscribe/not-a-token', 'List-Unsubscribe=One-Click')).status).toBe(404);
  });

  it('saves the preference page without JavaScript (form post, token checked) and with it (JSON)', async () => {
    const news = (
      await call('POST', '/roster/topics', sk, {
        name: '<b>News</b>',
        defaultSubscription: 'opt_in',
        visibility: 'public',
      })
    ).body;
    await call('POST', '/roster/topics', sk, { name: 'Secret', defaultSubscription: 'opt_in' });
    const created = await call('POST', '/contacts', sk, { email: 'ada@example.com' });
    const id = created.body.id as string;
    const headers = (await call('GET', `/roster/contacts/${id}/unsubscribe-headers`, sk)).body;
    const page = await fetch(`${server.url}/preferences/${tokenOf(headers['List-Unsubscribe'])}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('a***@e***.com');
    expect(html).not.toContain('ada@example.com');
    expect(html).toContain('&lt;b&gt;News&lt;/b&gt;');
    expect(html).not.toContain('Secret');
    const action = html.match(/action="([^"]+)"/)![1]!;
    const token = html.match(/name="token" value="([^"]+)"/)![1]!;
    expect(action).toBe(`/preferences/${token}`);

    const forged = await form(action, [
      ['token', 'other'],
      ['subscribed', '1'],
    ]);
    expect(forged.status).toBe(400);

    const saved = await form(action, [
      ['token', token],
      ['subscribed', '1'],
      ['shown', news.id],
      ['action', 'save'],
    ]);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`${action}?saved=1`);
    const topics = (await call('GET', `/roster/contacts/${id}/topics`, sk)).body.data;
    expect(topics.find((t: { id: string }) => t.id === news.id).subscription).toBe('opt_out');
    expect(await subscribed(id)).toBe(true);

    const json = await form(
      action,
      [
        ['token', token],
        ['action', 'unsubscribe_all'],
      ],
      'application/json',
    );
    expect(json.status).toBe(200);
    expect(((await json.json()) as { preferences: { subscribed: boolean } }).preferences.subscribed).toBe(
      false,
    );
    expect(await subscribed(id)).toBe(false);
    expect((await events(id)).map((e) => [e.name, e.data?.source])).toEqual([
      ['contact.unsubscribed', 'preferences'],
      ['contact.topics_changed', 'preferences'],
    ]);
  });

  it('records the dialect of each API write as its source', async () => {
    const created = await call('POST', '/contacts', sk, { email: 'ada@example.com' });
    const id = created.body.id as string;
    await call('PATCH', `/contacts/${id}`, sk, { subscribed: false });
    await call('PATCH', `/v1/contacts/${id}`, un, { subscribed: true });
    await call('PATCH', `/resend/contacts/${id}`, re, { unsubscribed: true });
    expect((await events(id)).map((e) => [e.name, e.data?.source])).toEqual([
      ['contact.unsubscribed', 'resend'],
      ['contact.subscribed', 'unosend'],
      ['contact.unsubscribed', 'plunk'],
    ]);
  });

  it('answers a link that is not valid with a 404 page', async () => {
    const res = await fetch(`${server.url}/confirm/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('This link is not valid');
  });
});
