import type { Command } from 'commander';
import type { CommonFlags } from '../config.js';
import { projectOptions, withProject } from './with-roster.js';

interface JsonFlags extends CommonFlags {
  json?: boolean;
}

/** `roster suppressions add|list|remove` and `roster inbound` (the bounce webhooks' credentials). */
export function registerSuppressionsCommand(program: Command): void {
  const suppressions = program
    .command('suppressions')
    .description('Manage the suppression list: addresses no write can make subscribed');

  projectOptions(
    suppressions
      .command('add')
      .description('Suppress an address (and unsubscribe its contact)')
      .argument('<email>', 'the address')
      .option('--reason <text>', 'why (kept with the entry)')
      .option('--origin <origin>', 'manual (default), bounce or complaint')
      .option('--json', 'print the result as JSON'),
  ).action(async (email: string, flags: JsonFlags & { reason?: string; origin?: string }) => {
    await withProject(flags, async (roster, projectId) => {
      const result = await roster.suppressions.add(projectId, {
        email,
        reason: flags.reason,
        origin: flags.origin as never,
      });
      // The entry's id, never the address (an erasure must not leave it in the audit log).
      if (result.created) {
        await roster.audit.record(projectId, {
          actor: 'cli',
          action: 'suppression.added',
          target: result.suppression.id,
          detail: { origin: result.suppression.origin },
        });
      }
      if (flags.json) console.log(JSON.stringify(result));
      else {
        const s = result.suppression;
        console.log(
          `${result.created ? 'Suppressed' : 'Already suppressed'} ${s.email} (${s.origin}, ${s.id})`,
        );
        if (result.unsubscribed) console.log('Its contact was unsubscribed.');
      }
    });
  });

  projectOptions(
    suppressions
      .command('list')
      .description('List suppressions, newest first')
      .option('--origin <origin>', 'only bounce, complaint, manual or erasure')
      .option('--json', 'print one JSON line per entry'),
  ).action(async (flags: JsonFlags & { origin?: string }) => {
    await withProject(flags, async (roster, projectId) => {
      let cursor: string | undefined;
      let any = false;
      do {
        const page = await roster.suppressions.list(projectId, {
          origin: flags.origin as never,
          limit: 100,
          cursor,
        });
        for (const s of page.data) {
          any = true;
          if (flags.json) console.log(JSON.stringify(s));
          else
            console.log(
              `${s.id}  ${s.email ?? '(erased: hash only)'}  ${s.origin}  ${s.createdAt}  ${s.reason ?? ''}`.trimEnd(),
            );
        }
        cursor = page.cursor ?? undefined;
      } while (cursor);
      if (!any && !flags.json) console.log('No suppressions.');
    });
  });

  projectOptions(
    suppressions
      .command('remove')
      .description('Remove a suppression (by id or address): later writes may subscribe the address again')
      .argument('<idOrEmail>', 'the entry id or the address'),
  ).action(async (ref: string, flags: CommonFlags) => {
    await withProject(flags, async (roster, projectId) => {
      const removed = await roster.suppressions.remove(projectId, ref.trim());
      await roster.audit.record(projectId, {
        actor: 'cli',
        action: 'suppression.removed',
        target: removed.id,
      });
      console.log(`Removed suppression ${removed.id}`);
    });
  });

  projectOptions(
    program
      .command('inbound')
      .description(
        'Set the credentials of the bounce and complaint webhooks (/inbound/resend, /inbound/postmark)',
      )
      .option('--resend-secret <whsec>', 'the signing secret of the Resend webhook (whsec_...)')
      .option('--postmark-user <name>', 'the basic auth user name of the Postmark webhook')
      .option('--postmark-password <password>', 'its password')
      .option('--clear-resend', 'remove the Resend secret')
      .option('--clear-postmark', 'remove the Postmark credentials'),
  ).action(
    async (
      flags: CommonFlags & {
        resendSecret?: string;
        postmarkUser?: string;
        postmarkPassword?: string;
        clearResend?: boolean;
        clearPostmark?: boolean;
      },
    ) => {
      await withProject(flags, async (roster, projectId) => {
        const postmark =
          flags.clearPostmark === true
            ? null
            : flags.postmarkUser !== undefined || flags.postmarkPassword !== undefined
              ? { username: flags.postmarkUser as string, password: flags.postmarkPassword as string }
              : undefined;
        const settings = await roster.suppressions.configureInbound(projectId, {
          ...(flags.clearResend
            ? { resendSecret: null }
            : flags.resendSecret
              ? { resendSecret: flags.resendSecret }
              : {}),
          ...(postmark === undefined ? {} : { postmark }),
        });
        // Which credentials changed, never their values.
        const fields = [
          ...(flags.clearResend || flags.resendSecret ? ['resendSecret'] : []),
          ...(postmark === undefined ? [] : ['postmark']),
        ];
        if (fields.length > 0) {
          await roster.audit.record(projectId, {
            actor: 'cli',
            action: 'inbound_settings.updated',
            target: null,
            detail: { fields },
          });
        }
        console.log(
          `Resend: ${settings.resend ? `configured, POST /inbound/resend/${projectId}` : 'not configured'}; ` +
            `Postmark: ${settings.postmarkUser ? `user ${settings.postmarkUser}, POST /inbound/postmark/${projectId}` : 'not configured'}`,
        );
      });
    },
  );
}

/** `roster personal-data export|erase --email`. */
export function registerPersonalDataCommand(program: Command): void {
  const personal = program
    .command('personal-data')
    .description('Export or erase everything roster stores about one address');

  projectOptions(
    personal
      .command('export')
      .description('Print everything stored about the address as one JSON document')
      .requiredOption('--email <address>', 'the address'),
  ).action(async (flags: CommonFlags & { email: string }) => {
    await withProject(flags, async (roster, projectId) => {
      const exported = await roster.consent.exportPersonalData(projectId, flags.email);
      await roster.audit.record(projectId, { actor: 'cli', action: 'personal_data.exported', target: null });
      console.log(JSON.stringify(exported, null, 2));
    });
  });

  projectOptions(
    personal
      .command('erase')
      .description(
        'Erase the address (contact, events, traces) leaving a hashed erasure suppression; prints the report',
      )
      .requiredOption('--email <address>', 'the address'),
  ).action(async (flags: CommonFlags & { email: string }) => {
    await withProject(flags, async (roster, projectId) => {
      const report = await roster.consent.erase(projectId, flags.email);
      // Who erased and when, never whom (the address is what was erased).
      await roster.audit.record(projectId, { actor: 'cli', action: 'personal_data.erased', target: null });
      console.log(JSON.stringify(report, null, 2));
    });
  });
}
