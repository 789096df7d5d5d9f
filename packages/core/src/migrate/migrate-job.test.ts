import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  deferred,
  describeEachDialect,
  eachMainAndOtherProject,
  openTestRosters,
  rosterRejection,
} from '@roster/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { toJobView } from '../job-views.js';
import type { Roster } from '../roster.js';
import { openProviderKey, sealProviderKey } from './migrate-key.js';

const KEY = 'sk_plunk_secret_key_4f2a9c';

/**
 * A Plunk contacts API over real HTTP: cursor pages of `GET /contacts` (100 a page) of `count`
 * contacts, answering only `Authorization: Bearer KEY`. `hold(page)` makes that page's request wait
 * until the returned release is called.
 */
async function plunkProvider(count: number) {
  const requests: (string | null)[] = [];
  const held = new Map<number, Promise<void>>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 401, error: 'Unauthorized', message: 'Invalid API key' }));
        return;
      }
      const cursor = url.searchParams.get('cursor');
      requests.push(cursor);
      const page = cursor === null ? 0 : Number(cursor);
      await held.get(page);
      const from = page * 100;
      const data = Array.from({ length: Math.max(0, Math.min(100, count - from)) }, (_, i) => ({
        id: `c${from + i}`,
        email: `user${from + i}@example.com`,
        subscribed: (from + i) % 3 !== 0,
        data: { n: from + i, nested: { list: [1, null, 'x'] } },
      }));
      const more = from + 100 < count;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data, cursor: more ? String(page + 1) : null, hasMore: more, total: count }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    hold(page: number): () => void {
      const gate = deferred();
      held.set(page, gate.promise);
      return gate.resolve;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('provider key sealing', () => {
  it('opens with the secret that sealed it for the same project only, and refuses a changed text', () => {
    const sealed = sealProviderKey('csec_one', 'p1', KEY);
    expect(sealed).not.toContain(KEY);
    expect(sealed.startsWith('m1.')).toBe(true);
    expect(openProviderKey(['csec_one'], 'p1', sealed)).toBe(KEY);
    // After a rotation the previous secret still opens it.
    expect(openProviderKey(['csec_two', 'csec_one'], 'p1', sealed)).toBe(KEY);
    expect(openProviderKey(['csec_two'], 'p1', sealed)).toBeNull();
    expect(openProviderKey(['csec_one'], 'p2', sealed)).toBeNull();
    const body = sealed.split('.')[2]!;
    const flipped = `${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`;
    expect(openProviderKey(['csec_one'], 'p1', sealed.replace(body, flipped))).toBeNull();
    expect(openProviderKey(['csec_one'], 'p1', 'garbage')).toBeNull();
  });
});

describeEachDialect('migration jobs', (dialect) => {
  let roster: Roster;
  let projectId: string;
  // The providers listen on loopback: allowed here as on a server with webhooks.allowPrivateTargets.
  eachMainAndOtherProject(dialect, (t) => ({ roster, projectId } = t), {
    jobs: { onError: () => {} },
    webhooks: { allowPrivateTargets: true },
  });
  const openRoster = openTestRosters(dialect);
  const providers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (providers.length) await providers.pop()!.close();
  });
  async function provider(count: number) {
    const p = await plunkProvider(count);
    providers.push(p);
    return p;
  }
  /** The job's stored payload as the database holds it (text on SQLite, jsonb on PostgreSQL). */
  async function storedPayload(id: string): Promise<string> {
    const row = await roster.db
      .selectFrom('roster_jobs')
      .select('payload')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
  }

  it('runs a migration as a job: counts as progress, the key sealed at rest and removed when done', async () => {
    const plunk = await provider(250);
    const job = await roster.migrate.start(projectId, { from: 'plunk', url: `${plunk.url}/`, key: KEY });
    expect(job).toMatchObject({
      type: 'migrate',
      status: 'queued',
      payload: { source: 'plunk', url: plunk.url, concurrency: 4, dryRun: false },
    });
    expect(JSON.stringify(job)).not.toContain('sealedKey');
    const queued = await storedPayload(job.id);
    expect(queued).not.toContain(KEY);
    expect(queued).toContain('"sealedKey":"m1.');

    const done = await roster.jobs.runJob(projectId, job.id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ fetched: 250, created: 250, updated: 0, failed: 0, resumed: false });
    expect(await roster.contacts.count(projectId)).toBe(250);
    expect((await roster.contacts.findByEmail(projectId, 'user7@example.com'))?.data).toEqual({
      n: 7,
      nested: { list: [1, null, 'x'] },
    });
    expect(JSON.parse(await storedPayload(job.id))).toEqual({
      source: 'plunk',
      url: plunk.url,
      concurrency: 4,
      dryRun: false,
      sealedKey: null,
    });
    const view = toJobView(await roster.jobs.get(projectId, job.id));
    expect(view).toMatchObject({ type: 'migrate', state: 'completed', progress: 100 });
    expect(view.summary).toEqual({
      kind: 'migrate',
      source: 'plunk',
      url: plunk.url,
      dryRun: false,
      total: 250,
      fetched: 250,
      created: 250,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      errors: [],
    });
    expect(JSON.stringify(view)).not.toContain(KEY);
    expect((await roster.migrate.status(projectId, job.id)).result?.created).toBe(250);

    // The same again as a dry run: everything unchanged, nothing written.
    const dry = await roster.migrate.start(projectId, {
      from: 'plunk',
      url: plunk.url,
      key: KEY,
      dryRun: true,
    });
    const dryDone = await roster.jobs.runJob(projectId, dry.id);
    expect(dryDone.result).toMatchObject({ dryRun: true, fetched: 250, unchanged: 250, created: 0 });
  });

  it('resumes after a stop from the checkpoint: the pages written are not read again', async () => {
    const plunk = await provider(800);
    // Contacts are written 500 at a time: the first group (pages 0–4) is checkpointed, page 6 hangs.
    const release = plunk.hold(6);
    const job = await roster.migrate.start(projectId, {
      from: 'plunk',
      url: plunk.url,
      key: KEY,
      concurrency: 1,
    });
    const running = roster.jobs.runJob(projectId, job.id);
    for (let i = 0; i < 500; i++) {
      const progress = (await roster.jobs.get(projectId, job.id)).progress as {
        counts?: { created: number };
      } | null;
      if ((progress?.counts?.created ?? 0) >= 500 && plunk.requests.includes('6')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await roster.jobs.stop();
    release();
    const stopped = await running;
    expect(stopped.status).toBe('queued');
    expect(toJobView(stopped).summary).toMatchObject({ kind: 'migrate', fetched: 500, created: 500 });
    expect(await roster.contacts.count(projectId)).toBe(500);

    const before = plunk.requests.length;
    const done = await roster.jobs.runJob(projectId, job.id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ resumed: true, fetched: 800, created: 800, failed: 0 });
    expect(await roster.contacts.count(projectId)).toBe(800);
    // The second attempt started at page 5 (the first after the checkpoint).
    expect(plunk.requests.slice(before)).toEqual(['5', '6', '7']);
    expect(JSON.parse(await storedPayload(job.id)).sealedKey).toBeNull();
  });

  it('fails at once when the provider refuses the key, without the key anywhere; refuses bad input by field', async () => {
    const plunk = await provider(10);
    const job = await roster.migrate.start(projectId, {
      from: 'plunk',
      url: plunk.url,
      key: 'sk_wrong_key_123',
    });
    const done = await roster.jobs.runJob(projectId, job.id);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.lastError).toContain('401');
    expect(done.lastError).not.toContain('sk_wrong_key_123');
    expect(JSON.parse(await storedPayload(job.id)).sealedKey).toBeNull();

    // One real run per source and URL at a time (they share the checkpoint); a dry run may run beside it.
    const first = await roster.migrate.start(projectId, { from: 'plunk', url: plunk.url, key: KEY });
    const second = await rosterRejection(
      roster.migrate.start(projectId, { from: 'plunk', url: plunk.url, key: KEY }),
    );
    expect(second.code).toBe('conflict');
    expect(second.message).toContain(first.id);
    await roster.migrate.start(projectId, { from: 'plunk', url: plunk.url, key: KEY, dryRun: true });
    await roster.migrate.start(projectId, { from: 'unosend', url: plunk.url, key: KEY });

    const bad = await rosterRejection(
      roster.migrate.start(projectId, {
        from: 'mailchimp' as 'plunk',
        url: 'ftp://x',
        key: ' ',
        concurrency: 0,
      }),
    );
    expect(bad.details.issues?.map((i) => i.field).sort()).toEqual(['concurrency', 'from', 'key', 'url']);
    const missing = await rosterRejection(
      roster.migrate.start('0190a0a0-0000-7000-8000-000000000000', { from: 'plunk', key: KEY }),
    );
    expect(missing.code).toBe('not_found');
    // Another job type is not a migration.
    await expect(roster.migrate.status(projectId, done.id)).resolves.toMatchObject({ id: done.id });
    const other = await roster.imports.enqueue(projectId, {
      file: Buffer.from('email\na@example.com\n'),
      name: 'a.csv',
    });
    expect((await rosterRejection(roster.migrate.status(projectId, other.id))).code).toBe('not_found');
  });

  it('refuses a provider URL on a private network unless private targets are allowed', async () => {
    const strict = await openRoster();
    const strictProject = (await strict.projects.ensure('p')).id;
    for (const url of [
      'http://127.0.0.1:9',
      'http://localhost:3000',
      'http://[::1]/',
      'http://169.254.169.254/latest',
    ]) {
      const refused = await rosterRejection(
        strict.migrate.start(strictProject, { from: 'plunk', url, key: KEY }),
      );
      expect(refused.details.issues?.[0]).toMatchObject({ field: 'url' });
      expect(refused.details.issues?.[0]?.message).toContain('private network');
    }
    expect((await strict.jobs.list(strictProject)).data).toEqual([]);
  });

  it('a cancelled migration forgets its key; a key sealed before the secret was rotated away fails clearly', async () => {
    const plunk = await provider(10);
    const job = await roster.migrate.start(projectId, { from: 'plunk', url: plunk.url, key: KEY });
    await roster.jobs.cancel(projectId, job.id, 'changed my mind');
    expect(JSON.parse(await storedPayload(job.id)).sealedKey).toBeNull();

    const later = await roster.migrate.start(projectId, { from: 'plunk', url: plunk.url, key: KEY });
    await roster.consent.rotateSecret(projectId, { overlapMs: 0 });
    const done = await roster.jobs.runJob(projectId, later.id);
    expect(done.status).toBe('failed');
    expect(done.lastError).toContain('signing secret was rotated');
  });
});
