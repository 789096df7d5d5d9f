import type { AuditEntry } from '@roster/core';
import type { Command } from 'commander';
import { CliError, type CommonFlags, projectName } from '../config.js';
import { existingProject, rosterOptions, withRoster } from './with-roster.js';

/** `--since`: an ISO 8601 time, or a duration back from now (`30m`, `12h`, `7d`). */
export function parseSince(value: string, now = Date.now()): string {
  const text = value.trim();
  const duration = /^(\d+)\s*([mhd])$/.exec(text);
  if (duration) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 'm' | 'h' | 'd'];
    return new Date(now - Number(duration[1]) * unit).toISOString();
  }
  const time = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time)) {
    throw new CliError(
      `Invalid --since "${value}": use an ISO 8601 time (2026-03-01T12:00:00Z) or 30m, 12h, 7d`,
    );
  }
  return new Date(time).toISOString();
}

function line(entry: AuditEntry): string {
  const detail = entry.detail ? `  ${JSON.stringify(entry.detail)}` : '';
  return `${entry.createdAt}  ${entry.actor}  ${entry.action}${entry.target ? `  ${entry.target}` : ''}${detail}`;
}

export function registerAuditCommand(program: Command): void {
  rosterOptions(
    program
      .command('audit')
      .description(
        'Show the audit log of a project, newest first: keys, webhooks, bulk deletes and unsubscribes, exports, imports, settings',
      ),
    { help: 'project name', default: 'default' },
  )
    .option('--since <time>', 'only entries since this ISO 8601 time, or this long ago (30m, 12h, 7d)')
    .option('--action <action>', 'only this action (e.g. key.revoked)')
    .option('--limit <n>', 'at most this many entries (default 100, at most 10000)')
    .option('--json', 'print one JSON line per entry')
    .action(
      async (flags: CommonFlags & { since?: string; action?: string; limit?: string; json?: boolean }) => {
        const since = flags.since === undefined ? undefined : parseSince(flags.since);
        const limit = flags.limit === undefined ? 100 : Number(flags.limit);
        if (!/^\d+$/.test(flags.limit ?? '100') || limit < 1 || limit > 10_000) {
          throw new CliError(`Invalid --limit "${flags.limit}": use a whole number from 1 to 10000`);
        }
        await withRoster(flags, async (roster) => {
          const project = await existingProject(roster, projectName(flags));
          let cursor: string | undefined;
          let shown = 0;
          do {
            const page = await roster.audit.list(project.id, {
              since,
              action: flags.action,
              limit: Math.min(500, limit - shown),
              cursor,
            });
            for (const entry of page.data) console.log(flags.json ? JSON.stringify(entry) : line(entry));
            shown += page.data.length;
            cursor = page.hasMore ? (page.cursor ?? undefined) : undefined;
          } while (cursor && shown < limit);
          if (shown === 0 && !flags.json) console.error('No audit entries.');
        });
      },
    );
}
