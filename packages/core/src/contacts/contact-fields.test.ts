import { describe, expect, it } from 'vitest';
import {
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  normaliseEmail,
  normaliseEmailSearch,
  validateContactFields,
} from './contact-fields.js';
import { upsertContactSchema } from './contact-schemas.js';

describe('validateContactFields', () => {
  it('names each problem, email first, and checks only the fields given', () => {
    expect(validateContactFields({ email: 'ada@example.com', firstName: null })).toEqual([]);
    expect(validateContactFields({ email: '' })).toEqual([{ field: 'email', problem: 'missing' }]);
    expect(validateContactFields({ email: `${'a'.repeat(MAX_EMAIL_LENGTH)}@x.io` })).toEqual([
      { field: 'email', problem: 'too_long' },
    ]);
    expect(
      validateContactFields({ email: 'nope', lastName: 'x'.repeat(MAX_NAME_LENGTH + 1), firstName: 'Ada' }),
    ).toEqual([
      { field: 'email', problem: 'invalid' },
      { field: 'lastName', problem: 'too_long' },
    ]);
    expect(validateContactFields({ firstName: 'x'.repeat(MAX_NAME_LENGTH) })).toEqual([]);
  });

  it('is what the zod schemas enforce', () => {
    const long = 'x'.repeat(MAX_NAME_LENGTH + 1);
    const result = upsertContactSchema.safeParse({ email: ' Nope ', firstName: long });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['email', 'must be a valid email address'],
      ['firstName', `must be at most ${MAX_NAME_LENGTH} characters`],
    ]);
  });
});

describe('normaliseEmail', () => {
  it('trims and lowercases an email, and a search term the same way (empty or absent: no search)', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM\t')).toBe('ada.lovelace@example.com');
    expect(normaliseEmailSearch(' LOVELACE@ ')).toBe('lovelace@');
    expect(normaliseEmailSearch('   ')).toBeUndefined();
    expect(normaliseEmailSearch('')).toBeUndefined();
    expect(normaliseEmailSearch(null)).toBeUndefined();
    expect(normaliseEmailSearch(undefined)).toBeUndefined();
  });
});
