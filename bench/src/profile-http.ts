/**
 * CPU per request of HTTP routes under autocannon load (not part of `pnpm bench`):
 *
 *   node --conditions=@roster/source --import tsx bench/src/profile-http.ts hello,json,get,v1,post,trackjson,track,trackkey,hello,get [--profile] [--seconds 8] [--contacts 100000] [--spread] [--segments]
 *
 * Routes: `hello` (Express hello world), `json` (Express parsing the `post` bodies with `express.json()`
 * and answering a contact-sized JSON object: the baseline of `POST /contacts`), `trackjson` (the
 * same echo of the `track` bodies, answering an object of track's shape: the baseline of
 * `POST /v1/track`; `json` sends the `post` bodies, without `event`), `get` (`GET /contacts/:id`), `v1` (`GET /v1/contacts/:id`),
 * `post` (`POST /contacts`, upserts of 1 000 existing emails, as the million suite) and `track`
 * (`POST /v1/track` with a `pk_` key on the same emails, as the segments suite; rate limit off);
 * `trackkey` is `track` with a fresh `Idempotency-Key` on each request; `memory` (Express, as hello
 * world, answering `GET /contacts/:id` with the very JSON object roster answers for that id, from
 * memory: `startHelloWorld`'s baseline of the read routes), `memorykey` (the same from memory,
 * behind roster's own head of the Plunk routes: request id, change source and the secret-key check),
 * `memoryasync` (`memorykey` answered after an `await` of an async lookup) and `keyedread` (behind
 * that head, `roster.contacts.get` mapped with `toPlunkContact` and sent with `res.json`: roster's
 * read without the server app's and the Plunk router's layers).
 * The ids are the newest 1 000 contacts, or with `--spread` 1 000 spread over the whole table (as the
 * million suite reads them).
 *
 * With `--segments`, the database has the segments suite's shape instead (`bench/src/suites/segments.ts`:
 * the contacts created over a year, 3 events each, its 20 segments, its fixed clock and no job runner),
 * so `track` runs as in that suite.
 *
 * Seeds a SQLite file, starts roster's server and Express hello world in this process, and loads
 * each route in the given order (so interleaved routes see the same machine). For each load it
 * prints this process's CPU time per request (`process.cpuUsage`, which does not count time spent
 * waiting for a busy CPU, so it holds on a loaded machine far better than req/s). With `--profile`,
 * each load is also recorded as a V8 CPU profile (node:inspector) whose top frames are printed and
 * written to /tmp/roster-profile-<route>-<n>.cpuprofile (open it in Chrome DevTools). Each load also
 * prints the load client's own CPU per request, the answers' mean size and the cores the whole
 * machine kept busy (on 2 cores, a client that needs more CPU per answer leaves the server less).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { contactIdText, createRoster } from '@roster/core';
import { authenticate, changeSource, observeRequests, projectIdOf, toPlunkContact } from '@roster/express';
import { startServer } from '@roster/server';
import express from 'express';
import { FULL } from './context.js';
import { emailOf } from './data.js';
import { freshDatabase, openRaw, seedContacts, tempDir } from './fixtures.js';
import { runLoad, startHelloWorld } from './http-load.js';
import { type Profile, summarise } from './profile-summary.js';
import { buildSegmentsDatabase, openSegmentsRoster, SEGMENTS } from './suites/segments.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const routes = (args[0] ?? 'hello,get').split(',');
const profiling = args.includes('--profile');
const seconds = option('--seconds', 8);
const contacts = option('--contacts', 100_000);
const spread = args.includes('--spread');
const segmentsShape = args.includes('--segments');
const root = join(import.meta.dirname, '../..');
const { dir, cleanup } = tempDir();
const ctx = {
  root,
  dir,
  quick: true,
  sizes: FULL,
  runs: 1,
  add() {},
  mark() {},
  section() {},
  log: console.log,
};

try {
  const path = join(dir, 'profile.db');
  const t0 = performance.now();
  const { projectId } = segmentsShape
    ? await buildSegmentsDatabase(path, contacts)
    : await freshDatabase(path);
  const raw = openRaw(path);
  if (!segmentsShape) seedContacts(raw, projectId, 0, contacts);
  const all = raw
    .prepare(
      `select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) order by seq desc${spread ? '' : ' limit 1000'}`,
    )
    .pluck()
    .all(projectId)
    .map(contactIdText);
  const step = Math.max(1, Math.floor(all.length / 1000));
  const ids = all.filter((_, i) => i % step === 0).slice(0, 1000);
  raw.close();
  const roster = segmentsShape ? await openSegmentsRoster(path) : await createRoster({ database: path });
  if (segmentsShape) {
    for (const segment of SEGMENTS) {
      await roster.segments.create(projectId, { name: segment.name, condition: segment.condition });
    }
  }
  console.log(
    `seeded ${contacts} contacts${segmentsShape ? `, ${contacts * 3} events and ${SEGMENTS.length} segments` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const { key } = await roster.keys.create(projectId);
  const { key: publicKey } = await roster.keys.create(projectId, { prefix: 'pk_' });
  // One load client: the per-client limits of /v1/track would measure the limiter (as the segments suite).
  const server = await startServer({
    roster,
    port: 0,
    host: '127.0.0.1',
    onError: () => {},
    trackRateLimit: false,
  });
  const auth = { Authorization: `Bearer ${key}` };
  // What roster answers for each id, kept in memory for the `memory` baselines.
  const answers = new Map<string, unknown>();
  for (const id of ids) {
    const res = await fetch(`${server.url}/contacts/${id}`, { headers: auth });
    if (!res.ok) throw new Error(`GET /contacts/${id} answered ${res.status}`);
    answers.set(id, await res.json());
  }
  const hello = await startHelloWorld(answers);
  // The same answers behind roster's head of the Plunk routes (request id, change source, secret key).
  const keyed = express();
  keyed.disable('x-powered-by');
  keyed.set('etag', false);
  keyed.use(observeRequests('none'));
  keyed.use(changeSource('plunk'));
  keyed.use(
    ['/contacts', '/async', '/read'],
    authenticate(roster, { rejectPrefixes: [{ prefix: 'pk_', message: 'secret key' }] }),
  );
  keyed.get('/contacts/:id', (req, res) => {
    res.json(answers.get(req.params.id));
  });
  const lookup = async (id: string) => answers.get(id);
  keyed.get('/async/:id', async (req, res) => {
    res.json(await lookup(req.params.id));
  });
  // roster's read and its Plunk mapping behind that head, without the server app's and router's layers.
  keyed.get('/read/:id', async (req, res) => {
    res.json(toPlunkContact(await roster.contacts.get(projectIdOf(res), req.params.id)));
  });
  const keyedServer = await new Promise<Server>((resolve) => {
    const s = keyed.listen(0, '127.0.0.1', () => resolve(s));
  });
  const keyedUrl = `http://127.0.0.1:${(keyedServer.address() as AddressInfo).port}/contacts`;
  const emails = Array.from({ length: 1000 }, (_, i) => emailOf(i * Math.floor(contacts / 1000) + 3));
  const specs: Record<string, Record<string, unknown>> = {
    hello: { url: hello.url, method: 'GET', headers: {} },
    json: { url: hello.jsonUrl, method: 'POST', headers: {}, emails },
    get: { url: `${server.url}/contacts`, method: 'GET', headers: auth, ids },
    v1: { url: `${server.url}/v1/contacts`, method: 'GET', headers: auth, ids },
    memory: { url: hello.memoryUrl, method: 'GET', headers: {}, ids },
    memorykey: { url: keyedUrl, method: 'GET', headers: auth, ids },
    memoryasync: { url: keyedUrl.replace(/contacts$/, 'async'), method: 'GET', headers: auth, ids },
    keyedread: { url: keyedUrl.replace(/contacts$/, 'read'), method: 'GET', headers: auth, ids },
    post: { url: `${server.url}/contacts`, method: 'POST', headers: auth, emails },
    // The JSON echo of the track bodies (express.json(), a track-shaped answer): track's baseline.
    trackjson: { url: hello.trackJsonUrl, method: 'POST', headers: {}, emails, event: 'page_view' },
    track: {
      url: `${server.url}/v1/track`,
      method: 'POST',
      headers: { Authorization: `Bearer ${publicKey}` },
      emails,
      event: 'page_view',
    },
  };
  specs.trackkey = { ...specs.track, idempotencyKeys: true };
  const perRoute = new Map<string, number[]>();
  const rpsPerRoute = new Map<string, number[]>();
  const clientPerRoute = new Map<string, number[]>();
  try {
    for (const name of new Set(routes)) {
      await runLoad(ctx, { ...specs[name], connections: 50, seconds: 2 }); // warm-up
    }
    for (const [n, name] of routes.entries()) {
      const spec = { ...specs[name], connections: 50, seconds };
      const session = profiling ? new Session() : null;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
      }
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      const load = await runLoad(ctx, spec);
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0).utilization;
      const us = (cpu.user + cpu.system) / load.total;
      perRoute.set(name, [...(perRoute.get(name) ?? []), us]);
      rpsPerRoute.set(name, [...(rpsPerRoute.get(name) ?? []), load.requestsPerSecond]);
      clientPerRoute.set(name, [...(clientPerRoute.get(name) ?? []), load.clientCpuUs]);
      const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      console.log(
        `${name}: ${us.toFixed(1)} µs CPU per request (user ${(cpu.user / load.total).toFixed(1)}, system ${(cpu.system / load.total).toFixed(1)}); ${load.requestsPerSecond.toFixed(0)} req/s, p99 ${load.p99} ms, event loop busy ${(elu * 100).toFixed(0)} %; load client ${load.clientCpuUs.toFixed(1)} µs CPU per request, ${load.bytesPerAnswer.toFixed(0)} B per answer; machine ${load.coresBusy.toFixed(2)} cores busy; load average ${loadavg}`,
      );
      if (session) {
        const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
        session.disconnect();
        writeFileSync(`/tmp/roster-profile-${name}-${n}.cpuprofile`, JSON.stringify(profile));
        summarise(profile, load.total, root);
      }
    }
  } finally {
    await hello.close();
    await new Promise((resolve) => keyedServer.close(resolve));
    await server.close();
    await roster.close();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  // Ratios against hello world, the JSON write routes' against the JSON echo of their own bodies
  // too (`json` for `post`, `trackjson` for `track` and `trackkey`), and the read routes' against
  // the same answers from memory.
  const baselinesOf = (name: string) =>
    ['hello', 'json', 'trackjson', 'memory'].filter(
      (b) =>
        b !== name &&
        perRoute.has(b) &&
        (b === 'hello' ||
          (b === 'json' && name === 'post') ||
          (b === 'trackjson' && ['track', 'trackkey'].includes(name)) ||
          (b === 'memory' && ['get', 'v1', 'memorykey', 'memoryasync', 'keyedread'].includes(name))),
    );
  for (const [name, values] of perRoute) {
    const ratios = baselinesOf(name)
      .map((b) => `, ${(median(perRoute.get(b)!) / median(values)).toFixed(2)} × ${b}`)
      .join('');
    console.log(`${name}: median ${median(values).toFixed(1)} µs CPU per request${ratios}`);
  }
  for (const [name, values] of rpsPerRoute) {
    const ratios = baselinesOf(name)
      .map((b) => `, ${(median(values) / median(rpsPerRoute.get(b)!)).toFixed(2)} × ${b}`)
      .join('');
    console.log(`${name}: median ${median(values).toFixed(0)} req/s${ratios}`);
  }
  for (const [name, values] of clientPerRoute) {
    console.log(`${name}: median ${median(values).toFixed(1)} µs of the load client's CPU per request`);
  }
} finally {
  cleanup();
}
