import { sql } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import type { ContactRow, Db } from '../db/schema.js';
import { syncSearchIndex } from '../db/search-index.js';
import {
  afterCursorSql,
  type ContactCursor,
  type ContactOrder,
  DEFAULT_ORDER,
  likePattern,
  orderSql,
} from './contact-repository.js';

/**
 * Most index candidates a search uses. Beyond this the term is common, and the plain scan in id
 * order finds a page sooner: it reads about `limit x contacts / matches` rows, under
 * `limit x contacts / 2000` here, while sorting the candidates would read all of them.
 */
export const MAX_SEARCH_CANDIDATES = 2000;

/**
 * The `seq`s of contacts (of any project) whose email may contain `term` according to the SQLite
 * trigram index, or null when the caller should scan instead: no index (Postgres, or disabled),
 * a term under 3 characters (trigrams need 3), or more than `MAX_SEARCH_CANDIDATES` matches.
 * Candidates are a superset (`_` and `%` are wildcards here); callers re-check with the escaped LIKE.
 */
export async function searchCandidates(
  db: Db,
  dialect: DialectInfo,
  term: string,
  indexEnabled: boolean,
): Promise<number[] | null> {
  if (!indexEnabled || dialect.substringIndex !== 'fts5' || [...term].length < 3) return null;
  await syncSearchIndex(db, dialect);
  const result = await sql<{ seq: number }>`select rowid as seq from roster_contacts_fts
    where email like ${`%${term}%`} limit ${MAX_SEARCH_CANDIDATES + 1}`.execute(db);
  if (result.rows.length > MAX_SEARCH_CANDIDATES) return null;
  return result.rows.map((r) => r.seq);
}

export interface CandidateQuery {
  projectId: string;
  candidates: number[];
  search: string;
  order: ContactOrder;
  /** Continue after this contact. */
  after?: ContactCursor;
  /** Only contacts with this subscription state. */
  subscribed?: boolean;
  limit: number;
}

/** Filters that every candidate must pass (project, the exact escaped LIKE, cursor, subscription). */
function conditions(dialect: DialectInfo, query: Omit<CandidateQuery, 'limit' | 'candidates'>) {
  return sql`c.project_id = ${query.projectId}
    and c.email like ${likePattern(query.search)} escape '\\'
    ${query.after ? sql`and ${afterCursorSql(query.order, query.after, 'c.')}` : sql``}
    ${query.subscribed !== undefined ? sql`and c.subscribed = ${dialect.bool(query.subscribed)}` : sql``}`;
}

/**
 * A page among the candidates, in `order`. `CROSS JOIN` makes SQLite drive the loop from the
 * candidate list (a few index lookups) rather than walking the project's index to the end; the
 * (at most `MAX_SEARCH_CANDIDATES`) matches are then sorted.
 */
export async function listCandidates(
  db: Db,
  dialect: DialectInfo,
  query: CandidateQuery,
): Promise<ContactRow[]> {
  if (query.candidates.length === 0) return [];
  const result = await sql<ContactRow>`select c.* from json_each(${JSON.stringify(query.candidates)}) as j
    cross join roster_contacts as c on c.seq = j.value
    where ${conditions(dialect, query)}
    order by ${orderSql(query.order, 'c.')} limit ${query.limit}`.execute(db);
  return result.rows;
}

export async function countCandidates(
  db: Db,
  dialect: DialectInfo,
  query: Omit<CandidateQuery, 'limit' | 'after' | 'order'>,
): Promise<number> {
  if (query.candidates.length === 0) return 0;
  const result = await sql<{
    n: number;
  }>`select count(*) as n from json_each(${JSON.stringify(query.candidates)}) as j
    cross join roster_contacts as c on c.seq = j.value
    where ${conditions(dialect, { ...query, order: DEFAULT_ORDER })}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}
