/** Everything the dashboard asks the server goes through here: same-origin, cookie session, CSRF header. */

import type { ImportView, JobView } from '@roster/core/wire';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when any request answers 401 (signed out, session expired or key revoked). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** The URL of an API path (relative to where the dashboard is mounted). */
export function apiUrl(path: string, query: Record<string, string | number | undefined> = {}): string {
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
  }
  return url.pathname + url.search;
}

/** The message of Plunk's (`{error:{message}}`), Unosend's (`{error:{message}}`) or any JSON error body. */
function messageOf(body: unknown, status: number): string {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const { message, errors } = error as { message?: unknown; errors?: { field: string; message: string }[] };
    if (Array.isArray(errors) && errors.length > 0)
      return errors.map((e) => `${e.field} ${e.message}`).join('; ');
    if (typeof message === 'string') return message;
  }
  if (typeof error === 'string') return error;
  const message = (body as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return `The server answered ${status} without an explanation`;
}

export async function api<T>(
  method: string,
  path: string,
  options: { query?: Record<string, string | number | undefined>; json?: unknown; form?: FormData } = {},
): Promise<T> {
  const headers: Record<string, string> = { 'X-Roster-Dashboard': '1', Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError('The server cannot be reached: check that roster is running and try again', 0);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    if (response.status === 401 && path !== 'session')
      for (const listener of unauthorizedListeners) listener();
    throw new ApiError(messageOf(parsed, response.status), response.status);
  }
  return parsed as T;
}

// ---- wire types (the public APIs' formats) ------------------------------------------------------

/** Plunk's contact. */
export interface PlunkContact {
  id: string;
  email: string;
  subscribed: boolean;
  data: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface PlunkPage {
  data: PlunkContact[];
  cursor: string | null;
  hasMore: boolean;
  total?: number;
}

/** Unosend's contact. */
export interface UnosendContact {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  audience_id: string | null;
  subscribed: boolean;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface Audience {
  id: string;
  name: string;
  description: string | null;
  contacts_count: number;
  created_at: string;
}

export interface ApiKey {
  id: string;
  prefix: string;
  lastFour: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface Session {
  signedIn: true;
  project: { id: string; name: string };
  auth: 'key' | 'host';
}

/** What `GET session` answers: the session, or (200 too) that there is none, and why when one was lost. */
export type SessionProbe = Session | { signedIn: false; message?: string };

/**
 * Jobs and imports of `/roster`: the types the management router builds them with, imported for types
 * only (erased from the bundle) from `@roster/core/wire`, an import-free module.
 */
export type { ImportView, JobView };

/** One page of a keyset-paged list of `/roster` (jobs, the audit log, suppressions). */
export interface CursorPage<T> {
  data: T[];
  cursor: string | null;
  hasMore: boolean;
}

/** One test of Plunk's filter tree. */
export interface SegmentFilter {
  field: string;
  operator: string;
  value?: unknown;
  unit?: 'days' | 'hours' | 'minutes';
}

/** Plunk's segment. */
export interface Segment {
  id: string;
  name: string;
  description: string | null;
  type: 'DYNAMIC' | 'STATIC';
  condition: { logic: 'AND' | 'OR'; groups: { filters: SegmentFilter[] }[] } | null;
  memberCount: number;
}

/**
 * Webhook endpoints, deliveries and attempts: `/roster/webhooks` answers with core's own types, declared
 * in `@roster/core/wire` (import-free) and imported for types only (erased from the bundle).
 */
/**
 * Topics, a contact's topics and declared contact properties: `/roster/topics`, `/roster/contacts/:id/topics`
 * and `/roster/properties` answer with core's types, declared in `@roster/core/wire` (import-free).
 */
export type {
  ContactEventView,
  ContactPropertyView,
  ContactTopicView,
  TopicView,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookTestResult,
} from '@roster/core/wire';
