import { detectDialect } from '../db/dialect.js';
import type { ConsentSettingsRow, ContactConsentRow, Db } from '../db/schema.js';

/** Every project's consent settings (the token keys the verifier keeps in memory). */
export function listConsentSettings(db: Db): Promise<ConsentSettingsRow[]> {
  return db.selectFrom('roster_consent_settings').selectAll().execute();
}

export function findConsentSettings(db: Db, projectId: string): Promise<ConsentSettingsRow | undefined> {
  return db
    .selectFrom('roster_consent_settings')
    .selectAll()
    .where('project_id', '=', projectId)
    .executeTakeFirst();
}

/** Inserts the project's settings unless it has some (a concurrent insert wins); returns the stored row. */
export async function ensureConsentSettings(db: Db, row: ConsentSettingsRow): Promise<ConsentSettingsRow> {
  await db
    .insertInto('roster_consent_settings')
    .values(row)
    .onConflict((oc) => oc.column('project_id').doNothing())
    .execute();
  return (await findConsentSettings(db, row.project_id))!;
}

/** The project's consent settings, created with `secret` and no page settings if it has none yet. */
export function ensureConsentSecret(
  db: Db,
  projectId: string,
  secret: string,
  now: string,
): Promise<ConsentSettingsRow> {
  return ensureConsentSettings(db, {
    project_id: projectId,
    secret,
    previous_secret: null,
    previous_secret_expires_at: null,
    display_name: null,
    logo_url: null,
    created_at: now,
    updated_at: now,
  });
}

export async function updateConsentSettings(
  db: Db,
  projectId: string,
  patch: Partial<Omit<ConsentSettingsRow, 'project_id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('roster_consent_settings').set(patch).where('project_id', '=', projectId).execute();
}

export function findContactConsent(
  db: Db,
  projectId: string,
  contactId: string,
): Promise<ContactConsentRow | undefined> {
  return db
    .selectFrom('roster_contact_consent')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('contact_id', '=', detectDialect(db).contactIdValue(contactId))
    .executeTakeFirst();
}

/** Sets a contact's double opt-in state (`requested_at`/`confirmed_at` kept unless given). */
export async function setContactConsent(
  db: Db,
  row: {
    projectId: string;
    contactId: string;
    status: ContactConsentRow['status'];
    requestedAt?: string;
    confirmedAt?: string;
    redirectUrl?: string | null;
    now: string;
  },
): Promise<void> {
  const update: Record<string, unknown> = { status: row.status, updated_at: row.now };
  if (row.requestedAt !== undefined) update.requested_at = row.requestedAt;
  if (row.confirmedAt !== undefined) update.confirmed_at = row.confirmedAt;
  if (row.redirectUrl !== undefined) update.redirect_url = row.redirectUrl;
  await db
    .insertInto('roster_contact_consent')
    .values({
      contact_id: detectDialect(db).contactIdValue(row.contactId),
      project_id: row.projectId,
      status: row.status,
      requested_at: row.requestedAt ?? null,
      confirmed_at: row.confirmedAt ?? null,
      redirect_url: row.redirectUrl ?? null,
      updated_at: row.now,
    })
    .onConflict((oc) => oc.column('contact_id').doUpdateSet(update))
    .execute();
}
