import type { Command } from 'commander';
import { CliError, type CommonFlags, DB_HELP, projectName } from '../config.js';
import { existingProject, rosterOptions, withRoster } from './with-roster.js';

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('Manage API keys');

  rosterOptions(
    keys.command('create').description('Create an API key for a project (creating the project if needed)'),
    { help: 'project name', default: 'default' },
  )
    .option('--prefix <prefix>', 'key prefix, e.g. sk_ (Plunk) or un_ (Unosend)', 'sk_')
    .option('--public', "a public pk_ key, for Plunk's POST /v1/track (same as --prefix pk_)")
    .option('--json', 'print one JSON line {"id","project","key"}')
    .action(async (flags: CommonFlags & { prefix: string; public?: boolean; json?: boolean }) => {
      await withRoster(flags, async (roster) => {
        const project = await roster.projects.ensure(projectName(flags));
        const created = await roster.keys.create(project.id, { prefix: flags.public ? 'pk_' : flags.prefix });
        await roster.audit.record(project.id, {
          actor: 'cli',
          action: 'key.created',
          target: created.id,
          detail: { prefix: created.prefix },
        });
        if (flags.json)
          console.log(JSON.stringify({ id: created.id, project: project.name, key: created.key }));
        else {
          console.log(`Created key ${created.id} for project "${project.name}" (shown once, keep it):`);
          console.log(created.key);
        }
      });
    });

  rosterOptions(keys.command('list').description('List API keys (never the keys themselves)'), {
    help: 'only keys of this project',
  })
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      await withRoster(flags, async (roster) => {
        const projects = await roster.projects.list();
        const names = new Map(projects.map((p) => [p.id, p.name]));
        let projectId: string | undefined;
        if (flags.project) projectId = (await existingProject(roster, flags.project)).id;
        const rows = (await roster.keys.list(projectId)).map((k) => ({
          id: k.id,
          project: names.get(k.projectId) ?? k.projectId,
          key: `${k.prefix}…${k.lastFour}`,
          createdAt: k.createdAt,
          revokedAt: k.revokedAt,
        }));
        if (flags.json) console.log(JSON.stringify(rows));
        else if (rows.length === 0) console.log('No keys.');
        else {
          for (const r of rows) {
            console.log(
              `${r.id}  ${r.project}  ${r.key}  created ${r.createdAt}${r.revokedAt ? `  REVOKED ${r.revokedAt}` : ''}`,
            );
          }
        }
      });
    });

  keys
    .command('revoke')
    .description('Revoke an API key by id (see `roster keys list`)')
    .argument('<keyId>', 'id of the key')
    .option('--db <path|url>', DB_HELP)
    .action(async (keyId: string, flags: CommonFlags) => {
      await withRoster(flags, async (roster) => {
        const key = (await roster.keys.list()).find((k) => k.id === keyId.trim().toLowerCase());
        if (!key) throw new CliError(`No API key with id ${keyId} (see \`roster keys list\`)`);
        if (key.revokedAt) throw new CliError(`Key ${key.id} was already revoked at ${key.revokedAt}`);
        await roster.keys.revoke(key.id);
        await roster.audit.record(key.projectId, { actor: 'cli', action: 'key.revoked', target: key.id });
        console.log(`Revoked key ${key.id}`);
      });
    });
}
