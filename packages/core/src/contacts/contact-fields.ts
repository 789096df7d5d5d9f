/**
 * The field rules of a contact, in one place: the zod schemas (`contact-schemas.ts`) and the CSV
 * import (`imports/import-job.ts`) both call `validateContactFields` and only word the problems
 * their own way.
 */

/**
 * A practical email syntax check: one `@`, a non-empty local part without spaces, a domain of
 * dot-separated labels with a TLD of 2+ letters. Input is trimmed and lowercased first.
 */
const EMAIL_RE =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const MAX_EMAIL_LENGTH = 254;

/** Longest first or last name. */
export const MAX_NAME_LENGTH = 256;

/**
 * The one email normalisation: trimmed and lowercased, as emails are stored and compared
 * (uniqueness per project is case-insensitive). Every email a caller passes goes through it.
 */
export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** A search term for emails (a substring), normalised as emails are; empty or absent is no search. */
export function normaliseEmailSearch(term: string | null | undefined): string | undefined {
  return term == null ? undefined : normaliseEmail(term) || undefined;
}

export function isValidEmail(normalised: string): boolean {
  return normalised.length <= MAX_EMAIL_LENGTH && EMAIL_RE.test(normalised);
}

export type ContactFieldProblem =
  | { field: 'email'; problem: 'missing' | 'too_long' | 'invalid' }
  | { field: 'firstName' | 'lastName'; problem: 'too_long' };

/**
 * The problems of the given fields, in the order email, firstName, lastName (empty when they are
 * valid). `email` must be normalised already; absent fields are not checked, null names are valid.
 */
export function validateContactFields(fields: {
  email?: string;
  firstName?: string | null;
  lastName?: string | null;
}): ContactFieldProblem[] {
  const problems: ContactFieldProblem[] = [];
  const { email, firstName, lastName } = fields;
  if (email !== undefined) {
    if (email.length === 0) problems.push({ field: 'email', problem: 'missing' });
    else if (email.length > MAX_EMAIL_LENGTH) problems.push({ field: 'email', problem: 'too_long' });
    else if (!EMAIL_RE.test(email)) problems.push({ field: 'email', problem: 'invalid' });
  }
  if (firstName != null && firstName.length > MAX_NAME_LENGTH) {
    problems.push({ field: 'firstName', problem: 'too_long' });
  }
  if (lastName != null && lastName.length > MAX_NAME_LENGTH) {
    problems.push({ field: 'lastName', problem: 'too_long' });
  }
  return problems;
}
