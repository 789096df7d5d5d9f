import type { Roster } from '@roster/core';
import { storableText as storable } from '@roster/core/internal';
import type { Request, Response } from 'express';
import { logUnexpected } from './errors.js';
import { actorOf, projectIdOf } from './request-context.js';

/**
 * Appends an administrative action of the request's project to the audit log, once the action is
 * done. A failure to record is reported to `onError` (the action itself stands; the client gets its
 * answer).
 */
export async function recordAudit(
  roster: Roster,
  req: Request,
  res: Response,
  entry: { action: string; target?: string | null; detail?: Record<string, unknown> | null },
  onError: (error: unknown) => void = logUnexpected,
): Promise<void> {
  try {
    await roster.audit.record(projectIdOf(res), {
      actor: actorOf(req),
      action: entry.action,
      target: entry.target == null ? null : storable(entry.target).slice(0, MAX_TARGET),
      detail: entry.detail == null ? null : boundedDetail(entry.detail),
    });
  } catch (error) {
    onError(error);
  }
}

const MAX_TARGET = 500;
const MAX_TEXT = 200;
const MAX_ITEMS = 50;
/** Below core's 4 KiB limit of a detail as JSON. */
const MAX_DETAIL_JSON = 3500;
/**
 * A detail built from a request, made recordable whatever the client sent: storable texts of at
 * most 200 characters, at most 50 items per list or object, 4 levels; `{ truncated: true }` if it
 * is still too large.
 */
function boundedDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const bound = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return storable(value).slice(0, MAX_TEXT);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= 4) return '…';
    if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => bound(item, depth + 1));
    return Object.fromEntries(
      Object.entries(value)
        .slice(0, MAX_ITEMS)
        .map(([key, item]) => [storable(key).slice(0, MAX_TEXT), bound(item, depth + 1)]),
    );
  };
  const bounded = bound(detail, 0) as Record<string, unknown>;
  return JSON.stringify(bounded).length > MAX_DETAIL_JSON ? { truncated: true } : bounded;
}
