import { createHash } from 'node:crypto';
import type { AudienceService } from '../audiences/audience-service.js';
import { isoNow } from '../clock.js';
import { sameJson } from '../contacts/contact-changes.js';
import { normaliseEmail, validateContactFields } from '../contacts/contact-fields.js';
import type { UpdateContactInput } from '../contacts/contact-schemas.js';
import type { createContactService } from '../contacts/contact-service.js';
import { rowToContact } from '../contacts/contact-types.js';
import type { ContactRow } from '../db/schema.js';
import { isRosterError } from '../errors.js';
import { contactIdText } from '../ids.js';
import type { createProjectService } from '../projects/project-service.js';
import type { PropertyService } from '../properties/property-service.js';
import type { SegmentService } from '../segments/segment-service.js';
import type { ServiceDeps } from '../service-deps.js';
import type { TopicService } from '../topics/topic-service.js';
import { parseInput } from '../validation.js';
import { createHttpClient } from './migrate-http.js';
import * as repo from './migrate-repository.js';
import { migrateOptionsSchema } from './migrate-schemas.js';
import { sourceFor } from './migrate-sources.js';
import {
  DEFAULT_MIGRATE_CONCURRENCY,
  MIGRATE_DEFAULT_URLS,
  type MigrateCounts,
  type MigrateOptions,
  type MigrateSourceName,
  type MigrateSummary,
  type Source,
  type SourceContact,
  type SourcePage,
  type SourceSetup,
} from './migrate-types.js';

export interface MigrateServiceDeps extends ServiceDeps {
  contacts: ReturnType<typeof createContactService>;
  audiences: AudienceService;
  segments: SegmentService;
  topics: TopicService;
  properties: PropertyService;
  projects: ReturnType<typeof createProjectService>;
}

export interface MigrateService {
  /** Every contact of a Plunk project (cursor pages of `GET /contacts`): email, subscription, data. */
  fromPlunk(options: MigrateOptions): Promise<MigrateSummary>;
  /** Every contact of an Unosend account (offset pages of `/v1/contacts`), with names, metadata and audiences. */
  fromUnosend(options: MigrateOptions): Promise<MigrateSummary>;
  /**
   * Every contact of a Resend account, with names, properties, segment memberships and topic
   * subscriptions; its contact properties, topics and segments are declared first.
   */
  fromResend(options: MigrateOptions): Promise<MigrateSummary>;
  /** The same by the source's name. */
  run(source: MigrateSourceName, options: MigrateOptions): Promise<MigrateSummary>;
}

const MAX_ERRORS = 20;
/** Contacts written per group (a transaction for the creates) and between two checkpoints. */
const WRITE_GROUP = 500;
/** Pages read ahead of the writes. */
const READ_AHEAD = 10;

/**
 * Reads pages from `start` on in the background, at most READ_AHEAD ahead of `take()`. A failed read
 * is thrown by the `take()` that would have returned its page.
 */
function readAhead(source: Source, start: string | null, signal: AbortSignal | undefined) {
  const pages: SourcePage[] = [];
  let failure: { error: unknown } | null = null;
  let ended = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  let room: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  void (async () => {
    let position = start;
    try {
      for (;;) {
        while (pages.length >= READ_AHEAD && !stopped) await new Promise<void>((r) => (room = r));
        if (stopped || signal?.aborted) return;
        const page = await source.page(position);
        pages.push(page);
        notify();
        if (page.next === null) {
          ended = true;
          return;
        }
        position = page.next;
      }
    } catch (error) {
      failure = { error };
      notify();
    }
  })();
  return {
    async take(): Promise<SourcePage> {
      for (;;) {
        const page = pages.shift();
        if (page) {
          room?.();
          room = null;
          return page;
        }
        if (failure) throw failure.error;
        if (ended) throw new Error('migrate: read past the last page');
        await new Promise<void>((r) => (wake = r));
      }
    },
    stop() {
      stopped = true;
      room?.();
    },
  };
}
/** Entries of one `createMany` call. */
const CREATE_BATCH = 1000;

/** The checkpoint key of a source: provider, normalised base URL and a hash of the key (never the key). */
function sourceKeyOf(name: MigrateSourceName, url: string, key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${name} ${url.replace(/\/+$/, '')} key:${hash}`;
}

function zeroCounts(): MigrateCounts {
  return { fetched: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
}

/** A target id by name that does not exist yet (a dry run does not create it). */
const PENDING = '\u0000pending';

interface Targets {
  audienceByName: Map<string, string>;
  segmentByName: Map<string, string>;
  topicByName: Map<string, { id: string; defaultSubscription: string }>;
}

export function createMigrateService(deps: MigrateServiceDeps): MigrateService {
  const { db, dialect, clock, contacts, audiences, segments, topics, properties } = deps;

  /** Creates what the source declares and the target lacks (by name or key); a dry run only counts it. */
  async function declare(projectId: string, setup: SourceSetup, dryRun: boolean, summary: MigrateSummary) {
    const targets: Targets = { audienceByName: new Map(), segmentByName: new Map(), topicByName: new Map() };
    const haveProps = new Set((await properties.list(projectId)).map((p) => p.key));
    for (const property of setup.properties) {
      if (haveProps.has(property.key)) continue;
      summary.declared.properties++;
      if (!dryRun) await properties.create(projectId, property);
    }
    for (const topic of await topics.list(projectId)) {
      if (!targets.topicByName.has(topic.name)) targets.topicByName.set(topic.name, topic);
    }
    for (const topic of setup.topics) {
      if (targets.topicByName.has(topic.name)) continue;
      summary.declared.topics++;
      targets.topicByName.set(
        topic.name,
        dryRun
          ? { id: PENDING, defaultSubscription: topic.defaultSubscription }
          : await topics.create(projectId, topic),
      );
    }
    for (const segment of await segments.list(projectId)) {
      if (segment.type === 'STATIC' && !targets.segmentByName.has(segment.name))
        targets.segmentByName.set(segment.name, segment.id);
    }
    for (const segment of setup.segments) {
      if (targets.segmentByName.has(segment.name)) continue;
      summary.declared.segments++;
      targets.segmentByName.set(
        segment.name,
        dryRun ? PENDING : (await segments.create(projectId, { name: segment.name, type: 'STATIC' })).id,
      );
    }
    for (const audience of await audiences.list(projectId)) {
      if (!targets.audienceByName.has(audience.name)) targets.audienceByName.set(audience.name, audience.id);
    }
    for (const audience of setup.audiences) {
      if (targets.audienceByName.has(audience.name)) continue;
      summary.declared.audiences++;
      targets.audienceByName.set(
        audience.name,
        dryRun ? PENDING : (await audiences.create(projectId, audience)).id,
      );
    }
    return targets;
  }

  async function run(name: MigrateSourceName, input: MigrateOptions): Promise<MigrateSummary> {
    const { onProgress, signal, fetch } = input;
    const valid = parseInput(migrateOptionsSchema, {
      url: input.url,
      key: input.key,
      projectId: input.projectId,
      dryRun: input.dryRun,
      concurrency: input.concurrency,
      restart: input.restart,
      maxAttempts: input.maxAttempts,
      backoffMs: input.backoffMs,
    });
    const projectId = (await deps.projects.get(valid.projectId)).id;
    const dryRun = valid.dryRun === true;
    const concurrency = valid.concurrency ?? DEFAULT_MIGRATE_CONCURRENCY;
    const url = valid.url ?? MIGRATE_DEFAULT_URLS[name];
    const http = createHttpClient({
      baseUrl: url,
      key: valid.key,
      fetch,
      concurrency,
      signal,
      maxAttempts: valid.maxAttempts,
      backoffMs: valid.backoffMs,
    });
    const source = sourceFor(name, http, concurrency);
    const sourceKey = sourceKeyOf(name, url, valid.key);
    const checkpoint = dryRun ? undefined : await repo.findCheckpoint(db, projectId, sourceKey);
    const resumed = checkpoint?.state === 'running' && valid.restart !== true;
    const summary: MigrateSummary = {
      ...(resumed ? (JSON.parse(checkpoint.counts) as MigrateCounts) : zeroCounts()),
      resumed,
      dryRun,
      retries: 0,
      declared: { properties: 0, topics: 0, segments: 0, audiences: 0 },
      errors: [],
    };
    let position: string | null = resumed
      ? (JSON.parse(checkpoint.position ?? 'null') as string | null)
      : null;
    const save = async (state: 'running' | 'completed') => {
      if (dryRun) return;
      const { fetched, created, updated, unchanged, skipped, failed } = summary;
      await repo.saveCheckpoint(db, {
        project_id: projectId,
        source: sourceKey,
        state,
        position: JSON.stringify(position),
        counts: JSON.stringify({ fetched, created, updated, unchanged, skipped, failed }),
        updated_at: isoNow(clock),
      });
    };

    const setup = await source.setup();
    const targets = await declare(projectId, setup, dryRun, summary);
    await save('running');
    const seen = new Set<string>();
    let total: number | null = null;
    const fail = (email: string, error: string) => {
      summary.failed++;
      if (summary.errors.length < MAX_ERRORS) summary.errors.push({ email, error });
    };
    const ctx = { projectId, dryRun, targets, seen, summary, fail };

    // Pages are read ahead (up to READ_AHEAD) while earlier ones are written, WRITE_GROUP contacts
    // a transaction; the checkpoint moves after each group.
    const reader = readAhead(source, position, signal);
    try {
      for (;;) {
        signal?.throwIfAborted();
        const group: SourceContact[] = [];
        let next: string | null = position;
        do {
          const page = await reader.take();
          if (page.total !== undefined) total = page.total;
          group.push(...page.contacts);
          next = page.next;
        } while (next !== null && group.length < WRITE_GROUP);
        await writePage(ctx, group);
        position = next;
        signal?.throwIfAborted();
        summary.retries = http.retries;
        await save(position === null ? 'completed' : 'running');
        const { fetched, created, updated, unchanged, skipped, failed } = summary;
        onProgress?.({ fetched, created, updated, unchanged, skipped, failed, total });
        if (position === null) break;
      }
    } finally {
      reader.stop();
    }
    summary.retries = http.retries;
    return summary;
  }

  interface PageContext {
    projectId: string;
    dryRun: boolean;
    targets: Targets;
    seen: Set<string>;
    summary: MigrateSummary;
    fail: (email: string, error: string) => void;
  }

  /** What one source contact needs in the target. */
  interface Plan {
    source: SourceContact;
    email: string;
    audienceId: string | null | undefined;
    existing: ContactRow | undefined;
    patch: UpdateContactInput | null;
    segmentIds: string[];
    topics: { id: string; subscription: 'opt_in' | 'opt_out' }[];
  }

  async function writePage(ctx: PageContext, page: SourceContact[]): Promise<void> {
    const { projectId, targets, summary } = ctx;
    const valid: { source: SourceContact; email: string }[] = [];
    for (const source of page) {
      summary.fetched++;
      const email = normaliseEmail(source.email);
      if (ctx.seen.has(email)) {
        summary.skipped++;
        continue;
      }
      ctx.seen.add(email);
      const problems = validateContactFields({ email });
      if (problems.length > 0) {
        ctx.fail(
          source.email,
          `email: ${problems[0]!.problem === 'too_long' ? 'too long' : 'not a valid email address'}`,
        );
        continue;
      }
      valid.push({ source, email });
    }
    if (valid.length === 0) return;
    const rows = await repo.contactsByEmail(
      db,
      projectId,
      valid.map((v) => v.email),
    );
    const byEmail = new Map(rows.map((row) => [row.email, row]));
    const ids = rows.map((row) => contactIdText(row.id));
    const needsSegments = valid.some((v) => (v.source.segments?.length ?? 0) > 0);
    const needsTopics = valid.some((v) => (v.source.topics?.length ?? 0) > 0);
    const memberOf = new Map<string, Set<string>>();
    if (needsSegments && ids.length > 0) {
      for (const m of await repo.membershipsOf(db, ids)) {
        const set = memberOf.get(m.contact_id) ?? new Set();
        set.add(m.segment_id);
        memberOf.set(m.contact_id, set);
      }
    }
    const choices = new Map<string, Map<string, string>>();
    if (needsTopics && ids.length > 0) {
      for (const c of await repo.topicChoicesOf(db, ids)) {
        const map = choices.get(c.contact_id) ?? new Map();
        map.set(c.topic_id, c.subscription);
        choices.set(c.contact_id, map);
      }
    }

    const plans: Plan[] = valid.map(({ source, email }) => {
      const existing = byEmail.get(email);
      const audienceId =
        source.audience === undefined
          ? undefined
          : source.audience === null
            ? null
            : (targets.audienceByName.get(source.audience) ?? null);
      const segmentIds = (source.segments ?? [])
        .map((name) => targets.segmentByName.get(name))
        .filter((id): id is string => id !== undefined)
        .filter((id) => !(existing && memberOf.get(contactIdText(existing.id))?.has(id)));
      const mine = existing ? choices.get(contactIdText(existing.id)) : undefined;
      const topicItems = (source.topics ?? []).flatMap((t) => {
        const topic = targets.topicByName.get(t.name);
        if (!topic) return [];
        const effective = mine?.get(topic.id) ?? topic.defaultSubscription;
        return effective === t.subscription ? [] : [{ id: topic.id, subscription: t.subscription }];
      });
      let patch: UpdateContactInput | null = null;
      if (existing) {
        const contact = rowToContact(existing, dialect, projectId);
        const p: UpdateContactInput = {};
        if (contact.subscribed !== source.subscribed) p.subscribed = source.subscribed;
        if (!sameJson(contact.data, source.data)) {
          p.data = source.data ?? null;
          p.dataMode = 'verbatim';
        }
        if (source.firstName !== undefined && contact.firstName !== source.firstName)
          p.firstName = source.firstName;
        if (source.lastName !== undefined && contact.lastName !== source.lastName)
          p.lastName = source.lastName;
        if (audienceId !== undefined && contact.audienceId !== audienceId) p.audienceId = audienceId;
        if (Object.keys(p).length > 0) patch = p;
      }
      return { source, email, audienceId, existing, patch, segmentIds, topics: topicItems };
    });

    const creates = plans.filter((p) => !p.existing);
    const updates = plans.filter(
      (p) => p.existing && (p.patch || p.segmentIds.length > 0 || p.topics.length > 0),
    );
    if (ctx.dryRun) {
      summary.created += creates.length;
      summary.updated += updates.length;
      summary.unchanged += plans.length - creates.length - updates.length;
      return;
    }

    // Creates, batched per audience; a refused batch is retried one by one to name the culprit.
    const failedEmails = new Set<string>();
    const byAudience = new Map<string | null, Plan[]>();
    for (const plan of creates) {
      const key = plan.audienceId ?? null;
      byAudience.set(key, [...(byAudience.get(key) ?? []), plan]);
    }
    for (const [audienceId, group] of byAudience) {
      for (let i = 0; i < group.length; i += CREATE_BATCH) {
        const batch = group.slice(i, i + CREATE_BATCH);
        const entry = (p: Plan) => ({
          email: p.email,
          subscribed: p.source.subscribed,
          data: p.source.data,
          firstName: p.source.firstName ?? null,
          lastName: p.source.lastName ?? null,
        });
        try {
          const result = await contacts.createMany(projectId, {
            audienceId,
            dataMode: 'verbatim',
            contacts: batch.map(entry),
          });
          summary.created += result.created;
          summary.unchanged += result.skipped;
        } catch (error) {
          if (!isRosterError(error) || error.code !== 'validation_failed') throw error;
          for (const p of batch) {
            try {
              await contacts.create(projectId, { ...entry(p), audienceId, dataMode: 'verbatim' });
              summary.created++;
            } catch (inner) {
              if (!isRosterError(inner)) throw inner;
              failedEmails.add(p.email);
              ctx.fail(p.email, inner.message);
            }
          }
        }
      }
    }

    for (const plan of updates) {
      if (!plan.patch) continue;
      try {
        await contacts.update(projectId, contactIdText(plan.existing!.id), plan.patch);
      } catch (error) {
        if (!isRosterError(error)) throw error;
        failedEmails.add(plan.email);
        ctx.fail(plan.email, error.message);
      }
    }

    // Memberships and topic choices, for new and existing contacts alike.
    const bySegment = new Map<string, string[]>();
    for (const plan of plans) {
      if (failedEmails.has(plan.email)) continue;
      for (const id of plan.segmentIds) bySegment.set(id, [...(bySegment.get(id) ?? []), plan.email]);
    }
    for (const [segmentId, emails] of bySegment) await segments.addMembers(projectId, segmentId, { emails });
    const withTopics = plans.filter((p) => p.topics.length > 0 && !failedEmails.has(p.email));
    if (withTopics.length > 0) {
      const created = withTopics.filter((p) => !p.existing).map((p) => p.email);
      const newIds = new Map(
        created.length > 0
          ? (await repo.contactsByEmail(db, projectId, created)).map((r) => [r.email, contactIdText(r.id)])
          : [],
      );
      for (const plan of withTopics) {
        const id = plan.existing ? contactIdText(plan.existing.id) : newIds.get(plan.email);
        if (id) await topics.setContactTopics(projectId, id, plan.topics);
      }
    }
    for (const plan of updates) if (!failedEmails.has(plan.email)) summary.updated++;
    summary.unchanged += plans.filter((p) => p.existing && !updates.includes(p)).length;
  }

  return {
    fromPlunk: (options) => run('plunk', options),
    fromUnosend: (options) => run('unosend', options),
    fromResend: (options) => run('resend', options),
    run,
  };
}
