import {
  type ChangeEvent,
  type ChangeEventType,
  type Contact,
  createRoster,
  isRosterError,
  type Roster,
  type RosterOptions,
  type TrackResult,
  type WebhookEndpoint,
} from '@roster/core';
import type { TrackEventInput } from '@roster/core/schemas';
import { type RunningServer, startServer } from '@roster/server';
import { type SeedOverrides, seedContacts } from './seed.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** What `fixture.webhookReceiver()` starts: a receiver with its endpoint in the fixture's project. */
export interface FixtureWebhookReceiver extends WebhookReceiver {
  /** The endpoint registered for the receiver. */
  readonly endpoint: WebhookEndpoint;
  /** Its signing secret (the receiver verifies with it). */
  readonly secret: string;
}

export interface FixtureWebhookReceiverOptions {
  /**
   * Event types the endpoint subscribes to.
   * @default ['*'] (every event)
   */
  eventTypes?: string[];
  /** @default 'fixture receiver' */
  description?: string;
}

/** Keys the fixture registers for its project, so your app can keep the keys it already uses. */
export interface FixtureKeys {
  /**
   * The Plunk-style secret key to accept, e.g. the `sk_...` your test environment already sets.
   * @default a new random `sk_` key
   */
  secretKey?: string;
  /**
   * The key to accept on the Unosend API (`/v1`).
   * @default a new random `un_` key
   */
  unosendKey?: string;
  /**
   * The key to accept on the Resend API (`/resend`): Resend keys start with `re_`.
   * @default a new random `re_` key
   */
  resendKey?: string;
  /**
   * More keys for the same project.
   * @default []
   */
  extra?: string[];
}

export interface StartRosterOptions {
  /** Keys to register (all for the fixture's one project). @default two new random keys */
  keys?: FixtureKeys;
  /**
   * Name of the project the keys belong to.
   * @default 'default'
   */
  project?: string;
  /**
   * Options passed to `createRoster` (everything but `database`, which is always a fresh in-memory
   * SQLite database), e.g. `{ clock, limits, jobs: { autoStart: true } }`. Webhooks to loopback
   * addresses are allowed (`webhooks.allowPrivateTargets: true`) unless you say otherwise.
   * @default {} — jobs do not run by themselves: call `drainJobs()`
   */
  roster?: Omit<RosterOptions, 'database' | 'migrate'>;
  /**
   * Receives unexpected server errors (the client gets a generic 500).
   * @default logs to stderr
   */
  onError?: (error: unknown) => void;
}

export interface RosterFixture {
  /** The server's root URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Base URL of the Plunk-compatible API (`${plunkUrl}/contacts`): the server root. */
  readonly plunkUrl: string;
  /** Base URL of the Unosend-compatible API (`${unosendUrl}/contacts`): `${url}/v1`. */
  readonly unosendUrl: string;
  /** A secret key accepted by both APIs (`options.keys.secretKey` when given). */
  readonly secretKey: string;
  /** The Unosend key (`options.keys.unosendKey` when given); also accepted by both APIs. */
  readonly unosendKey: string;
  /** Base URL of the Resend-compatible API (`new Resend(resendKey, { baseUrl: resendUrl })`): `${url}/resend`. */
  readonly resendUrl: string;
  /** The Resend key (`options.keys.resendKey` when given): a `re_` key, the only kind the Resend API accepts. */
  readonly resendKey: string;
  /** The project every registered key belongs to. */
  readonly projectId: string;
  /** The roster behind the server: use the core directly for setup and assertions. */
  readonly roster: Roster;
  /**
   * Runs every due job (CSV imports, bulk operations) to completion, in this process, and resolves
   * with how many it ran. Also waits for jobs the background runner is running, when it is started.
   * Jobs scheduled for a retry later than now are left.
   */
  drainJobs(): Promise<number>;
  /**
   * Creates `count` realistic contacts in the fixture's project in batches (see `seedContacts` for
   * the generated fields and `overrides`), numbered on from earlier calls so emails never repeat,
   * and returns them in that order.
   */
  seedContacts(count: number, overrides?: SeedOverrides): Promise<Contact[]>;
  /**
   * Records an event for the contact with `email` in the fixture's project, as `POST /v1/track`
   * does (creating the contact if needed), and resolves with the contact and event.
   */
  track(
    event: string,
    email: string,
    options?: Omit<TrackEventInput, 'event' | 'email'>,
  ): Promise<TrackResult>;
  /**
   * Starts a local webhook receiver (loopback, ephemeral port) and registers it as an endpoint of
   * the fixture's project: it verifies every signature with the `standardwebhooks` package and keeps
   * what it received. Deliveries are jobs: `drainJobs()` sends them (or start the job runner).
   * Closed with the fixture.
   */
  webhookReceiver(options?: FixtureWebhookReceiverOptions): Promise<FixtureWebhookReceiver>;
  /**
   * The change events (`contact.created`, `contact.updated`, ..., see `ChangeEventType`) of the
   * fixture's project emitted so far (since the last `reset()`), oldest first; only `types` when
   * given. Events of imports and bulk jobs carry the contact as it is now.
   */
  events(options?: { types?: readonly (ChangeEventType | (string & {}))[] }): Promise<ChangeEvent[]>;
  /**
   * Deletes every contact, audience, job, stored file, webhook endpoint, audit entry and rate-limit
   * bucket; keeps the project and its keys. `events()` starts again from here.
   */
  reset(): Promise<void>;
  /**
   * Stops the server (requests still in flight get up to one second) and closes the database.
   * Idempotent.
   */
  close(): Promise<void>;
  /** Same as `close()`, for `await using roster = await startRoster()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Tables emptied by `reset()`, children first. Projects and API keys are kept. */
const DATA_TABLES = [
  'roster_webhook_endpoints',
  'roster_file_chunks',
  'roster_files',
  'roster_jobs',
  'roster_idempotency_keys',
  'roster_segments',
  'roster_contacts',
  'roster_audiences',
  'roster_audit_log',
  'roster_rate_limit_buckets',
] as const;

/**
 * Starts a real roster server on an ephemeral loopback port, with a fresh in-memory SQLite
 * database and keys your app can use:
 *
 * ```ts
 * const roster = await startRoster({ keys: { secretKey: process.env.PLUNK_SECRET_KEY } });
 * process.env.PLUNK_API_URL = roster.plunkUrl;
 * // ... run your code, then:
 * await roster.close();
 * ```
 */
export async function startRoster(options: StartRosterOptions = {}): Promise<RosterFixture> {
  const resendKey = options.keys?.resendKey;
  if (resendKey !== undefined && !resendKey.startsWith('re_')) {
    // The Resend API refuses any other key: a fixture with one would answer every call 403.
    throw new TypeError(
      'startRoster: options.keys.resendKey must start with re_ (the only keys the Resend API accepts)',
    );
  }
  const roster = await createRoster({
    ...options.roster,
    // The receivers of `webhookReceiver()` listen on loopback.
    webhooks: { allowPrivateTargets: true, ...options.roster?.webhooks },
    database: ':memory:',
    migrate: true,
  });
  let server: RunningServer | undefined;
  try {
    const project = await roster.projects.ensure(options.project ?? 'default');
    const keys = options.keys ?? {};
    const secretKey = await registerOrCreate(roster, project.id, 'secretKey', keys.secretKey, 'sk_');
    const unosendKey = await registerOrCreate(roster, project.id, 'unosendKey', keys.unosendKey, 'un_');
    const resendKey = await registerOrCreate(roster, project.id, 'resendKey', keys.resendKey, 're_');
    for (const [i, key] of (keys.extra ?? []).entries()) {
      await registerOrCreate(roster, project.id, `extra[${i}]`, key, 'sk_');
    }
    server = await startServer({
      roster,
      port: 0,
      host: '127.0.0.1',
      // A test tearing down should not wait long for a request it abandoned.
      shutdownTimeoutMs: 1000,
      onError: options.onError,
    });
    return createFixture(roster, server, { projectId: project.id, secretKey, unosendKey, resendKey });
  } catch (error) {
    await server?.close();
    await roster.close();
    throw error;
  }
}

async function registerOrCreate(
  roster: Roster,
  projectId: string,
  name: string,
  key: string | undefined,
  prefix: string,
): Promise<string> {
  if (key === undefined) return (await roster.keys.create(projectId, { prefix })).key;
  try {
    await roster.keys.register(projectId, key);
  } catch (error) {
    // Name the option: core only knows it was given a key.
    const issue = isRosterError(error) ? error.details.issues?.[0]?.message : undefined;
    if (issue) throw new TypeError(`startRoster: options.keys.${name} ${issue}`, { cause: error });
    throw error;
  }
  return key;
}

function createFixture(
  roster: Roster,
  server: RunningServer,
  ids: { projectId: string; secretKey: string; unosendKey: string; resendKey: string },
): RosterFixture {
  let seeded = 0;
  /** `events()` returns the change events after this outbox position (moved by `reset()`). */
  let changesAfterSeq = 0;
  let closing: Promise<void> | undefined;
  const receivers: WebhookReceiver[] = [];
  const close = () => {
    closing ??= (async () => {
      await server.close();
      await roster.close();
      for (const receiver of receivers) await receiver.close();
    })();
    return closing;
  };
  return {
    url: server.url,
    plunkUrl: server.url,
    unosendUrl: `${server.url}/v1`,
    secretKey: ids.secretKey,
    unosendKey: ids.unosendKey,
    resendUrl: `${server.url}/resend`,
    resendKey: ids.resendKey,
    projectId: ids.projectId,
    roster,

    async drainJobs() {
      let total = 0;
      while (true) {
        // A job may queue another one: run until nothing is due.
        const ran = await roster.jobs.runOnce();
        total += ran;
        // With the background runner started (`jobs.autoStart`), it may hold jobs runOnce cannot claim.
        if (roster.jobs.activeCount > 0) await new Promise((resolve) => setTimeout(resolve, 5));
        else if (ran === 0) return total;
      }
    },

    async seedContacts(count, overrides) {
      const first = seeded;
      seeded += count;
      return seedContacts(roster, ids.projectId, count, overrides, first);
    },

    async track(event, email, options = {}) {
      return roster.events.track(ids.projectId, { ...options, event, email });
    },

    async webhookReceiver(receiverOptions = {}) {
      const receiver = await startWebhookReceiver();
      receivers.push(receiver);
      const created = await roster.webhooks.create(ids.projectId, {
        url: receiver.url,
        eventTypes: receiverOptions.eventTypes ?? ['*'],
        description: receiverOptions.description ?? 'fixture receiver',
      });
      receiver.setSecrets([created.secret]);
      const { secret, ...endpoint } = created;
      return Object.assign(receiver, { endpoint, secret });
    },

    async events(query = {}) {
      const changes: ChangeEvent[] = [];
      let after: string | undefined;
      while (true) {
        const page = await roster.changes.list(ids.projectId, {
          limit: 1000,
          ...(after === undefined ? {} : { after }),
          ...(query.types ? { types: [...query.types] } : {}),
        });
        changes.push(...page.data.filter((change) => change.seq > changesAfterSeq));
        if (page.data.length < 1000 || page.cursor === null) return changes;
        after = page.cursor;
      }
    },

    async reset() {
      const last = await roster.db
        .selectFrom('roster_outbox')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      changesAfterSeq = Number(last?.seq ?? 0);
      const wasRunning = roster.jobs.running;
      if (wasRunning) await roster.jobs.stop();
      await roster.db.transaction().execute(async (trx) => {
        for (const table of DATA_TABLES) await trx.deleteFrom(table).execute();
      });
      seeded = 0;
      if (wasRunning) await roster.jobs.start();
    },

    close,
    [Symbol.asyncDispose]: close,
  };
}
