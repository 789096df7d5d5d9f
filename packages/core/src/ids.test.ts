import { describe, expect, it } from 'vitest';
import { dialectFor } from './db/dialect.js';
import { contactIdBytes, contactIdText, isContactId, isUuid, uuidv7, uuidv7After } from './ids.js';

describe('uuidv7', () => {
  it('makes canonical version-7, variant-10 UUIDs', () => {
    const id = uuidv7();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });

  it('is strictly increasing within one process, even many per millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7(1_700_000_000_000));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('encodes the creation millisecond in the first 48 bits', () => {
    const ms = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    const id = uuidv7(ms);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBeGreaterThanOrEqual(ms);
  });

  it('fills the last 62 bits with random bits (never reused, across refills of the random pool)', () => {
    const tails = Array.from({ length: 2_000 }, () => uuidv7().slice(19));
    expect(new Set(tails).size).toBe(tails.length);
    for (const tail of tails) expect(tail).toMatch(/^[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Every hex digit shows up in the random part: the bytes are written as they are.
    expect(new Set(tails.join('').replaceAll('-', '')).size).toBe(16);
  });

  it('stays increasing when the clock goes backwards', () => {
    const a = uuidv7(2_000_000_000_000);
    const b = uuidv7(1_000_000_000_000);
    expect(b > a).toBe(true);
  });

  it('writes a later millisecond as its 12 hex digits, then the version and a counter that counts up', () => {
    // Later than any id made above (so neither borrowed nor counted within an earlier millisecond);
    // every digit 1-f in the timestamp and one above 2^32, where 32-bit arithmetic would break.
    for (const ms of [0x0fedcba98765, 0xfedcba987654]) {
      const first = uuidv7(ms);
      expect(first.slice(0, 8) + first.slice(9, 13)).toBe(ms.toString(16).padStart(12, '0'));
      expect([8, 13, 18, 23].map((at) => first[at]).join('')).toBe('----');
      const next = uuidv7(ms);
      expect(next.slice(0, 13)).toBe(first.slice(0, 13));
      expect(first[14]).toBe('7');
      expect(Number.parseInt(next.slice(15, 18), 16)).toBe(Number.parseInt(first.slice(15, 18), 16) + 1);
    }
  });
});

describe('isContactId', () => {
  it('accepts a contact id as roster stores it (lowercase canonical), nothing else', () => {
    const id = uuidv7();
    expect(isContactId(id)).toBe(true);
    expect(isContactId('01900000-0000-7000-8000-000000000000')).toBe(true);
    // Forms PostgreSQL's uuid type would parse (and match) but no stored text id ever was.
    for (const other of [
      id.toUpperCase(),
      id.replaceAll('-', ''),
      `{${id}}`,
      ` ${id}`,
      `${id}\n`,
      'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
      'not-a-uuid',
      '',
      42,
      null,
      undefined,
    ]) {
      expect(isContactId(other)).toBe(false);
    }
    expect(isUuid(id.toUpperCase())).toBe(true);
  });
});

describe('uuidv7After', () => {
  it('makes an id above a stored one from a later clock, and every later uuidv7() stays above it', () => {
    const now = Date.now();
    // A stored id from "another process" one hour ahead, with its counter near the top.
    const ahead = uuidv7(now + 3_600_000).replace(/^(.{14}).{3}/, '$1ffe');
    const next = uuidv7After(ahead, now);
    expect(isContactId(next)).toBe(true);
    expect(next > ahead).toBe(true);
    const later = Array.from({ length: 5_000 }, () => uuidv7(now));
    expect(later[0]! > next).toBe(true);
    for (let i = 1; i < later.length; i++) expect(later[i]! > later[i - 1]!).toBe(true);
  });

  it('leaves the generator alone for an older id, and still answers above it', () => {
    const current = uuidv7();
    const next = uuidv7After('00000000-0000-7000-8000-000000000000');
    expect(next > current).toBe(true);
  });

  it('gets above an id of another version or form in the same millisecond', () => {
    const now = Date.now() + 7_200_000;
    const hand = uuidv7(now).replace(/^(.{14})./, '$1f');
    const next = uuidv7After(hand, now);
    expect(isContactId(next)).toBe(true);
    expect(next > hand).toBe(true);
    expect(() => uuidv7After('ffffffff-ffff-ffff-ffff-ffffffffffff')).toThrow(/no UUIDv7 is greater/);
  });
});

describe('contact ids as stored (contactIdBytes, contactIdText)', () => {
  it('turns a canonical id into its 16 bytes and back, for every byte value', () => {
    const ids = [uuidv7(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];
    for (let b = 0; b < 256; b++) {
      const hex = b.toString(16).padStart(2, '0').repeat(16);
      ids.push(
        `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
      );
    }
    for (const id of ids) {
      const bytes = contactIdBytes(id)!;
      expect(bytes).toHaveLength(16);
      expect(bytes.toString('hex')).toBe(id.replaceAll('-', ''));
      expect(contactIdText(bytes)).toBe(id);
    }
  });

  it('orders the bytes of ids as their text', () => {
    const ids = Array.from({ length: 200 }, () => uuidv7(Date.now() - Math.floor(Math.random() * 1e9)));
    const byText = [...ids].sort();
    const byBytes = [...ids].sort((x, y) => Buffer.compare(contactIdBytes(x)!, contactIdBytes(y)!));
    expect(byBytes).toEqual(byText);
  });

  it('leaves any other string as it is: uppercase, wrong length, dashes out of place, not hex', () => {
    for (const id of [
      '01A25383-5BE1-73C3-9F96-C7AF98921E99',
      '01a25383-5be1-73c3-9f96-c7af98921e9',
      '01a25383-5be1-73c3-9f96-c7af98921e999',
      '01a253835-be1-73c3-9f96-c7af98921e99',
      '01a25383-5be1-73c3-9f96-c7af98921e9g',
      '01a25383_5be1_73c3_9f96_c7af98921e99',
      '{1a25383-5be1-73c3-9f96-c7af98921e99',
      '',
      'not-an-id',
    ]) {
      expect(contactIdBytes(id)).toBeUndefined();
      expect(contactIdText(id)).toBe(id);
      expect(dialectFor('sqlite').contactIdValue(id)).toBe(id);
      expect(dialectFor('postgres').contactIdValue(id)).toBe(id);
    }
  });

  it('binds canonical ids as bytes on SQLite and as text on PostgreSQL', () => {
    const id = uuidv7();
    expect(Buffer.isBuffer(dialectFor('sqlite').contactIdValue(id))).toBe(true);
    expect(dialectFor('sqlite').contactIdValues([id, 'x']).map(contactIdText)).toEqual([id, 'x']);
    expect(dialectFor('postgres').contactIdValue(id)).toBe(id);
  });

  it('refuses a value that is no stored id', () => {
    expect(() => contactIdText(Buffer.alloc(15))).toThrow(/not a stored contact id/);
    expect(() => contactIdText(null)).toThrow(/not a stored contact id/);
  });
});
