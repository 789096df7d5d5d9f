import { describe, expect, it } from 'vitest';
import type { ContactTime } from '../db/schema.js';
import { contactTime, contactTimeIso, contactTimeOf } from './contact-time.js';

describe('contact time codec', () => {
  it('reads back exactly what toISOString() gives, for every year of four digits and beyond', () => {
    const edges = [
      0, -1, 1, 999, -999, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000, 951_868_799_999,
      -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -8.64e15,
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const samples = [
      ...edges,
      ...Array.from({ length: 20_000 }, () => Math.floor((random() * 2 - 1) * 2.6e14)),
      ...Array.from({ length: 5_000 }, () => Math.floor(random() * 4e12)),
    ];
    for (const ms of samples) {
      const iso = new Date(ms).toISOString();
      expect(contactTimeIso(ms as ContactTime)).toBe(iso);
      // PostgreSQL's driver gives a bigint as its decimal string.
      expect(contactTimeIso(String(ms) as ContactTime)).toBe(iso);
      expect(contactTime(iso)).toBe(ms);
    }
  });

  it('stores a Date as its milliseconds and refuses a string that is not a time', () => {
    expect(contactTimeOf(new Date('2026-12-07T16:42:01.123Z'))).toBe(Date.UTC(2026, 11, 7, 16, 42, 1, 123));
    expect(() => contactTime('yesterday')).toThrow('not a time: "yesterday"');
  });
});
