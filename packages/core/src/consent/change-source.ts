import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where a write came from, recorded with every subscription change (the consent record): `source`
 * names the path (`plunk`, `unosend`, `resend`, `roster`, `dashboard`, `import`, `bulk`,
 * `confirmation`, `unsubscribe_link`, `preferences`, or `library` when none is set) and
 * `clientAddress` the HTTP client's address, when the write came over HTTP.
 */
export interface ChangeSource {
  source: string;
  clientAddress?: string | null | undefined;
  /** The job that made the change (an import, a bulk job), recorded with it. */
  jobId?: string | undefined;
}

const storage = new AsyncLocalStorage<ChangeSource>();

/** Whether any `withChangeSource` ran in this process (until then every context reads the fallback). */
let used = false;

/** The source of writes done by a caller that set none. */
export const LIBRARY_SOURCE: ChangeSource = Object.freeze({ source: 'library' });

/**
 * Runs `fn` with `source` as the origin of every write it makes (an HTTP layer wraps each request
 * in it; jobs wrap their runs). The innermost call wins.
 */
export function withChangeSource<T>(source: ChangeSource, fn: () => T): T {
  used = true;
  return storage.run(source, fn);
}

/**
 * `fn`, to be called later from another async context (a group-commit batch runs the writes of
 * several callers in the context of the one that started it), bound to the caller's change source:
 * it reads the source set around this call, or none when none was set.
 */
export function bindChangeSource<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
  if (!used) return fn;
  const source = storage.getStore();
  return (...args) => storage.run(source as ChangeSource, fn, ...args);
}

/** The source set by the nearest `withChangeSource`, else `fallback`. */
export function currentChangeSource(fallback: ChangeSource = LIBRARY_SOURCE): ChangeSource {
  return storage.getStore() ?? fallback;
}

/** The `data` a consent-record event stores: the source, and the client address and job id when known. */
export function sourceData(source: ChangeSource): Record<string, unknown> {
  const data: Record<string, unknown> = { source: source.source };
  if (source.clientAddress) data.clientAddress = source.clientAddress;
  if (source.jobId) data.jobId = source.jobId;
  return data;
}
