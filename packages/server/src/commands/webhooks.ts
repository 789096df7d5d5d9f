import type { Command } from 'commander';
import { ALLOW_PRIVATE_WEBHOOKS_ENV, CliError, type CommonFlags, parsePositiveInt } from '../config.js';
import { projectOptions, withProject } from './with-roster.js';

/**
 * Core's `WEBHOOK_DELIVERY_STATUSES`, spelled out for the help text so that registering the
 * commands does not load core (`roster --help` stays fast); a test checks they are the same.
 */
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

interface WebhookFlags extends CommonFlags {
  json?: boolean;
}

const ALLOW_PRIVATE_HELP = `allow targets on private, loopback and link-local addresses (env ${ALLOW_PRIVATE_WEBHOOKS_ENV}=1)`;

export function registerWebhooksCommand(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description('Manage webhook endpoints (signed per Standard Webhooks) and see their deliveries');

  projectOptions(
    webhooks
      .command('add')
      .description('Add an endpoint; prints its id and signing secret (whsec_...)')
      .requiredOption('--url <url>', 'where to POST events (http:// or https://)')
      .requiredOption(
        '--events <types>',
        'comma-separated event types, e.g. contact.created,contact.deleted (or segment.<slug>.entry, segment.*, *)',
      )
      .option('--description <text>', 'a note for people reading the list')
      .option('--disabled', 'create it disabled')
      .option('--allow-private-webhook-targets', ALLOW_PRIVATE_HELP)
      .option('--json', 'print one JSON line {"id","secret"}'),
  ).action(
    async (
      flags: WebhookFlags & { url: string; events: string; description?: string; disabled?: boolean },
    ) => {
      await withProject(
        flags,
        async (roster, projectId) => {
          const created = await roster.webhooks.create(projectId, {
            url: flags.url,
            eventTypes: flags.events
              .split(',')
              .map((t) => t.trim())
              .filter((t) => t !== ''),
            description: flags.description,
            enabled: !flags.disabled,
          });
          await roster.audit.record(projectId, {
            actor: 'cli',
            action: 'webhook.created',
            target: created.id,
            detail: { url: created.url, eventTypes: created.eventTypes },
          });
          if (flags.json) console.log(JSON.stringify({ id: created.id, secret: created.secret }));
          else {
            console.log(`Added webhook ${created.id} -> ${created.url} (${created.eventTypes.join(', ')})`);
            console.log(`Signing secret (verify webhook-signature with it): ${created.secret}`);
          }
        },
        { create: true },
      );
    },
  );

  projectOptions(
    webhooks
      .command('list')
      .description('List endpoints (never their secrets)')
      .option('--json', 'print JSON'),
  ).action(async (flags: WebhookFlags) => {
    await withProject(flags, async (roster, projectId) => {
      const list = await roster.webhooks.list(projectId);
      if (flags.json) console.log(JSON.stringify(list));
      else if (list.length === 0) console.log('No webhooks.');
      else
        for (const w of list) {
          const state = w.enabled ? 'enabled' : `DISABLED (${w.disabledReason})`;
          console.log(`${w.id}  ${w.url}  ${w.eventTypes.join(',')}  ${state}`);
        }
    });
  });

  projectOptions(
    webhooks
      .command('remove')
      .description('Delete an endpoint and its deliveries')
      .argument('<id>', 'endpoint id'),
  ).action(async (id: string, flags: WebhookFlags) => {
    await withProject(flags, async (roster, projectId) => {
      await roster.webhooks.delete(projectId, id.trim());
      await roster.audit.record(projectId, { actor: 'cli', action: 'webhook.deleted', target: id.trim() });
      console.log(`Removed webhook ${id.trim()}`);
    });
  });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    projectOptions(
      webhooks
        .command(name)
        .description(
          enabled
            ? 'Enable an endpoint (e.g. one disabled after failing for 24 h)'
            : 'Disable an endpoint (its pending deliveries fail)',
        )
        .argument('<id>', 'endpoint id'),
    ).action(async (id: string, flags: WebhookFlags) => {
      await withProject(flags, async (roster, projectId) => {
        await roster.webhooks.update(projectId, id.trim(), { enabled });
        await roster.audit.record(projectId, {
          actor: 'cli',
          action: 'webhook.updated',
          target: id.trim(),
          detail: { fields: ['enabled'], enabled },
        });
        console.log(`${enabled ? 'Enabled' : 'Disabled'} webhook ${id.trim()}`);
      });
    });
  }

  projectOptions(
    webhooks
      .command('test')
      .description('Send a signed webhook.test event to the endpoint now; exits 1 unless it answers 2xx')
      .argument('<id>', 'endpoint id')
      .option('--allow-private-webhook-targets', ALLOW_PRIVATE_HELP)
      .option('--json', 'print JSON {"delivery","attempt"}'),
  ).action(async (id: string, flags: WebhookFlags) => {
    await withProject(flags, async (roster, projectId) => {
      const result = await roster.webhooks.sendTest(projectId, id.trim());
      const { attempt } = result;
      if (flags.json) console.log(JSON.stringify(result));
      else
        console.log(
          `webhook-id ${result.delivery.messageId}: ${attempt.statusCode === null ? 'no answer' : `HTTP ${attempt.statusCode}`} in ${attempt.latencyMs} ms${attempt.error ? ` (${attempt.error})` : ''}`,
        );
      if (result.delivery.status !== 'succeeded') process.exitCode = 1;
    });
  });

  projectOptions(
    webhooks
      .command('deliveries')
      .description("List an endpoint's deliveries, newest first")
      .argument('<id>', 'endpoint id')
      .option('--limit <n>', 'how many (1 to 100)', '20')
      .option('--status <status>', `only ${DELIVERY_STATUSES.join(', ')}`)
      .option('--json', 'print JSON'),
  ).action(async (id: string, flags: WebhookFlags & { limit: string; status?: string }) => {
    const limit = parsePositiveInt('limit', flags.limit);
    await withProject(flags, async (roster, projectId) => {
      const page = await roster.webhooks.deliveries(projectId, id.trim(), {
        limit,
        ...(flags.status === undefined ? {} : { status: flags.status as never }),
      });
      if (flags.json) console.log(JSON.stringify(page.data));
      else if (page.data.length === 0) console.log('No deliveries.');
      else
        for (const d of page.data) {
          const last = d.lastStatusCode === null ? (d.lastError ?? '') : `HTTP ${d.lastStatusCode}`;
          console.log(
            `${d.id}  ${d.createdAt}  ${d.eventType}  ${d.status}  attempts ${d.attemptCount}  ${last}`,
          );
        }
    });
  });

  projectOptions(
    webhooks
      .command('replay')
      .description(
        'Send deliveries again: one by id (--delivery), or every finished one since a time (--since)',
      )
      .argument('<id>', 'endpoint id')
      .option('--delivery <deliveryId>', 'the delivery to send again')
      .option('--since <time>', 'ISO 8601 time: every succeeded or failed delivery created since'),
  ).action(async (id: string, flags: WebhookFlags & { delivery?: string; since?: string }) => {
    if ((flags.delivery === undefined) === (flags.since === undefined))
      throw new CliError('Give one of --delivery <deliveryId> or --since <time>');
    await withProject(flags, async (roster, projectId) => {
      if (flags.delivery !== undefined) {
        const delivery = await roster.webhooks.delivery(projectId, flags.delivery.trim());
        if (delivery.endpointId !== id.trim())
          throw new CliError(`Delivery ${delivery.id} is not one of webhook ${id}`);
        await roster.webhooks.replay(projectId, delivery.id);
        console.log(`Queued delivery ${delivery.id} again (a running \`roster serve\` sends it)`);
      } else {
        const { replayed } = await roster.webhooks.replaySince(projectId, id.trim(), { since: flags.since! });
        console.log(`Queued ${replayed} deliveries again (a running \`roster serve\` sends them)`);
      }
    });
  });

  projectOptions(
    webhooks
      .command('rotate-secret')
      .description('Give the endpoint a new secret; the old one keeps signing beside it for 24 h')
      .argument('<id>', 'endpoint id')
      .option('--overlap <ms>', 'how long the old secret keeps signing, in ms (default 86400000)')
      .option('--json', 'print one JSON line {"id","secret"}'),
  ).action(async (id: string, flags: WebhookFlags & { overlap?: string }) => {
    const overlapMs = flags.overlap === undefined ? undefined : Number(flags.overlap);
    if (overlapMs !== undefined && !/^\d+$/.test(flags.overlap!))
      throw new CliError(`Invalid overlap "${flags.overlap}": use a whole number of ms >= 0`);
    await withProject(flags, async (roster, projectId) => {
      const rotated = await roster.webhooks.rotateSecret(
        projectId,
        id.trim(),
        overlapMs === undefined ? {} : { overlapMs },
      );
      await roster.audit.record(projectId, {
        actor: 'cli',
        action: 'webhook.secret_rotated',
        target: rotated.id,
      });
      if (flags.json) console.log(JSON.stringify({ id: rotated.id, secret: rotated.secret }));
      else {
        console.log(`New signing secret for webhook ${rotated.id}: ${rotated.secret}`);
        if (rotated.previousSecretExpiresAt)
          console.log(`The previous secret keeps signing until ${rotated.previousSecretExpiresAt}`);
      }
    });
  });
}
