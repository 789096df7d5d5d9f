import type { RawBuilder } from 'kysely';
import type { Clock } from '../clock.js';
import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import { isUuid } from '../ids.js';
import { compileFilter, type SegmentReference, type TopicReference } from './filter-compile.js';
import type { FilterCondition } from './filter-types.js';

/** Looks up a segment of `projectId` for `segment.<id>` filters (another project's id is unknown). */
export async function findSegmentReference(
  db: Db,
  dialect: DialectInfo,
  projectId: string,
  id: string,
): Promise<SegmentReference | undefined> {
  const row = await db
    .selectFrom('roster_segments')
    .select(['id', 'type', 'track_membership', 'condition'])
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    type: row.type,
    trackMembership: Boolean(row.track_membership),
    condition: dialect.parseJson(row.condition),
  };
}

/** Looks up a topic of `projectId` for `topic.<id>` filters (another project's id is unknown). */
export async function findTopicReference(
  db: Db,
  projectId: string,
  id: string,
): Promise<TopicReference | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await db
    .selectFrom('roster_topics')
    .select(['id', 'default_subscription'])
    .where('project_id', '=', projectId)
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
  return row ? { id: row.id, defaultSubscription: row.default_subscription } : undefined;
}

export interface ContactFilterDeps {
  db: Db;
  dialect: DialectInfo;
  clock: Clock;
}

/**
 * The SQL condition (over `roster_contacts`) for a filter tree of `projectId`, at the clock's now.
 * `root` names the tree in validation errors. `selfId` is a segment being defined, which its own
 * tree may not reference.
 */
export function contactFilterSql(
  deps: ContactFilterDeps,
  projectId: string,
  filter: FilterCondition | unknown,
  options: { root?: string; selfId?: string } = {},
): Promise<RawBuilder<boolean>> {
  return compileFilter(
    filter,
    {
      dialect: deps.dialect,
      now: deps.clock(),
      findSegment: (id) => findSegmentReference(deps.db, deps.dialect, projectId, id),
      findTopic: (id) => findTopicReference(deps.db, projectId, id),
      visiting: options.selfId ? new Set([options.selfId]) : undefined,
    },
    options.root ?? 'filter',
  );
}
