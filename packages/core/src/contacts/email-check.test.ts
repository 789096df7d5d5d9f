import { describe, expect, it } from 'vitest';
import { checkEmail, suggestDomain } from './email-check.js';

describe('checkEmail', () => {
  it('accepts a well-formed address and normalises it', () => {
    expect(checkEmail('  Ada@Example.COM ')).toEqual({ email: 'ada@example.com', valid: true });
    expect(checkEmail('ada@gmail.com')).toEqual({ email: 'ada@gmail.com', valid: true });
  });

  it.each([
    ['', 'Email address is empty'],
    ['ada', 'Invalid email address syntax'],
    ['ada@', 'Invalid email address syntax'],
    ['ada@example', 'Invalid email address syntax'],
    ['a da@example.com', 'Invalid email address syntax'],
    [`${'a'.repeat(250)}@example.com`, 'Email address is longer than 254 characters'],
  ])('rejects %j: %s', (input, reason) => {
    expect(checkEmail(input)).toEqual({ email: input.trim().toLowerCase(), valid: false, reason });
  });

  it.each([
    ['ada@gmial.com', 'ada@gmail.com'],
    ['ada@gmail.con', 'ada@gmail.com'],
    ['ada@hotmial.com', 'ada@hotmail.com'],
    ['ada@yahooo.com', 'ada@yahoo.com'],
    ['ada@outlok.com', 'ada@outlook.com'],
    ['ada@example.con', 'ada@example.com'],
  ])('flags the typo %s and suggests %s', (input, suggestion) => {
    expect(checkEmail(input)).toEqual({
      email: input,
      valid: false,
      reason: `Possible typo: did you mean ${suggestion}?`,
      suggestion,
    });
  });

  it('does not flag unrelated domains that merely look short', () => {
    expect(suggestDomain('mail.com')).toBeUndefined();
    expect(suggestDomain('example.com')).toBeUndefined();
    expect(suggestDomain('acme.io')).toBeUndefined();
    expect(suggestDomain('me.com')).toBeUndefined();
  });

  it('does not read a prototype member for a top-level domain named like one', () => {
    for (const tld of ['constructor', 'tostring', 'valueof', 'hasownproperty', '__proto__', 'prototype']) {
      expect(suggestDomain(`acme.${tld}`), tld).toBeUndefined();
    }
  });
});
