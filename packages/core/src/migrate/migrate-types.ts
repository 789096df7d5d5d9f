import type { MigrateCounts } from '../wire.js';
import type { FetchLike } from './migrate-http.js';

// The provider list, its URLs and the counts are wire values (the jobs view carries them): `wire.ts` holds them.
export {
  MIGRATE_DEFAULT_URLS,
  MIGRATE_SOURCES,
  type MigrateCounts,
  type MigrateSourceName,
} from '../wire.js';

/** @default 4 */
export const DEFAULT_MIGRATE_CONCURRENCY = 4;
export const MAX_MIGRATE_CONCURRENCY = 32;

export interface MigrateOptions {
  /** The provider's API base URL. @default MIGRATE_DEFAULT_URLS[source] */
  url?: string;
  /** The provider's API key (sent as a Bearer token; never logged, stored only as a hash prefix in the checkpoint). */
  key: string;
  /** The roster project to write into. */
  projectId: string;
  /** Read everything, write nothing (no checkpoint either), and report what would change. @default false */
  dryRun?: boolean;
  /** Requests to the provider in flight at once (1–32). @default 4 */
  concurrency?: number;
  /** Called after each page of contacts with the counts so far. */
  onProgress?: (progress: MigrateProgress) => void;
  /** Stops the run between requests; the checkpoint keeps what was written. */
  signal?: AbortSignal;
  /** The `fetch` to use (tests, proxies). @default globalThis.fetch */
  fetch?: FetchLike;
  /** Ignore a checkpoint of an interrupted run and start from the first page. @default false */
  restart?: boolean;
  /** Attempts of one request to the provider (429, 5xx, network errors). @default 8 */
  maxAttempts?: number;
  /** First retry backoff in ms, doubled each attempt. @default 250 */
  backoffMs?: number;
}

export interface MigrateSummary extends MigrateCounts {
  /** True when the run continued an interrupted one (the counts include the earlier run's). */
  resumed: boolean;
  dryRun: boolean;
  /** Requests to the provider that were retried (429, 5xx, network errors). */
  retries: number;
  /** Declared properties, topics, segments and audiences created in the target (or that would be, in a dry run). */
  declared: { properties: number; topics: number; segments: number; audiences: number };
  /** The first 20 failures. */
  errors: { email: string; error: string }[];
}

export interface MigrateProgress extends MigrateCounts {
  /** Contacts the provider says it has, when it says (Plunk's first page `total`). */
  total: number | null;
}

/** A contact as read from a provider, in roster's terms. */
export interface SourceContact {
  email: string;
  subscribed: boolean;
  data: Record<string, unknown> | null;
  /** Undefined where the provider has no names (Plunk). */
  firstName?: string | null;
  lastName?: string | null;
  /** Unosend: the name of the contact's audience (null: none). Undefined elsewhere. */
  audience?: string | null;
  /** Resend: the names of the segments the contact is in. */
  segments?: string[];
  /** Resend: the contact's subscription to each topic, by topic name. */
  topics?: { name: string; subscription: 'opt_in' | 'opt_out' }[];
}

/** What a provider declares before its contacts. */
export interface SourceSetup {
  audiences: { name: string; description: string | null }[];
  segments: { name: string }[];
  topics: {
    name: string;
    description: string | null;
    defaultSubscription: 'opt_in' | 'opt_out';
    /** When the provider says (Resend's topics may carry it). */
    visibility?: 'public' | 'private';
  }[];
  properties: { key: string; type: 'string' | 'number'; fallbackValue: string | number | null }[];
}

/** A page of contacts and where the next one starts (null: this was the last). */
export interface SourcePage {
  contacts: SourceContact[];
  next: string | null;
  total?: number;
}

export interface Source {
  setup(): Promise<SourceSetup>;
  /** The page at `position` (null: the first). */
  page(position: string | null): Promise<SourcePage>;
}
