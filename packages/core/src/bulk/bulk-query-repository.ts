import { sql } from 'kysely';
import { IDS_PER_STATEMENT, inProject } from '../contacts/contact-batch-repository.js';
import { idBelowSql, idOrderRef, likePattern } from '../contacts/contact-repository.js';
import { contactProjectOf, type DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import type { BulkQuerySelector } from './bulk-types.js';

// Reads of query-mode bulk jobs (the writes are contacts/contact-batch-repository.ts).

/** The ids of the next query-mode batch: matches of `filter` with an id below `beforeId`, newest first. */
export async function findQueryBatch(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  filter: BulkQuerySelector['filter'],
  beforeId: string | null,
  limit: number,
): Promise<string[]> {
  let q = db.selectFrom('roster_contacts').select('id').where('project_id', '=', contactProjectOf(projectId));
  if (filter.subscribed !== undefined) q = q.where('subscribed', '=', dialect.bool(filter.subscribed));
  if (filter.search) q = q.where(sql<boolean>`email like ${likePattern(filter.search)} escape '\\'`);
  // Below the previous batch's last id, which the job may have deleted: see `idBelowSql`.
  if (beforeId !== null) q = q.where(idBelowSql(dialect, beforeId));
  const rows = await q
    .orderBy(sql`${idOrderRef(dialect)} desc` as never)
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** How many contacts match `filter` minus those listed in `excludeIds`. */
export async function countQueryMatches(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  selector: BulkQuerySelector,
): Promise<number> {
  const { filter, excludeIds } = selector;
  const count = async (ids?: string[]) => {
    let q = db.selectFrom('roster_contacts').select((eb) => eb.fn.countAll<number | string>().as('n'));
    // With ids: each looked up by the id index, not a walk of the project (`inProject`).
    q = ids
      ? q.where(inProject(dialect, projectId)).where('id', 'in', ids)
      : q.where('project_id', '=', contactProjectOf(projectId));
    if (filter.subscribed !== undefined) q = q.where('subscribed', '=', dialect.bool(filter.subscribed));
    if (filter.search) q = q.where(sql<boolean>`email like ${likePattern(filter.search)} escape '\\'`);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  let total = await count();
  for (let i = 0; i < excludeIds.length; i += IDS_PER_STATEMENT) {
    total -= await count(excludeIds.slice(i, i + IDS_PER_STATEMENT));
  }
  return total;
}
