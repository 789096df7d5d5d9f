import type { Project, Roster, RosterOptions } from '@roster/core';
import type { Command } from 'commander';
import {
  allowPrivateWebhookTargets,
  CliError,
  type CommonFlags,
  DB_HELP,
  dbPath,
  PRIVATE_WEBHOOKS_HINT,
  projectName,
} from '../config.js';

/**
 * Adds the options of a command that opens a roster: `--db`, then `--project` with `project.help`
 * (and its default, if any) when the command works in one project.
 */
export function rosterOptions(command: Command, project?: { help: string; default?: string }): Command {
  command.option('--db <path|url>', DB_HELP);
  return project ? command.option('--project <name>', project.help, project.default) : command;
}

/** `rosterOptions` of a command that works in one project: `--project <name>`, default `default`. */
export function projectOptions(command: Command): Command {
  return rosterOptions(command, { help: 'project name', default: 'default' });
}

/**
 * Opens the roster of `--db` (else env `ROSTER_DB`), runs `run` with it and closes it, whatever
 * happens. Every command's roster honours the private webhook targets setting (flag, else env
 * `ROSTER_WEBHOOKS_ALLOW_PRIVATE`) and names it in refusals. Core is loaded here, not at the top: `roster --help` must not pay for core and its drivers.
 */
export async function withRoster<T>(
  flags: CommonFlags,
  run: (roster: Roster) => Promise<T>,
  options: Omit<RosterOptions, 'database'> = {},
): Promise<T> {
  const { createRoster } = await import('@roster/core');
  const roster = await createRoster({
    database: dbPath(flags),
    ...options,
    webhooks: {
      allowPrivateTargets: allowPrivateWebhookTargets(flags.allowPrivateWebhookTargets),
      privateTargetsHint: PRIVATE_WEBHOOKS_HINT,
      ...options.webhooks,
    },
  });
  try {
    return await run(roster);
  } finally {
    await roster.close();
  }
}

/** The project named `name`; a CliError when there is none. */
export async function existingProject(roster: Roster, name: string): Promise<Project> {
  const project = await roster.projects.findByName(name);
  if (!project) throw new CliError(`No project named "${name}"`);
  return project;
}

/**
 * `withRoster`, running `run` in the project of `--project`: an existing one (else a CliError), or
 * with `create` one made when there is none.
 */
export async function withProject<T>(
  flags: CommonFlags,
  run: (roster: Roster, projectId: string) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  return withRoster(flags, async (roster) => {
    const name = projectName(flags);
    const project = options.create ? await roster.projects.ensure(name) : await existingProject(roster, name);
    return await run(roster, project.id);
  });
}
