import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import { lockAddresses, suppressedEmails } from '../suppressions/suppression-repository.js';

/**
 * The one gate on `subscribed`: every function that writes `roster_contacts` (contact-repository.ts,
 * contact-batch-repository.ts) passes the rows it is about to write through it. A row whose write
 * could leave its contact subscribed (`subscribed` true, or undefined: true on insert) and whose
 * address the project suppresses is written with `subscribed: false` instead; the other fields are
 * written as given. Returns the suppressed addresses among `rows` (added to `report` when given).
 *
 * Where writers overlap (PostgreSQL), the check first takes the candidates' address locks, shared,
 * until the write's transaction ends (`db` must be that transaction): a `suppressions.add` of one
 * of them waits for this write to commit and then unsubscribes what it wrote, and one that holds
 * the lock already has committed its entry when this check reads the list.
 */
export async function gateSubscribed<T extends { email: string; subscribed: boolean | undefined }>(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  rows: T[],
  report?: Set<string>,
): Promise<Set<string>> {
  const candidates = rows.filter((row) => row.subscribed !== false).map((row) => row.email);
  await lockAddresses(db, dialect, projectId, candidates, 'shared');
  const suppressed = await suppressedEmails(db, projectId, candidates);
  if (suppressed.size === 0) return suppressed;
  for (const row of rows) if (suppressed.has(row.email)) row.subscribed = false;
  if (report) for (const email of suppressed) report.add(email);
  return suppressed;
}
