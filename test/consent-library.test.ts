import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Roster } from '@roster/core';
import { createConsentPages } from '@roster/express';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterEach, beforeEach, expect, it } from 'vitest';

/**
 * An app that uses only the library (`@roster/core`) and the express consent pages, mounted under
 * its own path: a compliant double opt-in and one-click unsubscribe, end to end over real HTTP.
 */
let roster: Roster;
let server: Server;
let base: string;

describeEachDialect('consent with only the library and the pages', (dialect) => {
  beforeEach(async () => {
    const app = express();
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/email`;
    roster = await createTestRoster(dialect, { publicUrl: base, jobs: { onError: () => {} } });
    app.use('/email', createConsentPages(roster, { onError: (e) => console.error(e) }));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await roster.close();
  });

  it('signs up pending, confirms by the emailed link, then unsubscribes with one click', async () => {
    const project = await roster.projects.ensure('shop');
    const seen: string[] = [];
    roster.events.subscribe(
      ['contact.confirmation_requested', 'contact.confirmed', 'contact.unsubscribed'],
      (e) => {
        seen.push(e.type);
      },
    );

    // Sign-up form: the contact is stored, not subscribed, until it confirms.
    const { contact } = await roster.contacts.upsert(project.id, { email: 'Ada@Example.com', pending: true });
    expect(await roster.contacts.count(project.id, { subscribed: true })).toBe(0);
    const { url } = await roster.consent.requestConfirmation(project.id, contact.id, {
      redirectUrl: 'https://shop.example/thanks',
    });
    expect(url.startsWith(`${base}/confirm/`)).toBe(true);

    // The person opens the email: the GET (or a link scanner's) changes nothing; the button's POST confirms.
    expect((await fetch(url)).status).toBe(200);
    expect((await roster.contacts.get(project.id, contact.id)).subscribed).toBe(false);
    const confirmed = await fetch(url, { method: 'POST', redirect: 'manual' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('https://shop.example/thanks');
    expect((await roster.contacts.get(project.id, contact.id)).subscribed).toBe(true);

    // Every email carries the RFC 8058 headers; the mail provider POSTs the one-click body.
    const headers = await roster.consent.unsubscribeHeaders(project.id, contact.id);
    const link = headers['List-Unsubscribe'].slice(1, -1);
    expect(link.startsWith(`${base}/unsubscribe/`)).toBe(true);
    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect((await roster.contacts.get(project.id, contact.id)).subscribed).toBe(false);
    // Multipart, as some providers send it, and again: still 200.
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    expect((await fetch(link, { method: 'POST', body: form })).status).toBe(200);

    await expect
      .poll(() => seen)
      .toEqual(['contact.confirmation_requested', 'contact.confirmed', 'contact.unsubscribed']);
  });
});
