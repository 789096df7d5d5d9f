import type { HttpClient } from './migrate-http.js';
import { MigrateSourceError } from './migrate-http.js';
import type { MigrateSourceName, Source, SourceContact, SourcePage, SourceSetup } from './migrate-types.js';

/**
 * Readers of each provider's public contacts API, turning its wire format into `SourceContact`s.
 * Each follows the provider's documentation (and roster's own dialect of it, which mirrors it):
 * Plunk's cursor pages of `GET /contacts`, Unosend's offset pages of `GET /contacts` with
 * `GET /audiences`, Resend's `after` pages of `GET /contacts`, `/segments`, `/topics`,
 * `/contact-properties` and each contact's `GET /contacts/{id}/topics`.
 */

const PAGE_SIZE = 100;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function unexpected(what: string): never {
  throw new MigrateSourceError(`the provider answered ${what} in a shape roster does not know`);
}

function arrayOf(body: unknown, what: string): Json[] {
  const data = isObject(body) ? body.data : undefined;
  if (!Array.isArray(data)) unexpected(what);
  return data.filter(isObject);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function dataOf(value: unknown): Record<string, unknown> | null {
  return isObject(value) && Object.keys(value).length > 0 ? value : null;
}

// ---- Plunk ------------------------------------------------------------------------------------

/** Plunk: `GET /contacts?limit=100&cursor=` → `{data, cursor, hasMore, total}`; contacts carry `email`, `subscribed`, `data`. */
export function plunkSource(http: HttpClient): Source {
  return {
    async setup() {
      return { audiences: [], segments: [], topics: [], properties: [] };
    },
    async page(position) {
      const body = await http.getJson<Json>('/contacts', { limit: PAGE_SIZE, cursor: position ?? undefined });
      const contacts = arrayOf(body, 'GET /contacts').map(
        (c): SourceContact => ({
          email: String(c.email ?? ''),
          subscribed: c.subscribed !== false,
          data: dataOf(c.data),
        }),
      );
      const cursor = typeof body.cursor === 'string' && body.cursor !== '' ? body.cursor : null;
      return {
        contacts,
        next: body.hasMore === true && cursor !== null ? cursor : null,
        ...(typeof body.total === 'number' ? { total: body.total } : {}),
      };
    },
  };
}

// ---- Unosend ----------------------------------------------------------------------------------

/**
 * Unosend: `GET /audiences` → `{data: [{id, name, description}]}`; `GET /contacts?limit=100&offset=`
 * → `{data: [{email, first_name, last_name, audience_id, subscribed, metadata}]}`, a short page
 * being the last. With `concurrency` > 1 the next pages are fetched at once.
 */
export function unosendSource(http: HttpClient, concurrency: number): Source {
  const audienceNames = new Map<string, string>();
  return {
    async setup() {
      const body = await http.getJson('/audiences');
      const audiences = arrayOf(body, 'GET /audiences').map((a) => {
        audienceNames.set(String(a.id), String(a.name ?? ''));
        return { name: String(a.name ?? ''), description: stringOrNull(a.description) };
      });
      return { audiences, segments: [], topics: [], properties: [] };
    },
    async page(position) {
      const start = position === null ? 0 : Number(position);
      const offsets = Array.from({ length: Math.max(1, concurrency) }, (_, i) => start + i * PAGE_SIZE);
      const pages = await Promise.all(
        offsets.map((offset) => http.getJson('/contacts', { limit: PAGE_SIZE, offset })),
      );
      const contacts: SourceContact[] = [];
      let next: string | null = String(start + offsets.length * PAGE_SIZE);
      for (const body of pages) {
        const rows = arrayOf(body, 'GET /contacts');
        for (const c of rows) {
          const audienceId = stringOrNull(c.audience_id);
          contacts.push({
            email: String(c.email ?? ''),
            subscribed: c.subscribed !== false,
            data: dataOf(c.metadata),
            firstName: stringOrNull(c.first_name),
            lastName: stringOrNull(c.last_name),
            audience: audienceId === null ? null : (audienceNames.get(audienceId) ?? null),
          });
        }
        if (rows.length < PAGE_SIZE) {
          next = null;
          break;
        }
      }
      return { contacts, next };
    },
  };
}

// ---- Resend -----------------------------------------------------------------------------------

/** Every item of a Resend list (`{object: 'list', has_more, data}`), following `after` ids. */
async function resendAll(
  http: HttpClient,
  path: string,
  query: Record<string, string> = {},
): Promise<Json[]> {
  const items: Json[] = [];
  let after: string | undefined;
  for (;;) {
    const body = await http.getJson<Json>(path, { ...query, limit: PAGE_SIZE, after });
    const data = arrayOf(body, `GET ${path}`);
    items.push(...data);
    const last = data.at(-1);
    if (body.has_more !== true || !last || typeof last.id !== 'string') return items;
    after = last.id;
  }
}

function subscriptionOf(value: unknown): 'opt_in' | 'opt_out' {
  return value === 'opt_out' ? 'opt_out' : 'opt_in';
}

/**
 * Resend: properties (`GET /contact-properties`: key, type, fallback_value), topics (`GET /topics`),
 * segments (`GET /segments`, each one's members by `GET /contacts?segment_id=`), then `after` pages
 * of `GET /contacts` and each contact's `GET /contacts/{id}/topics` (`concurrency` at once). A listed
 * contact without `properties` is read again by `GET /contacts/{id}`.
 */
export function resendSource(http: HttpClient, concurrency: number): Source {
  /** email → names of the segments it is in. */
  const membership = new Map<string, string[]>();
  let topicCount = 0;

  async function topicsOf(id: string) {
    return (await resendAll(http, `/contacts/${encodeURIComponent(id)}/topics`)).map((t) => ({
      name: String(t.name ?? ''),
      subscription: subscriptionOf(t.subscription),
    }));
  }

  async function inBatches<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await run(items[i] as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
    return results;
  }

  return {
    async setup(): Promise<SourceSetup> {
      const properties = (await resendAll(http, '/contact-properties')).map((p) => ({
        key: String(p.key ?? ''),
        type: p.type === 'number' ? ('number' as const) : ('string' as const),
        fallbackValue:
          typeof p.fallback_value === 'string' || typeof p.fallback_value === 'number'
            ? p.fallback_value
            : null,
      }));
      const topics = (await resendAll(http, '/topics')).map((t) => ({
        name: String(t.name ?? ''),
        description: stringOrNull(t.description),
        defaultSubscription: subscriptionOf(t.default_subscription),
        ...(t.visibility === 'public' || t.visibility === 'private'
          ? { visibility: t.visibility as 'public' | 'private' }
          : {}),
      }));
      topicCount = topics.length;
      const segmentRows = await resendAll(http, '/segments');
      const segments = segmentRows.map((s) => ({ name: String(s.name ?? '') }));
      await inBatches(segmentRows, async (segment) => {
        const members = await resendAll(http, '/contacts', { segment_id: String(segment.id) });
        for (const member of members) {
          const email = String(member.email ?? '')
            .trim()
            .toLowerCase();
          const names = membership.get(email) ?? [];
          names.push(String(segment.name ?? ''));
          membership.set(email, names);
        }
      });
      return { audiences: [], segments, topics, properties };
    },
    async page(position): Promise<SourcePage> {
      const body = await http.getJson<Json>('/contacts', { limit: PAGE_SIZE, after: position ?? undefined });
      const rows = arrayOf(body, 'GET /contacts');
      const contacts = await inBatches(rows, async (row): Promise<SourceContact> => {
        const full =
          'properties' in row
            ? row
            : await http.getJson<Json>(`/contacts/${encodeURIComponent(String(row.id))}`);
        const email = String(full.email ?? '');
        return {
          email,
          subscribed: full.unsubscribed !== true,
          data: dataOf(full.properties),
          firstName: stringOrNull(full.first_name),
          lastName: stringOrNull(full.last_name),
          segments: membership.get(email.trim().toLowerCase()) ?? [],
          topics: topicCount > 0 ? await topicsOf(String(row.id)) : [],
        };
      });
      const last = rows.at(-1);
      return {
        contacts,
        next: body.has_more === true && last && typeof last.id === 'string' ? last.id : null,
      };
    },
  };
}

export function sourceFor(name: MigrateSourceName, http: HttpClient, concurrency: number): Source {
  switch (name) {
    case 'plunk':
      return plunkSource(http);
    case 'unosend':
      return unosendSource(http, concurrency);
    case 'resend':
      return resendSource(http, concurrency);
  }
}
