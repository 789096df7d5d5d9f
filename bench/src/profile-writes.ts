/**
 * Roster's own CPU per single-contact call, without HTTP (not part of `pnpm bench`):
 *
 *   node --conditions=@roster/source --import tsx bench/src/profile-writes.ts [calls] [concurrency] [--only upsert,track,get] [--statements] [--profile] [--contacts 10000] [--segments] [--change-source]
 *
 * Seeds a SQLite file with 10 000 contacts (`--contacts`; with `--segments`, the segments suite's
 * database instead: those contacts created over a year, 3 events each, and its fixed clock),
 * opens it with roster's defaults (group commit on) and runs, after 300 warm-up calls each: `contacts.upsert` of existing emails with a data change,
 * `events.track` of existing emails, and `contacts.get` by id (with `--only`, also `trackkey`:
 * `events.trackWithKey` with a fresh Idempotency-Key each, and `trackkeysplit`: the same as
 * `idempotency.claim`, `events.track` and `idempotency.settle`; a kind may be listed again, to
 * interleave them); `concurrency` calls at a time (50,
 * as the HTTP loads; default 1). For each it prints this process's CPU time per call
 * (`process.cpuUsage`, which holds on a loaded machine far better than wall time) and the SQLite
 * statements run per call; `--statements` lists them by SQL text with their summed time (wall
 * time: inflated on a loaded machine), `--profile` prints the top frames of a V8 CPU profile and
 * writes /tmp/roster-profile-writes-<call>.cpuprofile. `--change-source` runs each call inside
 * `withChangeSource` as the HTTP routers do (on Node 20 an AsyncLocalStorage in use costs a hook
 * on every promise, so this is the cost a call has over HTTP).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createRoster, withChangeSource } from '@roster/core';
import { emailOf } from './data.js';
import { freshDatabase, openRaw, seedContacts, tempDir } from './fixtures.js';
import { type Profile, summarise } from './profile-summary.js';
import { statementCounter } from './statement-counter.js';
import { buildSegmentsDatabase, openSegmentsRoster } from './suites/segments.js';

const args = process.argv.slice(2);
const valued = ['--only', '--contacts'];
const positional = args.filter((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1] ?? ''));
const calls = Number(positional[0] ?? 2000);
const concurrency = Number(positional[1] ?? 1);
const onlyAt = args.indexOf('--only');
const kinds = onlyAt === -1 ? ['upsert', 'track', 'get'] : args[onlyAt + 1]!.split(',');
const listStatements = args.includes('--statements');
const profiling = args.includes('--profile');
const contactsAt = args.indexOf('--contacts');
const contacts = contactsAt === -1 ? 10_000 : Number(args[contactsAt + 1]);
const segmentsShape = args.includes('--segments');
const changeSource = args.includes('--change-source');

const counter = statementCounter(160);
const counts = counter.counts;

const { dir, cleanup } = tempDir();
try {
  const path = join(dir, 'writes.db');
  const { projectId } = segmentsShape
    ? await buildSegmentsDatabase(path, contacts)
    : await freshDatabase(path);
  if (!segmentsShape) {
    const raw = openRaw(path);
    seedContacts(raw, projectId, 0, contacts);
    raw.close();
  }
  const roster = segmentsShape ? await openSegmentsRoster(path) : await createRoster({ database: path });
  const emails = Array.from({ length: 1000 }, (_, i) => emailOf(i * Math.floor(contacts / 1000) + 3));
  const ids = (await roster.contacts.list(projectId, { limit: 100 })).data.map((c) => c.id);
  let keys = 0;
  const run: Record<string, (i: number) => Promise<unknown>> = {
    upsert: (i) =>
      roster.contacts.upsert(projectId, { email: emails[i % 1000]!, data: { plan: 'pro', n: i % 7 } }),
    track: (i) =>
      roster.events.track(projectId, { event: 'page_view', email: emails[i % 1000]!, data: { plan: 'pro' } }),
    get: (i) => roster.contacts.get(projectId, ids[i % ids.length]!),
    // A fresh Idempotency-Key each, claimed and settled around the track in writes of their own
    // (the route's way before 2026-12-08, still its way for a failed track) ...
    trackkeysplit: async (i) => {
      const key = `split-${keys++}`;
      const claim = await roster.idempotency.claim(projectId, key, 'POST', '/v1/track');
      if (!claim.claimed) throw new Error(`key ${key} refused`);
      await roster.events.track(projectId, {
        event: 'page_view',
        email: emails[i % 1000]!,
        data: { plan: 'pro' },
      });
      await roster.idempotency.settle(projectId, key, 200);
    },
    // ... and claimed in the track's own write (events.trackWithKey, the route's way since).
    trackkey: async (i) => {
      const key = `folded-${keys++}`;
      const outcome = await roster.events.trackWithKey(
        projectId,
        { event: 'page_view', email: emails[i % 1000]!, data: { plan: 'pro' } },
        { key, method: 'POST', path: '/v1/track', statusCode: 200 },
      );
      if (!outcome.claimed) throw new Error(`key ${key} refused`);
    },
  };
  for (const kind of kinds) {
    const call = run[kind];
    if (!call) throw new Error(`unknown call ${kind}: ${Object.keys(run).join(', ')}`);
    for (let i = 0; i < 300; i++) await call(i);
    const session = profiling ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    counts.clear();
    counter.counting = true;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < calls; i += concurrency)
      await Promise.all(
        Array.from({ length: Math.min(concurrency, calls - i) }, (_, k) =>
          changeSource ? withChangeSource({ source: 'plunk' }, () => call(i + k)) : call(i + k),
        ),
      );
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    counter.counting = false;
    console.log(
      `${kind}: ${((cpu.user + cpu.system) / calls).toFixed(1)} µs CPU per call (${calls} calls, ${concurrency} at a time; wall ${((wallMs * 1000) / calls).toFixed(1)} µs per call)`,
    );
    let statements = 0;
    for (const [sql, c] of [...counts].sort((a, b) => b[1].ms - a[1].ms)) {
      statements += c.calls;
      if (listStatements)
        console.log(
          `  ${(c.calls / calls).toFixed(2)} per call, ${((c.ms * 1000) / calls).toFixed(1)} µs  ${sql}`,
        );
    }
    console.log(`  ${(statements / calls).toFixed(2)} SQLite statements per call`);
    if (session) {
      const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
      session.disconnect();
      writeFileSync(`/tmp/roster-profile-writes-${kind}.cpuprofile`, JSON.stringify(profile));
      summarise(profile, calls, join(import.meta.dirname, '../..'), 'call');
    }
  }
  await roster.close();
} finally {
  cleanup();
}
