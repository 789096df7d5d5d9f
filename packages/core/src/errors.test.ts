import { describe, expect, it } from 'vitest';
import { clipText, MAX_ERROR_ISSUES, MAX_ERROR_MESSAGE, MAX_ERROR_TEXT, RosterError } from './errors.js';

describe('error size', () => {
  it('lists at most MAX_ERROR_ISSUES issues and counts the rest in the message', () => {
    const issues = Array.from({ length: 100 }, (_, i) => ({ field: `f${i}`, message: 'is wrong' }));
    const error = RosterError.validation(issues);
    expect(error.details.issues).toHaveLength(MAX_ERROR_ISSUES);
    expect(error.details.issues?.[0]).toEqual({ field: 'f0', message: 'is wrong' });
    expect(error.message).toBe(
      `${issues
        .slice(0, MAX_ERROR_ISSUES)
        .map((i) => `${i.field}: ${i.message}`)
        .join('; ')}; and 80 more problems`,
    );
  });

  it('clips the field and message of every issue, and any message, whatever builds the error', () => {
    const long = 'x'.repeat(100_000);
    const error = RosterError.validation([{ field: `data.${long}`, message: `bad "${long}"` }]);
    const [issue] = error.details.issues ?? [];
    expect(issue?.field).toHaveLength(MAX_ERROR_TEXT);
    expect(issue?.field.endsWith('x…')).toBe(true);
    expect(issue?.message).toHaveLength(MAX_ERROR_TEXT);
    expect(error.message.length).toBeLessThanOrEqual(2 * MAX_ERROR_TEXT + 2);
    expect(RosterError.conflict('audience', `Audience "${long}" exists`).message).toHaveLength(
      MAX_ERROR_MESSAGE,
    );
    const tooLarge = RosterError.payloadTooLarge('too large', { field: long, limit: 1 });
    expect(tooLarge.details.issues?.[0]?.field).toHaveLength(MAX_ERROR_TEXT);
  });

  it('never splits a surrogate pair when clipping', () => {
    expect(clipText('ab😀cd', 4)).toBe('ab…');
    expect(clipText('abc😀', 4)).toBe('abc…');
    expect(clipText('short', 10)).toBe('short');
  });
});
