import type { Db } from '../db/schema.js';

/** A day's sums of a project's daily counts (migration 0019): slots folded. */
export interface DailyCountsRow {
  day: string;
  added: number;
  removed: number;
  subscribed: number;
  imported: number;
}

/**
 * Every day with a change of the project's contacts, oldest first. One index range of the
 * `(project_id, day, slot)` key: a row per day (and writer slot), never a row per contact.
 */
export async function dailyCounts(db: Db, projectId: string): Promise<DailyCountsRow[]> {
  const rows = await db
    .selectFrom('roster_contact_daily')
    .select((eb) => [
      'day',
      eb.fn.sum<string | number>('added').as('added'),
      eb.fn.sum<string | number>('removed').as('removed'),
      eb.fn.sum<string | number>('subscribed').as('subscribed'),
      eb.fn.sum<string | number>('imported').as('imported'),
    ])
    .where('project_id', '=', projectId)
    .groupBy('day')
    .orderBy('day')
    .execute();
  return rows.map((row) => ({
    day: row.day,
    added: Number(row.added),
    removed: Number(row.removed),
    subscribed: Number(row.subscribed),
    imported: Number(row.imported),
  }));
}
