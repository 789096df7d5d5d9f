import { describeEachDialect, eachTestRoster } from '@roster/test-harness';
import { expect, it } from 'vitest';
import { withChangeSource } from '../consent/change-source.js';
import type { Roster } from '../roster.js';

let roster: Roster;
let projectId: string;

// Concurrent track calls and idempotency claims go through the write queue (one shared
// transaction per batch on SQLite): each call must still be all or nothing, and each answer true.
describeEachDialect('track and idempotency keys under concurrency', (dialect) => {
  eachTestRoster(dialect, ['main'], (r, [main]) => {
    roster = r;
    projectId = main;
  });

  it('concurrent calls for a few emails make one contact each and keep every event', async () => {
    const calls = Array.from({ length: 40 }, (_, i) =>
      roster.events.track(projectId, {
        event: 'page_view',
        email: `user${i % 4}@example.com`,
        data: { visits: i, [`k${i}`]: true },
      }),
    );
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.created)).toHaveLength(4);
    expect(await roster.contacts.count(projectId)).toBe(4);
    for (let k = 0; k < 4; k++) {
      const contact = (await roster.contacts.findByEmail(projectId, `user${k}@example.com`))!;
      const events = await roster.events.list(projectId, contact.id);
      expect(events).toHaveLength(10);
      expect(new Set(events.map((e) => e.id))).toEqual(
        new Set(results.filter((r) => r.contact.id === contact.id).map((r) => r.event.id)),
      );
      // Every call's data was merged: ten distinct keys (plus the last visits).
      expect(Object.keys(contact.data ?? {}).filter((key) => key.startsWith('k'))).toHaveLength(10);
    }
  });

  it('concurrent calls each record their own change source in the consent record of their flip', async () => {
    for (let i = 0; i < 4; i++) await roster.contacts.upsert(projectId, { email: `flip${i}@example.com` });
    // On SQLite the four writes share one batch, started by the first caller.
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        withChangeSource({ source: `source-${i}`, clientAddress: `10.0.0.${i}` }, () =>
          roster.events.track(projectId, { event: 'x', email: `flip${i}@example.com`, subscribed: false }),
        ),
      ),
    );
    for (let i = 0; i < 4; i++) {
      const contact = (await roster.contacts.findByEmail(projectId, `flip${i}@example.com`))!;
      const flips = await roster.events.list(projectId, contact.id, { name: 'contact.unsubscribed' });
      expect(flips.map((e) => e.data)).toEqual([{ source: `source-${i}`, clientAddress: `10.0.0.${i}` }]);
    }
  });

  it('concurrent claims of one key: exactly one wins; settling a 4xx frees it', async () => {
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => roster.idempotency.claim(projectId, 'key-1', 'POST', '/v1/track')),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    const refused = claims.find((c) => !c.claimed) as {
      claimed: false;
      holder: { originalStatusCode: null };
    };
    expect(refused.holder.originalStatusCode).toBeNull();
    await roster.idempotency.settle(projectId, 'key-1', 422);
    expect(await roster.idempotency.claim(projectId, 'key-1', 'POST', '/v1/track')).toEqual({
      claimed: true,
    });
    await roster.idempotency.settle(projectId, 'key-1', 200);
    const again = await roster.idempotency.claim(projectId, 'key-1', 'POST', '/v1/track');
    expect(again).toMatchObject({ claimed: false, holder: { originalStatusCode: 200 } });
  });

  it('trackWithKey: concurrent calls with one key track once; the others are refused with the holder and write nothing', async () => {
    const claim = { key: 'key-2', method: 'POST', path: '/v1/track', statusCode: 200 };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        roster.events.trackWithKey(projectId, { event: 'buy', email: `once${i}@example.com` }, claim),
      ),
    );
    const won = outcomes.filter((o) => o.claimed);
    expect(won).toHaveLength(1);
    for (const o of outcomes.filter((o) => !o.claimed)) {
      expect(o).toEqual({
        claimed: false,
        holder: {
          key: 'key-2',
          originalRequest: 'POST /v1/track',
          originalRequestAt: expect.any(String),
          originalStatusCode: 200,
        },
      });
    }
    // Only the winner's contact and event were written.
    expect(await roster.contacts.count(projectId)).toBe(1);
    const contact = (won[0] as { tracked: { contact: { id: string } } }).tracked.contact;
    expect(await roster.events.list(projectId, contact.id)).toHaveLength(1);
  });

  it('trackWithKey: distinct keys in one batch are all claimed; a key held by claim (in flight) refuses', async () => {
    expect(await roster.idempotency.claim(projectId, 'held', 'POST', '/v1/track')).toEqual({ claimed: true });
    const outcomes = await Promise.all(
      ['a', 'b', 'held', 'c'].map((key) =>
        roster.events.trackWithKey(
          projectId,
          { event: 'buy', email: `${key}@example.com` },
          { key, method: 'POST', path: '/v1/track', statusCode: 200 },
        ),
      ),
    );
    expect(outcomes.map((o) => o.claimed)).toEqual([true, true, false, true]);
    expect(outcomes[2]).toMatchObject({ claimed: false, holder: { originalStatusCode: null } });
    expect(await roster.contacts.findByEmail(projectId, 'held@example.com')).toBeNull();
    expect(await roster.contacts.count(projectId)).toBe(3);
    // The claimed keys hold the status they were recorded with: a later claim sees it.
    expect(await roster.idempotency.claim(projectId, 'b', 'POST', '/v1/track')).toMatchObject({
      claimed: false,
      holder: { originalStatusCode: 200 },
    });
  });

  it('trackWithKey: invalid input throws and claims nothing', async () => {
    await expect(
      roster.events.trackWithKey(
        projectId,
        { event: 'email.sent', email: 'x@example.com' },
        { key: 'k-invalid', method: 'POST', path: '/v1/track', statusCode: 200 },
      ),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await roster.idempotency.claim(projectId, 'k-invalid', 'POST', '/v1/track')).toEqual({
      claimed: true,
    });
  });
});
