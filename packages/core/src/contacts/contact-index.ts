import type { Kysely } from 'kysely';
import type { ContactRow, Db } from '../db/schema.js';
import type { ContactCursor, ContactOrder } from './contact-repository.js';

/**
 * How one dialect accelerates counting and searching a project's contacts: chosen once from the
 * dialect when the roster is created (`contactIndexFor` in contacts/contact-index-for.ts), called
 * by the contact service (lists, totals, counts) and the import job. Nothing else branches on the
 * dialect for search or counts.
 *
 * - SQLite (`contacts/sqlite-contact-index.ts`): per-project counts kept by triggers, and an FTS5
 *   trigram index over the emails, filled in sets, asked for candidates.
 * - PostgreSQL (`contacts/postgres-contact-index.ts`): a pg_trgm index the planner uses for `LIKE`.
 */
export interface ContactIndex {
  /**
   * Run on every start after the migrations (idempotent): builds (or, when the substring index is
   * turned off, drops) what the dialect keeps beside the table. Returns whether substring search
   * uses an index.
   */
  prepare(db: Kysely<any>, warn: (message: string) => void): Promise<boolean>;
  /** Every contact of the project, without counting them one by one where the dialect can. */
  countAll(db: Db, projectId: string): Promise<number>;
  /**
   * The `limit` projects with the most contacts (most first), and the contacts and projects of
   * all projects together, from the kept counts (no scan of the contacts): for metrics.
   */
  topProjects(db: Db, limit: number): Promise<ProjectContactCounts>;
  /**
   * The contacts (of any project) whose email may contain the lowercased `term`, as a candidate
   * set to page and count; or null when the caller should scan the project with `LIKE` instead
   * (no index, a term too short for it, or too common for candidates to pay).
   */
  search(db: Db, term: string): Promise<SearchCandidates | null>;
  /** Called in each import batch's transaction after its contacts were written. */
  afterImportBatch(trx: Db): Promise<void>;
  /**
   * Called once an import job has ended (completed or failed), outside any transaction: folds what
   * the import left pending into the substring index. Never throws.
   */
  afterImport(db: Db): Promise<void>;
  /**
   * Adds `count` contacts an import created on `day` (`YYYY-MM-DD`) to the project's daily counts
   * (migration 0019), in the import batch's transaction.
   */
  recordImported(trx: Db, projectId: string, day: string, count: number): Promise<void>;
}

/** The answer of `ContactIndex.topProjects`. */
export interface ProjectContactCounts {
  top: { projectId: string; contacts: number }[];
  /** Contacts of every project. */
  contacts: number;
  /** Projects with at least one contact. */
  projects: number;
}

/** A page of candidates: each is re-checked with the exact escaped `LIKE`. */
export interface CandidatePageQuery {
  projectId: string;
  /** The lowercased term the candidates were found for. */
  search: string;
  order: ContactOrder;
  /** Continue after this contact. */
  after?: ContactCursor;
  /** Only contacts with this subscription state. */
  subscribed?: boolean;
  limit: number;
}

export type CandidateCountQuery = Omit<CandidatePageQuery, 'limit' | 'after' | 'order'>;

/** The answer of `ContactIndex.search`: pages and counts of the project's real matches. */
export interface SearchCandidates {
  list(db: Db, query: CandidatePageQuery): Promise<ContactRow[]>;
  count(db: Db, query: CandidateCountQuery): Promise<number>;
}

export interface ContactIndexOptions {
  /** Keep a substring index where the dialect needs roster to keep one (SQLite's FTS5). */
  substringIndex: boolean;
}
