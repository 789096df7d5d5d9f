import { createTestRoster, describeEachDialect, rosterRejection } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

let now = Date.parse('2026-03-01T12:00:00.000Z');
const clock = () => new Date(now);

describeEachDialect('rate limits', (dialect) => {
  let roster: Roster;
  let projectId: string;
  beforeEach(async () => {
    now = Date.parse('2026-03-01T12:00:00.000Z');
    roster = await createTestRoster(dialect, { clock, jobs: { onError: () => {} } });
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(async () => {
    await roster.close();
  });

  const rule = { perSecond: 2, burst: 3 };

  it('gives a burst, then refuses until the bucket refills at the sustained rate', async () => {
    const takes = [];
    for (let i = 0; i < 4; i++) takes.push(await roster.rateLimits.take(projectId, 'contacts:write', rule));
    expect(takes.map((t) => [t.allowed, t.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(takes[3]).toMatchObject({ limit: 3, retryAfterSeconds: 1, resetSeconds: 2 });
    now += 500; // one token at 2 per second
    expect(await roster.rateLimits.take(projectId, 'contacts:write', rule)).toMatchObject({
      allowed: true,
      remaining: 0,
    });
    now += 60_000; // never more than the burst
    expect(await roster.rateLimits.take(projectId, 'contacts:write', rule)).toMatchObject({
      allowed: true,
      remaining: 2,
      resetSeconds: 1,
    });
  });

  it('keeps one bucket per project and bucket name', async () => {
    const other = (await roster.projects.ensure('other')).id;
    for (let i = 0; i < 3; i++) await roster.rateLimits.take(projectId, 'track', rule);
    expect((await roster.rateLimits.take(projectId, 'track', rule)).allowed).toBe(false);
    expect((await roster.rateLimits.take(other, 'track', rule)).allowed).toBe(true);
    expect((await roster.rateLimits.take(projectId, 'contacts:write', rule)).allowed).toBe(true);
  });

  it('never gives more than the burst to concurrent takes', async () => {
    const takes = await Promise.all(
      Array.from({ length: 20 }, () =>
        roster.rateLimits.take(projectId, 'track', { perSecond: 1, burst: 5 }),
      ),
    );
    expect(takes.filter((t) => t.allowed)).toHaveLength(5);
  });

  it('refills nothing when a clock is behind the stored one', async () => {
    for (let i = 0; i < 3; i++) await roster.rateLimits.take(projectId, 'track', rule);
    now -= 10_000;
    expect((await roster.rateLimits.take(projectId, 'track', rule)).allowed).toBe(false);
  });

  it('refuses a rule that is no rate, naming the field', async () => {
    const error = await rosterRejection(
      roster.rateLimits.take(projectId, 'track', { perSecond: 0, burst: 3 }),
    );
    expect(error.details.issues).toEqual([
      { field: 'track.perSecond', message: 'must be a number above 0 and at most 1000000' },
    ]);
  });
});
