import { IDS_PER_STATEMENT } from '../contacts/contact-batch-repository.js';
import { idBelowSql, newestFirstSql, projectContacts } from '../contacts/contact-repository.js';
import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import { contactIdText } from '../ids.js';
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
  let q = projectContacts(db, dialect, projectId, filter).select('id');
  // Below the previous batch's last id, which the job may have deleted: see `idBelowSql`.
  if (beforeId !== null) q = q.where(idBelowSql(dialect, beforeId));
  const rows = await q
    .orderBy(newestFirstSql(dialect) as never)
    .limit(limit)
    .execute();
  return rows.map((r) => contactIdText(r.id));
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
    const q = projectContacts(db, dialect, projectId, { ...filter, ids }).select((eb) =>
      eb.fn.countAll<number | string>().as('n'),
    );
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  let total = await count();
  for (let i = 0; i < excludeIds.length; i += IDS_PER_STATEMENT) {
    total -= await count(excludeIds.slice(i, i + IDS_PER_STATEMENT));
  }
  return total;
}
