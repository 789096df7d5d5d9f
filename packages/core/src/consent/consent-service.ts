import type { Kysely } from 'kysely';
import { isoNow } from '../clock.js';
import { findContact } from '../contacts/contact-repository.js';
import type { ContactService } from '../contacts/contact-service.js';
import { type Contact, rowToContact } from '../contacts/contact-types.js';
import type { ConsentSettingsRow, Database } from '../db/schema.js';
import { isRosterError, RosterError } from '../errors.js';
import { insertEvents } from '../events/event-repository.js';
import { isUuid, uuidv7 } from '../ids.js';
import { recordChanges } from '../outbox/outbox-writes.js';
import { findProjectById } from '../projects/project-repository.js';
import type { ServiceDeps } from '../service-deps.js';
import type { TopicService } from '../topics/topic-service.js';
import { parseInput } from '../validation.js';
import { type ChangeSource, currentChangeSource, sourceData, withChangeSource } from './change-source.js';
import * as repo from './consent-repository.js';
import {
  type ConsentSettingsInput,
  consentSettingsSchema,
  DEFAULT_CONSENT_SECRET_OVERLAP_MS,
  type RequestConfirmationInput,
  type RotateConsentSecretInput,
  requestConfirmationSchema,
  rotateConsentSecretSchema,
  type SavePreferencesInput,
  savePreferencesSchema,
  type UnsubscribeHeadersInput,
  unsubscribeHeadersSchema,
} from './consent-schemas.js';
import {
  type ConsentPurpose,
  generateConsentSecret,
  openToken,
  sealToken,
  type TokenKey,
  tokenKey,
  tokenKeyId,
} from './consent-tokens.js';
import type {
  ConfirmationRequest,
  ConfirmResult,
  ConsentBranding,
  ConsentLink,
  ConsentSettings,
  ConsentStatus,
  PreferencesView,
  UnsubscribeHeaders,
  UnsubscribeResult,
} from './consent-types.js';

/** A confirmation link is valid for 7 days; unsubscribe and preference links never expire. */
export const CONFIRMATION_TTL_MS = 7 * 86_400_000;
/** At most one reload of the keys per this long when a token names an unknown key (another process rotated). */
const RELOAD_INTERVAL_MS = 5_000;

export interface ConsentServiceDeps extends ServiceDeps {
  /** Every subscription change goes through the contacts' normal write path. */
  contacts: ContactService;
  topics: TopicService;
  /** Where the public pages are served (no trailing slash); undefined: links cannot be built. */
  publicUrl: string | undefined;
}

/** The options of a change made by a person through a public page. */
export interface PageActionOptions {
  /** The client's address (recorded with the change). */
  clientAddress?: string | null | undefined;
}

interface KnownKey {
  projectId: string;
  key: TokenKey;
  /** Epoch ms after which the key no longer verifies (a rotated-out secret); null: current. */
  validUntil: number | null;
}

/** `ada@example.com` → `a***@e***.com`: enough for the person to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return `${email.slice(0, 1)}***`;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local.slice(0, 1)}***@${host.slice(0, 1)}***${tld}`;
}

const INVALID_LINK = 'This link is not valid';

export function createConsentService(deps: ConsentServiceDeps) {
  const { db, dialect, clock } = deps;
  const keys = new Map<string, KnownKey>();
  /** The key of each project's current secret, for sealing. */
  const current = new Map<string, TokenKey>();
  /** Each project's display name and logo, loaded with the keys. */
  const looks = new Map<string, { displayName: string | null; logoUrl: string | null }>();
  let loaded: Promise<void> | null = null;
  let lastReload = 0;

  function remember(row: ConsentSettingsRow): void {
    looks.set(row.project_id, { displayName: row.display_name, logoUrl: row.logo_url });
    for (const [id, known] of keys) if (known.projectId === row.project_id) keys.delete(id);
    const key = tokenKey(row.secret);
    keys.set(key.keyId, { projectId: row.project_id, key, validUntil: null });
    current.set(row.project_id, key);
    if (row.previous_secret && row.previous_secret_expires_at) {
      const previous = tokenKey(row.previous_secret);
      keys.set(previous.keyId, {
        projectId: row.project_id,
        key: previous,
        validUntil: Date.parse(row.previous_secret_expires_at),
      });
    }
  }

  async function reload(): Promise<void> {
    lastReload = clock().getTime();
    const rows = await repo.listConsentSettings(db);
    keys.clear();
    current.clear();
    looks.clear();
    for (const row of rows) remember(row);
  }

  /** Loads every project's keys once (createRoster calls it at start, so verifying never waits). */
  function prepare(): Promise<void> {
    loaded ??= reload().catch((error) => {
      loaded = null;
      throw error;
    });
    return loaded;
  }

  /** The project's sealing key, its secret created on first use. */
  async function sealingKey(projectId: string): Promise<TokenKey> {
    await prepare();
    const known = current.get(projectId);
    if (known) return known;
    if (!(await findProjectById(db, projectId))) throw RosterError.notFound('project');
    const row = await repo.ensureConsentSecret(db, projectId, generateConsentSecret(), isoNow(clock));
    remember(row);
    return current.get(projectId)!;
  }

  function baseUrl(): string {
    if (!deps.publicUrl) {
      throw RosterError.validation(
        [
          {
            field: 'publicUrl',
            message: 'is not set: give createRoster({ publicUrl }) or roster serve --public-url',
          },
        ],
        'Links need a public base URL (the publicUrl option)',
      );
    }
    return deps.publicUrl;
  }

  async function seal(
    projectId: string,
    contactId: string,
    purpose: ConsentPurpose,
    topicId: string | null = null,
    expiresAtMs: number | null = null,
  ): Promise<string> {
    const key = await sealingKey(projectId);
    return sealToken(key, {
      purpose,
      contactId,
      topicId,
      expiresAt: expiresAtMs === null ? null : Math.ceil(expiresAtMs / 1000),
    });
  }

  /**
   * What a token says, checked without a database query (the keys are in memory): `not_found`
   * (resource `link`) for anything that is not a live token of `purposes`. A token sealed with a
   * key this process does not know yet (another process created or rotated it) reloads the keys,
   * at most once per 5 seconds.
   */
  async function verify(token: string, purposes: readonly ConsentPurpose[]): Promise<ConsentLink> {
    const keyId = tokenKeyId(token);
    if (keyId === null) throw RosterError.notFound('link', INVALID_LINK);
    await prepare();
    let known = keys.get(keyId);
    if (!known && clock().getTime() - lastReload > RELOAD_INTERVAL_MS) {
      await reload();
      known = keys.get(keyId);
    }
    const now = clock().getTime();
    if (!known || (known.validUntil !== null && known.validUntil <= now)) {
      throw RosterError.notFound('link', INVALID_LINK);
    }
    const claims = openToken(known.key, token);
    if (!claims || !purposes.includes(claims.purpose)) throw RosterError.notFound('link', INVALID_LINK);
    if (claims.expiresAt !== null && claims.expiresAt * 1000 <= now) {
      throw RosterError.notFound('link', 'This link has expired: ask for a new one');
    }
    return {
      purpose: claims.purpose,
      projectId: known.projectId,
      contactId: claims.contactId,
      topicId: claims.topicId,
      expiresAt: claims.expiresAt === null ? null : new Date(claims.expiresAt * 1000).toISOString(),
    };
  }

  async function contactOf(projectId: string, contactId: string): Promise<Contact> {
    const row = isUuid(contactId)
      ? await findContact(db, deps.dialect, projectId, contactId.toLowerCase())
      : undefined;
    if (!row) throw RosterError.notFound('contact');
    return rowToContact(row, dialect, projectId);
  }

  /** Project names (projects are never renamed), so a page's branding needs no query once seen. */
  const projectNames = new Map<string, string>();

  async function branding(projectId: string): Promise<ConsentBranding> {
    let name = projectNames.get(projectId);
    if (name === undefined) {
      name = (await findProjectById(db, projectId))?.name ?? '';
      projectNames.set(projectId, name);
    }
    // The settings as last loaded with the keys (this process's updates are seen at once).
    const settings = looks.get(projectId);
    return { projectName: settings?.displayName ?? name, logoUrl: settings?.logoUrl ?? null };
  }

  /** Records a consent event of one contact in `roster_events` (and, for the outbox types, as a change event). */
  async function recordConsentEvent(
    trx: Kysely<Database>,
    projectId: string,
    contact: Contact,
    name: 'contact.confirmation_requested' | 'contact.confirmed',
    source: ChangeSource,
    extra: Record<string, unknown>,
    now: string,
  ): Promise<void> {
    await insertEvents(trx, dialect, [
      {
        id: uuidv7(),
        projectId,
        contactId: contact.id,
        name,
        data: { ...sourceData(source), ...extra },
        createdAt: now,
      },
    ]);
    await recordChanges(
      deps,
      trx,
      projectId,
      [{ type: name, contactId: contact.id, data: { contact, ...extra } }],
      now,
    );
  }

  async function preferencesView(projectId: string, contactId: string): Promise<PreferencesView> {
    const contact = await contactOf(projectId, contactId);
    const [brand, topics, choices] = await Promise.all([
      branding(projectId),
      deps.topics.list(projectId),
      deps.topics.contactTopics(projectId, contactId),
    ]);
    const publicIds = new Set(topics.filter((t) => t.visibility === 'public').map((t) => t.id));
    return {
      ...brand,
      maskedEmail: maskEmail(contact.email),
      subscribed: contact.subscribed,
      topics: choices
        .filter((t) => publicIds.has(t.id))
        .map((t) => ({
          id: t.id,
          name: t.name,
          description: t.description,
          subscribed: t.subscription === 'opt_in',
        })),
      token: await seal(projectId, contact.id, 'preferences'),
    };
  }

  return {
    /** Loads the keys of every project (one query); verifying a link then needs none. */
    prepare,

    /** What a link's token says (`not_found` for a token that is not a live one of `purposes`). */
    verify(token: string, purposes: readonly ConsentPurpose[] = ['confirm', 'unsubscribe', 'preferences']) {
      return verify(token, purposes);
    },

    /**
     * Starts (or restarts) the contact's double opt-in: marks an unsubscribed contact `pending` and
     * returns the link that confirms it, valid 7 days (roster sends no email: the app does).
     * Records `contact.confirmation_requested` (an event of the contact and a change event).
     */
    async requestConfirmation(
      projectId: string,
      contactId: string,
      input: RequestConfirmationInput = {},
    ): Promise<ConfirmationRequest> {
      const valid = parseInput(requestConfirmationSchema, input);
      const contact = await contactOf(projectId, contactId);
      const base = baseUrl();
      const expiresAtMs = clock().getTime() + CONFIRMATION_TTL_MS;
      const token = await seal(projectId, contact.id, 'confirm', null, expiresAtMs);
      const expiresAt = new Date(Math.ceil(expiresAtMs / 1000) * 1000).toISOString();
      const source = currentChangeSource();
      await db.transaction().execute(async (trx) => {
        const now = isoNow(clock);
        const existing = await repo.findContactConsent(trx, projectId, contact.id);
        // A confirmed, subscribed contact stays confirmed (never downgraded); any other awaits the link.
        const status = contact.subscribed && existing?.status === 'confirmed' ? 'confirmed' : 'pending';
        await repo.setContactConsent(trx, {
          projectId,
          contactId: contact.id,
          status,
          requestedAt: now,
          redirectUrl: valid.redirectUrl ?? null,
          now,
        });
        await recordConsentEvent(
          trx,
          projectId,
          contact,
          'contact.confirmation_requested',
          source,
          { expiresAt },
          now,
        );
      });
      deps.changes?.committed();
      return { url: `${base}/confirm/${token}`, token, expiresAt };
    },

    /**
     * Confirms the contact a confirmation link names: subscribes it through the contacts' write
     * path and records `contact.confirmed`. Confirming twice changes nothing the second time.
     */
    async confirm(token: string, options: PageActionOptions = {}): Promise<ConfirmResult> {
      const link = await verify(token, ['confirm']);
      const source: ChangeSource = { source: 'confirmation', clientAddress: options.clientAddress };
      const consent = await repo.findContactConsent(db, link.projectId, link.contactId);
      const before = await contactOf(link.projectId, link.contactId);
      const after = before.subscribed
        ? before
        : await withChangeSource(source, () =>
            deps.contacts.update(link.projectId, link.contactId, { subscribed: true }),
          );
      const changed = !before.subscribed || consent?.status !== 'confirmed';
      if (changed) {
        await db.transaction().execute(async (trx) => {
          const now = isoNow(clock);
          await repo.setContactConsent(trx, {
            projectId: link.projectId,
            contactId: link.contactId,
            status: 'confirmed',
            confirmedAt: now,
            now,
          });
          await recordConsentEvent(trx, link.projectId, after, 'contact.confirmed', source, {}, now);
        });
        deps.changes?.committed();
      }
      return {
        projectId: link.projectId,
        contactId: link.contactId,
        changed,
        redirectUrl: consent?.redirect_url ?? null,
      };
    },

    /** The contact's double opt-in state. */
    async status(projectId: string, contactId: string): Promise<ConsentStatus> {
      const contact = await contactOf(projectId, contactId);
      const row = await repo.findContactConsent(db, projectId, contact.id);
      return {
        status: row?.status ?? 'none',
        requestedAt: row?.requested_at ?? null,
        confirmedAt: row?.confirmed_at ?? null,
      };
    },

    /** The one-click unsubscribe link (RFC 8058) of the contact: from `topicId` only, or from everything. */
    async unsubscribeUrl(projectId: string, contactId: string, input: UnsubscribeHeadersInput = {}) {
      const valid = parseInput(unsubscribeHeadersSchema, input);
      const contact = await contactOf(projectId, contactId);
      const topicId = valid.topicId ? (await deps.topics.get(projectId, valid.topicId)).id : null;
      const base = baseUrl();
      return `${base}/unsubscribe/${await seal(projectId, contact.id, 'unsubscribe', topicId)}`;
    },

    /**
     * The headers to add to an email to the contact: `List-Unsubscribe: <https://…/unsubscribe/…>`
     * and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). The link never expires.
     */
    async unsubscribeHeaders(
      projectId: string,
      contactId: string,
      input: UnsubscribeHeadersInput = {},
    ): Promise<UnsubscribeHeaders> {
      const url = await this.unsubscribeUrl(projectId, contactId, input);
      return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
    },

    /** The contact's preference page link (never expires). */
    async preferencesUrl(projectId: string, contactId: string): Promise<string> {
      const contact = await contactOf(projectId, contactId);
      const base = baseUrl();
      return `${base}/preferences/${await seal(projectId, contact.id, 'preferences')}`;
    },

    /**
     * Unsubscribes the contact an unsubscribe link names (from its topic, or from everything)
     * through the contacts' write path. Idempotent; a contact (or topic) that no longer exists is
     * not an error (`found: false`): there is nothing left to send to.
     */
    async unsubscribe(token: string, options: PageActionOptions = {}): Promise<UnsubscribeResult> {
      const link = await verify(token, ['unsubscribe', 'preferences']);
      const source: ChangeSource = { source: 'unsubscribe_link', clientAddress: options.clientAddress };
      let found = true;
      try {
        await withChangeSource(source, async () => {
          if (link.topicId) {
            await deps.topics.setContactTopics(link.projectId, link.contactId, [
              { id: link.topicId, subscription: 'opt_out' },
            ]);
          } else {
            // A repeat (mail providers retry, people click twice) is a read, not another write.
            const row = await findContact(db, deps.dialect, link.projectId, link.contactId);
            if (!row) throw RosterError.notFound('contact');
            if (row.subscribed)
              await deps.contacts.update(link.projectId, link.contactId, { subscribed: false });
          }
        });
      } catch (error) {
        // The contact is gone (not_found), or the topic is (validation_failed naming it).
        if (!isRosterError(error) || (error.code !== 'not_found' && error.code !== 'validation_failed'))
          throw error;
        found = false;
      }
      return { projectId: link.projectId, contactId: link.contactId, topicId: link.topicId, found };
    },

    /** How the pages show the project a link belongs to (the link checked first). */
    async branding(token: string): Promise<ConsentBranding & { link: ConsentLink }> {
      const link = await verify(token, ['confirm', 'unsubscribe', 'preferences']);
      return { ...(await branding(link.projectId)), link };
    },

    /** The preference page of the contact an unsubscribe or preference link names. */
    async preferences(token: string): Promise<PreferencesView> {
      const link = await verify(token, ['unsubscribe', 'preferences']);
      return preferencesView(link.projectId, link.contactId);
    },

    /**
     * Saves a preference page: the global subscription and the public topics' choices, each
     * through the normal write paths (`contacts.update`, `topics.setContactTopics`). A topic that
     * is not a public topic of the project is `validation_failed` naming `topics.<i>.id`.
     */
    async savePreferences(
      token: string,
      input: SavePreferencesInput,
      options: PageActionOptions = {},
    ): Promise<PreferencesView> {
      const link = await verify(token, ['unsubscribe', 'preferences']);
      const valid = parseInput(savePreferencesSchema, input);
      const source: ChangeSource = { source: 'preferences', clientAddress: options.clientAddress };
      const topics = await deps.topics.list(link.projectId);
      const publicIds = new Set(topics.filter((t) => t.visibility === 'public').map((t) => t.id));
      const items = valid.topics ?? [];
      const issues = items.flatMap((item, i) =>
        publicIds.has(item.id.toLowerCase())
          ? []
          : [{ field: `topics.${i}.id`, message: 'is not a public topic of this project' }],
      );
      if (issues.length > 0) throw RosterError.validation(issues);
      const contact = await contactOf(link.projectId, link.contactId);
      await withChangeSource(source, async () => {
        if (contact.subscribed !== valid.subscribed) {
          await deps.contacts.update(link.projectId, link.contactId, { subscribed: valid.subscribed });
        }
        if (items.length > 0) {
          await deps.topics.setContactTopics(
            link.projectId,
            link.contactId,
            items.map((item) => ({ id: item.id, subscription: item.subscribed ? 'opt_in' : 'opt_out' })),
          );
        }
      });
      return preferencesView(link.projectId, link.contactId);
    },

    /** The project's page settings and secret dates (the secret itself is created on first use). */
    async settings(projectId: string): Promise<ConsentSettings> {
      await sealingKey(projectId);
      return toSettings((await repo.findConsentSettings(db, projectId))!);
    },

    /** Changes how the public pages show the project (name, logo). */
    async updateSettings(projectId: string, input: ConsentSettingsInput): Promise<ConsentSettings> {
      const valid = parseInput(consentSettingsSchema, input);
      await sealingKey(projectId);
      const patch: Record<string, unknown> = { updated_at: isoNow(clock) };
      if (valid.displayName !== undefined) patch.display_name = valid.displayName;
      if (valid.logoUrl !== undefined) patch.logo_url = valid.logoUrl;
      await repo.updateConsentSettings(db, projectId, patch);
      const updated = (await repo.findConsentSettings(db, projectId))!;
      remember(updated);
      return toSettings(updated);
    },

    /**
     * Gives the project a new signing secret: new links use it; links made with the previous one
     * keep working for `overlapMs` (default 30 days), then stop. A second rotation inside the
     * window drops the oldest secret.
     */
    async rotateSecret(projectId: string, input: RotateConsentSecretInput = {}): Promise<ConsentSettings> {
      const valid = parseInput(rotateConsentSecretSchema, input);
      await sealingKey(projectId);
      const row = (await repo.findConsentSettings(db, projectId))!;
      const overlapMs = valid.overlapMs ?? DEFAULT_CONSENT_SECRET_OVERLAP_MS;
      const now = clock();
      await repo.updateConsentSettings(db, projectId, {
        secret: generateConsentSecret(),
        previous_secret: overlapMs > 0 ? row.secret : null,
        previous_secret_expires_at: overlapMs > 0 ? new Date(now.getTime() + overlapMs).toISOString() : null,
        updated_at: now.toISOString(),
      });
      const updated = (await repo.findConsentSettings(db, projectId))!;
      remember(updated);
      return toSettings(updated);
    },
  };
}

function toSettings(row: ConsentSettingsRow): ConsentSettings {
  return {
    projectId: row.project_id,
    displayName: row.display_name,
    logoUrl: row.logo_url,
    updatedAt: row.updated_at,
    previousSecretExpiresAt: row.previous_secret_expires_at,
  };
}

export type ConsentService = ReturnType<typeof createConsentService>;
