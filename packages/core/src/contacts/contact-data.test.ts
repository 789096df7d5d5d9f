import { describe, expect, it } from 'vitest';
import { applyDataPatch, initialData, toDataPatch } from './contact-data.js';

describe('contact data rules', () => {
  it('drops reserved keys and empty strings, and turns null into a removal', () => {
    const patch = toDataPatch({
      id: 'x',
      email: 'x',
      plunk_id: 1,
      plunk_email: 1,
      unsubscribeUrl: 1,
      subscribeUrl: 1,
      manageUrl: 1,
      plan: 'pro',
      empty: '',
      gone: null,
    });
    expect(patch).toEqual({ set: { plan: 'pro' }, remove: ['gone'] });
  });

  it('merges shallowly: an object value replaces the stored object whole', () => {
    const stored = { a: 1, nested: { x: 1, y: 2 } };
    expect(applyDataPatch(stored, toDataPatch({ nested: { z: 3 }, b: 2 }))).toEqual({
      a: 1,
      b: 2,
      nested: { z: 3 },
    });
  });

  it('skips transient {value, persistent: false} values and keeps every other object as sent', () => {
    const patch = toDataPatch({
      token: { value: 'abc', persistent: false },
      kept: { value: 'x', persistent: true },
      bare: { value: 1 },
      noValue: { persistent: false },
      arrayLike: [{ value: 1, persistent: false }],
    });
    expect(patch).toEqual({
      set: {
        kept: { value: 'x', persistent: true },
        bare: { value: 1 },
        noValue: { persistent: false },
        arrayLike: [{ value: 1, persistent: false }],
      },
      remove: [],
    });
  });

  it('returns null when nothing is left', () => {
    expect(applyDataPatch({ a: 1 }, toDataPatch({ a: null }))).toBeNull();
    expect(initialData(toDataPatch({ a: '', b: null }))).toBeNull();
  });
});
