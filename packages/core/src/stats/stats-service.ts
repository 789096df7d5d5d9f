import { BULK_JOB_TYPE } from '../bulk/bulk-types.js';
import { IMPORT_JOB_TYPES } from '../imports/import-job.js';
import { jobCountsByDay } from '../jobs/job-store.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { deliveryStatusCounts, listEndpoints } from '../webhooks/webhook-repository.js';
import type { Overview, OverviewDay, OverviewJobsDay } from '../wire.js';
import { dailyCounts } from './stats-repository.js';
import { DEFAULT_OVERVIEW_DAYS, type OverviewInput, overviewSchema } from './stats-schemas.js';

const DAY_MS = 86_400_000;

export interface StatsService {
  /**
   * A project's overview over its last `days` UTC days (today included; default 30, at most 90):
   * contacts and subscribed contacts at the end of each day, contacts added (through an import or
   * otherwise) and removed each day, imports and bulk jobs queued each day, and each webhook
   * endpoint's deliveries of those days by status. Read from the daily counts kept with every
   * contact write (migration 0019): its cost does not grow with the number of contacts.
   */
  overview(projectId: string, options?: OverviewInput): Promise<Overview>;
}

/** The smallest UUIDv7 of millisecond `ms`: ids at or after it were made at or after `ms`. */
function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

export function createStatsService(deps: ServiceDeps): StatsService {
  const { db, clock } = deps;
  return {
    async overview(projectId, options = {}) {
      const { days = DEFAULT_OVERVIEW_DAYS } = parseInput(overviewSchema, options);
      const now = clock().getTime();
      const todayStart = now - (now % DAY_MS);
      const fromMs = todayStart - (days - 1) * DAY_MS;
      const dayList = Array.from({ length: days }, (_, i) =>
        new Date(fromMs + i * DAY_MS).toISOString().slice(0, 10),
      );
      const from = dayList[0]!;
      const to = dayList[dayList.length - 1]!;

      const counts = await dailyCounts(db, projectId);
      let total = 0;
      let subscribed = 0;
      let next = 0;
      const daily: OverviewDay[] = [];
      for (const day of dayList) {
        const entry: OverviewDay = {
          day,
          total: 0,
          subscribed: 0,
          added: 0,
          removed: 0,
          imported: 0,
          api: 0,
        };
        // Fold every earlier day (and this one) into the running totals.
        while (next < counts.length && counts[next]!.day <= day) {
          const row = counts[next++]!;
          total += row.added - row.removed;
          subscribed += row.subscribed;
          if (row.day === day) {
            entry.added = row.added;
            entry.removed = row.removed;
            entry.imported = Math.min(row.imported, row.added);
            entry.api = row.added - entry.imported;
          }
        }
        entry.total = total;
        entry.subscribed = subscribed;
        daily.push(entry);
      }
      // Days after today (a clock behind the database's, or contacts stamped ahead) still count now.
      for (; next < counts.length; next++) {
        total += counts[next]!.added - counts[next]!.removed;
        subscribed += counts[next]!.subscribed;
      }

      const jobsByDay = new Map<string, OverviewJobsDay>(
        dayList.map((day) => [day, { day, imports: 0, bulk: 0, failed: 0 }]),
      );
      const types = [...IMPORT_JOB_TYPES, BULK_JOB_TYPE];
      for (const row of await jobCountsByDay(db, projectId, types, new Date(fromMs).toISOString())) {
        const entry = jobsByDay.get(row.day);
        if (!entry) continue;
        if (row.type === BULK_JOB_TYPE) entry.bulk += row.count;
        else entry.imports += row.count;
        if (row.status === 'failed') entry.failed += row.count;
      }

      const webhooks = [];
      for (const endpoint of await listEndpoints(db, projectId)) {
        const byStatus = await deliveryStatusCounts(db, endpoint.id, uuidv7Floor(fromMs));
        webhooks.push({
          id: endpoint.id,
          url: endpoint.url,
          enabled: Boolean(endpoint.enabled),
          ...byStatus,
        });
      }

      return {
        days,
        from,
        to,
        contacts: { total, subscribed },
        daily,
        jobs: [...jobsByDay.values()],
        webhooks,
      };
    },
  };
}
