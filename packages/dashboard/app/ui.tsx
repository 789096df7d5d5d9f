import { type ComponentChildren, type JSX, toChildArray } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type CursorPage } from './api.js';

/** The current hash route, e.g. `#/contacts/123` → `['contacts', '123']`. */
export function useRoute(): string[] {
  const read = () =>
    location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(path: string): void {
  location.hash = `#/${path}`;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** An error in words, announced to screen readers. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="alert error" role="alert">
      {message}
    </p>
  );
}

/** A polite status line (e.g. "3 contacts unsubscribed"). */
export function Status({ message }: { message: string | null }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {message ?? ''}
    </p>
  );
}

/** The outcome of a page's last action: its error (if any), then its status line. */
export function Feedback({ error, status }: { error: unknown; status: string | null }) {
  return (
    <>
      <ErrorMessage error={error} />
      <Status message={status} />
    </>
  );
}

/** A modal confirmation (native <dialog>: focus is trapped and Escape cancels). */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void | Promise<void>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onClose={props.onClose}>
      <h2 id="dialog-title">{props.title}</h2>
      <div>{props.children}</div>
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" onClick={() => ref.current?.close()}>
          Cancel
        </button>
        <button type="button" class={props.danger ? 'danger' : 'primary'} disabled={busy} onClick={confirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function EmptyState({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      <div>{children}</div>
    </div>
  );
}

/** A just-created secret (API key, signing secret) shown this once, with Done (and Copy when given). */
export function SecretShownOnce(props: {
  id: string;
  class?: string;
  title: string;
  secret: string;
  testId: string;
  children: ComponentChildren;
  onCopy?: () => void;
  onDone: () => void;
}) {
  return (
    <section class={props.class ?? 'card'} aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
      <output class="secret" data-testid={props.testId}>
        {props.secret}
      </output>
      <div class="actions">
        {props.onCopy ? (
          <button type="button" onClick={props.onCopy}>
            Copy
          </button>
        ) : null}
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </div>
    </section>
  );
}

/** An audience picker whose first choice is "No audience" (the value ''). */
export function AudienceSelect(props: {
  id: string;
  audiences: { id: string; name: string }[];
  value: string;
  onChange: (audienceId: string) => void;
}) {
  return (
    <select
      id={props.id}
      value={props.value}
      onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
    >
      <option value="">No audience</option>
      <Options choices={named(props.audiences)} />
    </select>
  );
}

/** A row's Delete (or Revoke) button: red, and named after the row for screen readers ("Delete Customers"). */
export function RowDangerButton(props: { label: string; row: string; onClick: () => void }) {
  return (
    <button type="button" class="danger" aria-label={`${props.label} ${props.row}`} onClick={props.onClick}>
      {props.label}
    </button>
  );
}

/** A column heading of a DataTable: its text, or its content and class (`wide` ones hide on narrow screens). */
export type Column = string | { label: ComponentChildren; class?: string };

/** The heading of a last column of row buttons: it is there for screen readers only. */
export const ACTIONS_COLUMN: Column = { label: <span class="visually-hidden">Actions</span> };

/** A scrollable table: caption (for screen readers only unless `showCaption`), column headings, then the rows. */
export function DataTable(props: {
  caption: ComponentChildren;
  showCaption?: boolean;
  columns: Column[];
  busy?: boolean;
  /**
   * The scrolling box takes keyboard focus (a named region), so a narrow screen's keyboard user can
   * scroll it: for tables without links or buttons in their rows.
   */
  focusable?: string;
  children: ComponentChildren;
}) {
  return (
    <div
      class="table-wrap"
      {...(props.focusable ? { tabIndex: 0, role: 'region', 'aria-label': props.focusable } : {})}
    >
      <table aria-busy={props.busy}>
        <caption class={props.showCaption ? undefined : 'visually-hidden'}>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column, i) =>
              typeof column === 'string' ? (
                <th scope="col" key={i}>
                  {column}
                </th>
              ) : (
                <th scope="col" key={i} class={column.class}>
                  {column.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** The CSV rows an import rejected: line, email and problem. */
export function RowErrorsTable(props: {
  caption: ComponentChildren;
  errors: { row: number; email: string; error: string }[];
}) {
  return (
    <DataTable caption={props.caption} showCaption columns={['Line', 'Email', 'Problem']}>
      {props.errors.map((e) => (
        <tr key={e.row}>
          <td>{e.row}</td>
          <td>{e.email}</td>
          <td>{e.error}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** A small label: `yes` (green) and `no` (red) tones, a job's `state-…` tone, or none (grey). */
export function Badge({ tone, children }: { tone?: string; children: ComponentChildren }) {
  return <span class={tone ? `badge ${tone}` : 'badge'}>{children}</span>;
}

/** A row of figures, each a term over its value (`small` values for dates and the like). */
export function Counts(props: { items: [term: string, value: ComponentChildren][]; small?: boolean }) {
  return (
    <dl class="counts">
      {props.items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd class={props.small ? 'small' : undefined}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A page's title with, on the same line, a live count (e.g. "61 in total") and the page's buttons. */
export function PageHead(props: { title: string; count?: string; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1>{props.title}</h1>
      {props.count === undefined ? null : (
        <p class="count" aria-live="polite">
          {props.count}
        </p>
      )}
      {props.children ? <div class="head-actions">{props.children}</div> : null}
    </div>
  );
}

/** A label and its text input, whose value lives in the caller's state (`onValue` gets each change). */
export function TextField({
  id,
  label,
  onValue,
  ...input
}: {
  id: string;
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
} & Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onInput'>) {
  return (
    <>
      <label for={id}>{label}</label>
      <input id={id} {...input} onInput={(e) => onValue((e.target as HTMLInputElement).value)} />
    </>
  );
}

/** One `<option>` per choice, its label the text. */
export function Options({ choices }: { choices: { value: string; label: string }[] }) {
  return (
    <>
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.label}
        </option>
      ))}
    </>
  );
}

/** The choices of named things (audiences, segments): the id is the value, the name the label. */
export function named(items: { id: string; name: string }[]): { value: string; label: string }[] {
  return items.map((item) => ({ value: item.id, label: item.name }));
}

/** The links under a finished job (an import, a move): to the contacts, and to start another (`again`). */
export function JobDoneActions({ again, onAgain }: { again: string; onAgain: () => void }) {
  return (
    <div class="actions">
      <a class="button" href="#/contacts">
        See contacts
      </a>
      <button type="button" onClick={onAgain}>
        {again}
      </button>
    </div>
  );
}

/** Whether a job has ended (completed or failed): its state no longer changes. */
export function jobEnded(job: { state: string }): boolean {
  return job.state === 'completed' || job.state === 'failed';
}

/**
 * Polls a job until it has ended: `everyMs` after each change of `job`, `next(job)` is asked for its
 * state and its answer set with `setJob` (which schedules the next poll); a failure goes to `onError`
 * and stops the polling.
 */
export function useJobPolling<J extends { state: string }>(
  job: J | null,
  next: (job: J) => Promise<J>,
  setJob: (job: J) => void,
  onError: (error: unknown) => void,
  everyMs: number,
): void {
  useEffect(() => {
    if (!job || jobEnded(job)) return;
    const timer = setTimeout(() => {
      next(job).then(setJob, onError);
    }, everyMs);
    return () => clearTimeout(timer);
  }, [job]);
}

/** The `data` list a GET of `path` answers (null until it arrives) and `reload`; failures go to `onError`. */
export function useApiList<T>(path: string, onError: (error: unknown) => void): [T[] | null, () => void] {
  const [items, setItems] = useState<T[] | null>(null);
  function reload() {
    api<{ data: T[] }>('GET', path).then((r) => setItems(r.data), onError);
  }
  useEffect(reload, []);
  return [items, reload];
}

/**
 * A keyset-paged list: the first page a GET of `path` answers with `query()` (asked again whenever
 * `deps` change; it clears `error`), and `older()`, which appends the page after the last one
 * (`query(cursor)`) and gives the number of items then shown (null when it failed). `items` is
 * null until the first page arrives; failures go to `error`.
 */
export function useCursorPage<T>(
  path: string,
  query: (cursor?: string) => Record<string, string | number | undefined>,
  deps: unknown[],
) {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    api<CursorPage<T>>('GET', path, { query: query() })
      .then((page) => {
        if (!live) return;
        setItems(page.data);
        setCursor(page.cursor);
        setHasMore(page.hasMore);
        setError(null);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, deps);

  async function older(): Promise<number | null> {
    if (!cursor || !items) return null;
    try {
      const page = await api<CursorPage<T>>('GET', path, { query: query(cursor) });
      setItems([...items, ...page.data]);
      setCursor(page.cursor);
      setHasMore(page.hasMore);
      return items.length + page.data.length;
    } catch (e) {
      setError(e);
      return null;
    }
  }

  return { items, hasMore, error, setError, older };
}

/** The button under a keyset-paged list that shows the next, older page (none on the last page). */
export function ShowOlder(props: { hasMore: boolean; onClick: () => void; children: ComponentChildren }) {
  if (!props.hasMore) return null;
  return (
    <div class="actions">
      <button type="button" onClick={props.onClick}>
        {props.children}
      </button>
    </div>
  );
}

/** A status line to show, or none (`null`), after an action. */
type Outcome = string | null;

/**
 * A page built around one list (`useApiList` of `path`) and the outcome of its last action (`error`
 * and `status`, for `Feedback`). `act` clears that outcome, runs an action, then shows the status
 * line the action returns and reloads the list; a failure (thrown) becomes the error instead.
 */
export function useListPage<T>(path: string) {
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [items, reload] = useApiList<T>(path, setError);
  async function act(action: () => Promise<Outcome>): Promise<void> {
    setError(null);
    setStatus(null);
    try {
      setStatus(await action());
      reload();
    } catch (e) {
      setError(e);
    }
  }
  return {
    items,
    error,
    status,
    setError,
    setStatus,
    reload,
    act,
    /** `act` as a form's submit handler (the browser's own submit is prevented). */
    onSubmit: (action: () => Promise<Outcome>) => (event: Event) => {
      event.preventDefault();
      void act(action);
    },
    /** Shows `message` and reloads the list (after an action done elsewhere, e.g. in a dialog). */
    done(message: string) {
      setStatus(message);
      reload();
    },
  };
}

/**
 * A page's list as a table: nothing while it loads, an empty state (`emptyTitle` over `emptyHint`)
 * when it has no item, else a row (`row`, a `<tr>`) per item.
 */
export function ListTable<T>(props: {
  items: T[] | null;
  emptyTitle: string;
  emptyHint: ComponentChildren;
  caption: ComponentChildren;
  columns: Column[];
  row: (item: T) => ComponentChildren;
}) {
  if (!props.items) return null;
  if (props.items.length === 0) {
    return (
      <EmptyState title={props.emptyTitle}>
        <p>{props.emptyHint}</p>
      </EmptyState>
    );
  }
  return (
    <DataTable caption={props.caption} columns={props.columns}>
      {props.items.map(props.row)}
    </DataTable>
  );
}

/** A form's fields side by side (stacked on a narrow screen): each child in a cell of its own. */
export function FieldGrid({ children }: { children: ComponentChildren }) {
  return (
    <div class="grid">
      {toChildArray(children).map((field, i) => (
        <div key={i}>{field}</div>
      ))}
    </div>
  );
}

/** A card's form that creates something: its heading (`id` names it), its fields, then its submit button. */
export function CreateForm(props: {
  id: string;
  title: string;
  submit: string;
  class?: string;
  onSubmit: (event: Event) => void;
  children: ComponentChildren;
}) {
  return (
    <form class={props.class ?? 'card form'} onSubmit={props.onSubmit} aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
      <div class="actions">
        <button type="submit" class="primary">
          {props.submit}
        </button>
      </div>
    </form>
  );
}

/** A row's fields edited in place, then Save (submits) and Cancel. */
export function InlineEditForm(props: {
  onSubmit: (event: Event) => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  return (
    <form class="inline-form" onSubmit={props.onSubmit}>
      {props.children}
      <button type="submit">Save</button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** What removing one row means: the dialog's title and text, the `DELETE` path, what follows it. */
export interface Removal {
  title: string;
  /** The confirm button's label. @default 'Delete' */
  label?: string;
  path: string;
  /** After the deletion (e.g. a status line and a reload); a failure stays in the dialog instead. */
  onDone: () => void;
  children: ComponentChildren;
}

/**
 * A row's removal behind a confirmation: `ask(item)` opens the dialog `describe(item)` gives (render
 * `dialog`, null while none is open); its danger button sends `DELETE path`, then runs `onDone`.
 */
export function useConfirmedRemoval<T>(describe: (item: T) => Removal): {
  ask: (item: T) => void;
  dialog: ComponentChildren;
} {
  const [asked, setAsked] = useState<T | null>(null);
  const removal = asked === null ? null : describe(asked);
  return {
    ask: (item) => setAsked(() => item),
    dialog: removal ? (
      <ConfirmDialog
        title={removal.title}
        confirmLabel={removal.label ?? 'Delete'}
        danger
        onConfirm={async () => {
          await api('DELETE', removal.path);
          removal.onDone();
        }}
        onClose={() => setAsked(null)}
      >
        {removal.children}
      </ConfirmDialog>
    ) : null,
  };
}

/**
 * A labelled `<select>` whose value lives in the caller's state (`onValue` gets each choice): one
 * option per value of `labels` (in its order), shown as its label.
 */
export function SelectField<T extends string>(props: {
  id: string;
  label: ComponentChildren;
  value: T;
  labels: Record<T, string>;
  onValue: (value: T) => void;
}) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onValue((e.target as HTMLSelectElement).value as T)}
      >
        <Options choices={Object.entries<string>(props.labels).map(([value, label]) => ({ value, label }))} />
      </select>
    </>
  );
}
