import type { ReadyOptions, Roster } from '@roster/core';
import type { RequestHandler } from 'express';

/**
 * `GET /readyz`: 200 `{"status":"ready","checks":{…}}` when `roster.health.ready(options)` passes,
 * else 503 `{"status":"not_ready","checks":{…},"failed":[…]}` naming the failed checks. No key: mount
 * it where your orchestrator's probe can reach it.
 */
export function readinessHandler(roster: Roster, options: ReadyOptions = {}): RequestHandler {
  return (_req, res, next) => {
    roster.health.ready(options).then((report) => {
      res.setHeader('cache-control', 'no-store');
      if (report.ready) res.status(200).json({ status: 'ready', checks: report.checks });
      else res.status(503).json({ status: 'not_ready', checks: report.checks, failed: report.failed });
    }, next);
  };
}
