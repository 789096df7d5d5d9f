import { describe, expect, it } from 'vitest';
import { formatCount } from '../src/config.js';

describe('formatCount', () => {
  it('groups whole numbers by thousands with commas, as en-US does', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [7, '7'],
      [999, '999'],
      [1000, '1,000'],
      [12_345, '12,345'],
      [999_999, '999,999'],
      [1_368_424, '1,368,424'],
      [99_999_993, '99,999,993'],
      [-1234, '-1,234'],
      [Number.MAX_SAFE_INTEGER, '9,007,199,254,740,991'],
    ];
    for (const [n, text] of cases) {
      expect(formatCount(n)).toBe(text);
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
  });

  it('rounds to the nearest whole number first (a rate in rows/s)', () => {
    expect(formatCount(1234.5)).toBe('1,235');
    expect(formatCount(999.4)).toBe('999');
    expect(formatCount(999_999.6)).toBe('1,000,000');
  });
});
