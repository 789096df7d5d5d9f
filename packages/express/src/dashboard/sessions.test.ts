import { describe, expect, it } from 'vitest';
import { createSessionStore } from './sessions.js';

describe('createSessionStore', () => {
  it('bounds sessions per project: one project’s sign-ins end only its own oldest sessions', () => {
    const store = createSessionStore(60_000, 3);
    const a = store.open('sk_a', 'project-a');
    const b = Array.from({ length: 5 }, () => store.open('sk_b', 'project-b'));
    expect(store.keyOf(a)).toBe('sk_a');
    // Project B keeps its 3 newest sessions.
    expect(b.map((id) => store.keyOf(id))).toEqual([null, null, 'sk_b', 'sk_b', 'sk_b']);
    // Project A's own sign-ins past the bound end A's oldest.
    const more = Array.from({ length: 3 }, () => store.open('sk_a', 'project-a'));
    expect(store.keyOf(a)).toBeNull();
    expect(more.map((id) => store.keyOf(id))).toEqual(['sk_a', 'sk_a', 'sk_a']);
  });

  it('forgets a closed session', () => {
    const store = createSessionStore(60_000, 3);
    const id = store.open('sk_a', 'project-a');
    store.close(id);
    expect(store.keyOf(id)).toBeNull();
  });
});
