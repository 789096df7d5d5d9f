import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isValidEmail, normaliseEmail } from '../contacts/contact-fields.js';
import type { Database, Db } from '../db/schema.js';
import type { ServiceDeps } from '../service-deps.js';
import { findSettings, lockAddresses } from './suppression-repository.js';
import { suppressIn } from './suppression-service.js';
import type { SuppressionOrigin } from './suppression-types.js';

/**
 * Bounces and complaints reported by email providers' webhooks: Resend's (`email.bounced`,
 * `email.complained`; Standard Webhooks / Svix signatures with the endpoint's signing secret) and
 * Postmark's (Bounce and SpamComplaint; HTTP basic auth). A hard bounce or a complaint suppresses
 * the recipient; anything else is acknowledged and ignored.
 */

/** How far a signed timestamp may be from now (Standard Webhooks' usual tolerance). */
export const INBOUND_TOLERANCE_SECONDS = 5 * 60;

/** What an inbound webhook call did. */
export type InboundResult =
  /** Not authenticated: no credentials configured for the project, or a wrong signature / password. */
  | { status: 'unauthorized'; reason: string }
  /** Authenticated but not a JSON event roster can read. */
  | { status: 'invalid'; reason: string }
  /**
   * Authenticated and handled: the addresses it suppressed (none for an ignored event) and the
   * entries it added, by id (an address listed already keeps its entry).
   */
  | {
      status: 'handled';
      suppressed: string[];
      added: { id: string; origin: SuppressionOrigin }[];
      ignored?: string;
    };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * True when `body` carries a valid Standard Webhooks signature of `secret` (`whsec_` + base64 key):
 * `webhook-id`/`webhook-timestamp`/`webhook-signature` headers, or Svix's `svix-*` (as Resend sends
 * them), a timestamp within the tolerance, and one `v1,` signature matching.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: Headers,
  body: string,
  nowMs: number,
): boolean {
  const id = header(headers, 'webhook-id') ?? header(headers, 'svix-id');
  const timestamp = header(headers, 'webhook-timestamp') ?? header(headers, 'svix-timestamp');
  const signatures = header(headers, 'webhook-signature') ?? header(headers, 'svix-signature');
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > INBOUND_TOLERANCE_SECONDS) return false;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return signatures.split(' ').some((entry) => entry.startsWith('v1,') && sameText(entry.slice(3), expected));
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The valid addresses among a provider's recipient field (a string or a list of strings). */
function recipients(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list
    .filter((v): v is string => typeof v === 'string')
    .map((v) => normaliseEmail(v.replace(/^.*<([^>]+)>\s*$/, '$1')))
    .filter(isValidEmail);
}

async function suppressAll(
  deps: ServiceDeps,
  projectId: string,
  emails: string[],
  origin: SuppressionOrigin,
  reason: string,
): Promise<{ suppressed: string[]; added: { id: string; origin: SuppressionOrigin }[] }> {
  if (emails.length === 0) return { suppressed: [], added: [] };
  const added: { id: string; origin: SuppressionOrigin }[] = [];
  await (deps.db as Kysely<Database>).transaction().execute(async (trx: Db) => {
    // Every address's lock at once, in the locks' order (two webhook calls never deadlock).
    await lockAddresses(trx, deps.dialect, projectId, emails, 'exclusive');
    for (const email of emails) {
      const result = await suppressIn(deps, trx, projectId, { email, origin, reason });
      if (result.created) added.push({ id: result.suppression.id, origin });
    }
  });
  deps.changes?.committed();
  return { suppressed: emails, added };
}

export function createInboundService(deps: ServiceDeps) {
  return {
    /**
     * A Resend webhook call (`POST /inbound/resend/:projectId`): verified with the project's
     * signing secret against the raw body. `email.bounced` with `data.bounce.type` `Permanent` (or
     * without a bounce type: Resend sends the event for permanent rejections) and
     * `email.complained` suppress every address of `data.to`.
     */
    async resend(projectId: string, headers: Headers, rawBody: string): Promise<InboundResult> {
      const settings = await findSettings(deps.db, projectId);
      if (!settings?.resend_secret)
        return { status: 'unauthorized', reason: 'No Resend signing secret is configured' };
      if (!verifyStandardWebhook(settings.resend_secret, headers, rawBody, deps.clock().getTime())) {
        return { status: 'unauthorized', reason: 'Invalid webhook signature' };
      }
      const event = parseJson(rawBody);
      if (!isObject(event) || typeof event.type !== 'string' || !isObject(event.data)) {
        return { status: 'invalid', reason: 'The body must be a JSON webhook event with type and data' };
      }
      const data = event.data;
      if (event.type === 'email.complained') {
        return {
          status: 'handled',
          ...(await suppressAll(
            deps,
            projectId,
            recipients(data.to),
            'complaint',
            'Resend: email.complained',
          )),
        };
      }
      if (event.type === 'email.bounced') {
        const bounce = isObject(data.bounce) ? data.bounce : {};
        const type = typeof bounce.type === 'string' ? bounce.type : undefined;
        if (type !== undefined && type.toLowerCase() !== 'permanent') {
          return {
            status: 'handled',
            suppressed: [],
            added: [],
            ignored: `bounce type ${type} is not a hard bounce`,
          };
        }
        const detail = [type, bounce.subType].filter((v) => typeof v === 'string').join('/');
        const reason = `Resend: email.bounced${detail ? ` (${detail})` : ''}`;
        return {
          status: 'handled',
          ...(await suppressAll(deps, projectId, recipients(data.to), 'bounce', reason)),
        };
      }
      return {
        status: 'handled',
        suppressed: [],
        added: [],
        ignored: `event ${event.type} is not a bounce or complaint`,
      };
    },

    /**
     * A Postmark webhook call (`POST /inbound/postmark/:projectId`) with the project's basic auth:
     * a `Bounce` record of `Type` `HardBounce` (`TypeCode` 1), or a `SpamComplaint`, suppresses
     * its `Email`.
     */
    async postmark(
      projectId: string,
      authorization: string | undefined,
      rawBody: string,
    ): Promise<InboundResult> {
      const settings = await findSettings(deps.db, projectId);
      if (!settings?.postmark_user || settings.postmark_password === null) {
        return { status: 'unauthorized', reason: 'No Postmark credentials are configured' };
      }
      const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
      const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
      if (!sameText(given, `${settings.postmark_user}:${settings.postmark_password}`)) {
        return { status: 'unauthorized', reason: 'Invalid credentials' };
      }
      const record = parseJson(rawBody);
      if (!isObject(record)) return { status: 'invalid', reason: 'The body must be a JSON object' };
      const kind = record.RecordType ?? (record.Type === 'SpamComplaint' ? 'SpamComplaint' : 'Bounce');
      const emails = recipients(record.Email);
      if (kind === 'SpamComplaint' || record.Type === 'SpamComplaint') {
        return {
          status: 'handled',
          ...(await suppressAll(deps, projectId, emails, 'complaint', 'Postmark: SpamComplaint')),
        };
      }
      if (kind === 'Bounce') {
        if (record.Type !== 'HardBounce' && record.TypeCode !== 1) {
          return {
            status: 'handled',
            suppressed: [],
            added: [],
            ignored: `bounce type ${String(record.Type)} is not a hard bounce`,
          };
        }
        const detail = typeof record.Description === 'string' ? `: ${record.Description}` : '';
        return {
          status: 'handled',
          ...(await suppressAll(
            deps,
            projectId,
            emails,
            'bounce',
            `Postmark: HardBounce${detail}`.slice(0, 1000),
          )),
        };
      }
      return {
        status: 'handled',
        suppressed: [],
        added: [],
        ignored: `record type ${String(kind)} is not a bounce or complaint`,
      };
    },
  };
}

export type InboundService = ReturnType<typeof createInboundService>;
