/**
 * A page of the list as the state needs it (`api.ts`'s `PlunkPage` is one). Kept structural, so
 * this module imports nothing and its tests run without a browser.
 */
export interface ListPage {
  data: { id: string }[];
  cursor: string | null;
  total?: number;
}

/**
 * The contacts page's table in one object: what is asked (search, filters, order, page size, the
 * cursors walked), what was answered (the page shown, the total) and what is selected in it. Every
 * change goes through `contactsReducer`, so "which change shows the first page again" and "which
 * answer clears the selection" are written once.
 */
export interface ContactsState<P extends ListPage = ListPage> {
  /** The search box as typed. */
  search: string;
  /** The search the list asks for: the box's text, trimmed, after a pause in typing. */
  query: string;
  filters: ContactFilters;
  /** `<field>:<direction>` of the list's order. */
  order: string;
  /** Rows per page. */
  limit: number;
  /** The cursor of each page visited so far; the last one is the page asked for. */
  cursors: (string | undefined)[];
  /** Bumped to ask for the same page again (after a bulk operation). */
  reload: number;
  /** The page shown (while the next one loads, the old one stays). */
  page: P | null;
  /** The number of the page shown. */
  shownPage: number;
  /** The count of matching contacts, from the last first page (only first pages count them). */
  total: number | null;
  loading: boolean;
  error: unknown;
  /** The ids ticked on the page shown. */
  selected: Set<string>;
}

/** The toolbar's filters; an empty string is "all". */
export interface ContactFilters {
  subscribed: '' | 'true' | 'false';
  audience: string;
  segment: string;
}

export type ContactsAction<P extends ListPage = ListPage> =
  | { type: 'typed'; search: string }
  | { type: 'searched' }
  | { type: 'filtered'; filter: keyof ContactFilters; value: string }
  | { type: 'ordered'; order: string }
  | { type: 'resized'; limit: number }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'loading' }
  | { type: 'loaded'; page: P; pageNumber: number }
  | { type: 'failed'; error: unknown }
  | { type: 'toggled'; id: string }
  | { type: 'toggledAll' }
  | { type: 'changed'; firstPage: boolean };

export const initialContactsState: ContactsState<never> = {
  search: '',
  query: '',
  filters: { subscribed: '', audience: '', segment: '' },
  order: 'createdAt:desc',
  limit: 25,
  cursors: [undefined],
  reload: 0,
  page: null,
  shownPage: 1,
  total: null,
  loading: true,
  error: null,
  selected: new Set(),
};

const FIRST_PAGE: (string | undefined)[] = [undefined];

export function contactsReducer<P extends ListPage>(
  state: ContactsState<P>,
  action: ContactsAction<P>,
): ContactsState<P> {
  switch (action.type) {
    case 'typed':
      return { ...state, search: action.search };
    // What changes the list asks for shows its first page again.
    case 'searched':
      return { ...state, query: state.search.trim(), cursors: FIRST_PAGE };
    case 'filtered':
      return { ...state, filters: { ...state.filters, [action.filter]: action.value }, cursors: FIRST_PAGE };
    case 'ordered':
      return { ...state, order: action.order, cursors: FIRST_PAGE };
    case 'resized':
      return { ...state, limit: action.limit, cursors: FIRST_PAGE };
    case 'next':
      return state.page?.cursor ? { ...state, cursors: [...state.cursors, state.page.cursor] } : state;
    case 'previous':
      return { ...state, cursors: state.cursors.slice(0, -1) };
    case 'loading':
      return { ...state, loading: true, error: null };
    case 'loaded':
      return {
        ...state,
        page: action.page,
        shownPage: action.pageNumber,
        total: action.page.total ?? state.total,
        selected: new Set(),
        loading: false,
      };
    case 'failed':
      return { ...state, error: action.error, loading: false };
    case 'toggled': {
      const selected = new Set(state.selected);
      if (selected.has(action.id)) selected.delete(action.id);
      else selected.add(action.id);
      return { ...state, selected };
    }
    case 'toggledAll':
      return {
        ...state,
        selected: allSelected(state) ? new Set() : new Set(rowsOf(state).map((row) => row.id)),
      };
    // A bulk operation changed contacts: ask again (from the first page after a delete).
    case 'changed':
      return {
        ...state,
        reload: state.reload + 1,
        ...(action.firstPage ? { cursors: FIRST_PAGE } : {}),
      };
  }
}

/** The rows of the page shown. */
export function rowsOf<P extends ListPage>(state: ContactsState<P>): P['data'] {
  return state.page?.data ?? [];
}

/** Whether every row of the page shown is ticked (and there is one). */
export function allSelected(state: ContactsState): boolean {
  const rows = rowsOf(state);
  return rows.length > 0 && rows.every((row) => state.selected.has(row.id));
}

/** Whether any filter narrows the list (the search included). */
export function isFiltered(state: ContactsState): boolean {
  const { subscribed, audience, segment } = state.filters;
  return Boolean(state.query || subscribed || audience || segment);
}

/** The filters as the list and the export take them (query parameters). */
export function filterParams(state: ContactsState) {
  return {
    search: state.query || undefined,
    subscribed: state.filters.subscribed || undefined,
    audience_id: state.filters.audience || undefined,
    segment_id: state.filters.segment || undefined,
  };
}
