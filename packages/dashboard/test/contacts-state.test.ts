import { describe, expect, it } from 'vitest';
import {
  allSelected,
  type ContactsAction,
  type ContactsState,
  contactsReducer,
  filterParams,
  initialContactsState,
  isFiltered,
  type ListPage,
} from '../app/pages/contacts-state.js';

const contact = (id: string) => ({
  id,
  email: `${id}@example.com`,
  subscribed: true,
  data: null,
  projectId: 'p',
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
});
const page = (ids: string[], cursor: string | null, total?: number): ListPage & { hasMore: boolean } => ({
  data: ids.map(contact),
  cursor,
  hasMore: cursor !== null,
  ...(total === undefined ? {} : { total }),
});
const run = (...actions: ContactsAction[]): ContactsState =>
  actions.reduce<ContactsState>(contactsReducer, initialContactsState);

/** A table on its second page, with one row of it ticked. */
const onSecondPage = run(
  { type: 'loaded', page: page(['a', 'b'], 'c1', 40), pageNumber: 1 },
  { type: 'next' },
  { type: 'loaded', page: page(['c', 'd'], 'c2'), pageNumber: 2 },
  { type: 'toggled', id: 'c' },
);

describe('contacts page state', () => {
  it('walks pages by cursor and keeps the total the first page counted', () => {
    expect(onSecondPage.cursors).toEqual([undefined, 'c1']);
    expect(onSecondPage.shownPage).toBe(2);
    expect(onSecondPage.total).toBe(40);
    expect(contactsReducer(onSecondPage, { type: 'previous' }).cursors).toEqual([undefined]);
    const last = contactsReducer(onSecondPage, { type: 'loaded', page: page(['e'], null), pageNumber: 3 });
    expect(contactsReducer(last, { type: 'next' })).toBe(last);
  });

  it('shows the first page again after a search, a filter, an order, a page size or a delete, not after typing', () => {
    for (const action of [
      { type: 'searched' },
      { type: 'filtered', filter: 'audience', value: 'aud' },
      { type: 'ordered', order: 'email:asc' },
      { type: 'resized', limit: 50 },
      { type: 'changed', firstPage: true },
    ] as ContactsAction[]) {
      expect(contactsReducer(onSecondPage, action).cursors, action.type).toEqual([undefined]);
    }
    expect(contactsReducer(onSecondPage, { type: 'typed', search: 'x' }).cursors).toEqual([undefined, 'c1']);
    const again = contactsReducer(onSecondPage, { type: 'changed', firstPage: false });
    expect([again.cursors, again.reload]).toEqual([[undefined, 'c1'], 1]);
  });

  it('searches the trimmed text typed, and says which filters narrow the list', () => {
    const state = run(
      { type: 'typed', search: '  Ada ' },
      { type: 'searched' },
      { type: 'filtered', filter: 'subscribed', value: 'false' },
    );
    expect(filterParams(state)).toEqual({
      search: 'Ada',
      subscribed: 'false',
      audience_id: undefined,
      segment_id: undefined,
    });
    expect(isFiltered(state)).toBe(true);
    expect(isFiltered(run({ type: 'typed', search: 'Ada' }))).toBe(false);
  });

  it('ticks rows and all rows of the page, and an answer clears the ticks', () => {
    expect([...onSecondPage.selected]).toEqual(['c']);
    expect(allSelected(onSecondPage)).toBe(false);
    const all = contactsReducer(onSecondPage, { type: 'toggledAll' });
    expect([...all.selected]).toEqual(['c', 'd']);
    expect(contactsReducer(all, { type: 'toggledAll' }).selected.size).toBe(0);
    expect(contactsReducer(all, { type: 'toggled', id: 'd' }).selected).toEqual(new Set(['c']));
    const reloaded = contactsReducer(all, { type: 'loaded', page: page(['c', 'd'], 'c2'), pageNumber: 2 });
    expect(reloaded.selected.size).toBe(0);
  });

  it('keeps the rows shown while loading, and shows an error until the next load', () => {
    const loading = contactsReducer(onSecondPage, { type: 'loading' });
    expect([loading.loading, loading.page]).toEqual([true, onSecondPage.page]);
    const failed = contactsReducer(loading, { type: 'failed', error: 'boom' });
    expect([failed.loading, failed.error]).toEqual([false, 'boom']);
    expect(contactsReducer(failed, { type: 'loading' }).error).toBeNull();
  });
});
