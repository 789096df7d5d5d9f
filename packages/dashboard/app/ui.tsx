import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

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
      {props.audiences.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name}
        </option>
      ))}
    </select>
  );
}

/** The CSV rows an import rejected: line, email and problem. */
export function RowErrorsTable(props: {
  caption: ComponentChildren;
  errors: { row: number; email: string; error: string }[];
}) {
  return (
    <div class="table-wrap">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Email</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {props.errors.map((e) => (
            <tr key={e.row}>
              <td>{e.row}</td>
              <td>{e.email}</td>
              <td>{e.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
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
