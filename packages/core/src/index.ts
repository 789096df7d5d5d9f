export type { Clock } from './clock.js';
export { applyDataPatch, RESERVED_DATA_KEYS, toDataPatch } from './contacts/contact-data.js';
export type {
  ListContactsInput,
  UpdateContactInput,
  UpsertContactInput,
} from './contacts/contact-schemas.js';
export {
  contactDataSchema,
  emailSchema,
  isValidEmail,
  listContactsSchema,
  MAX_PAGE_SIZE,
  normaliseEmail,
  subscribedSchema,
  updateContactSchema,
  upsertContactSchema,
} from './contacts/contact-schemas.js';
export type { ContactService } from './contacts/contact-service.js';
export { DEFAULT_PAGE_SIZE } from './contacts/contact-service.js';
export type { Contact, ContactPage, UpsertResult } from './contacts/contact-types.js';
export type { DialectInfo, DialectName } from './db/dialect.js';
export type { Database } from './db/schema.js';
export {
  type FieldIssue,
  isRosterError,
  ROSTER_ERROR_CODES,
  RosterError,
  type RosterErrorCode,
  type RosterErrorDetails,
} from './errors.js';
export { isUuid, uuidv7 } from './ids.js';
export type { ResolvedRosterOptions, RosterOptions } from './options.js';
export type {
  ApiKeyInfo,
  CreatedApiKey,
  KeyResolution,
  KeyService,
  Project,
  ProjectService,
} from './projects/project-service.js';
export { hashApiKey } from './projects/project-service.js';
export { createRoster, type Roster } from './roster.js';
