import type { DialectInfo } from '../db/dialect.js';
import type { SegmentRow } from '../db/schema.js';

export type SegmentType = 'DYNAMIC' | 'STATIC';

/** Plunk's Segment object. */
export interface Segment {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  type: SegmentType;
  /** The filter tree of a DYNAMIC segment; null for STATIC. */
  condition: unknown;
  trackMembership: boolean;
  /** Cached: refreshed by the `segments.refresh` job and on the writes Plunk refreshes it on. */
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

export function rowToSegment(row: SegmentRow, dialect: DialectInfo): Segment {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    type: row.type,
    condition: dialect.parseJson(row.condition),
    trackMembership: Boolean(row.track_membership),
    memberCount: Number(row.member_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Plunk's slug of a segment name, used in `segment.<slug>.entry|exit` event names. */
export function segmentSlug(name: string): string {
  return name
    .toLowerCase()
    .trim()
    .replace(/[^\w\s-]/g, '')
    .replace(/\s+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}
