import { type Contact, type Roster, RosterError } from '@roster/core';
import { MAX_BULK_CREATE } from '@roster/core/schemas';

/** Fields a seeded contact may take instead of the generated ones. */
export interface SeedContactFields {
  /** @default `<first>.<last>.<n>@example.com`, e.g. `ada.lovelace.0@example.com` */
  email?: string;
  /** @default true */
  subscribed?: boolean;
  /** @default `{ plan, company, signupSource, seats }`, varying with the contact's number */
  data?: Record<string, unknown> | null;
  /** @default a first name from a fixed list */
  firstName?: string | null;
  /** @default a last name from a fixed list */
  lastName?: string | null;
  /** Puts every seeded contact in this audience of the project. @default none */
  audienceId?: string | null;
}

/**
 * What `seedContacts` may change: the same fields for every contact, or a function of the contact's
 * number (0-based, counted across calls on the same fixture) returning them.
 */
export type SeedOverrides = SeedContactFields | ((index: number) => SeedContactFields);

const FIRST_NAMES = [
  'ada',
  'grace',
  'alan',
  'katherine',
  'edsger',
  'barbara',
  'donald',
  'frances',
  'linus',
  'margaret',
  'ken',
  'radia',
  'dennis',
  'hedy',
  'tim',
  'annie',
];
const LAST_NAMES = [
  'lovelace',
  'hopper',
  'turing',
  'johnson',
  'dijkstra',
  'liskov',
  'knuth',
  'allen',
  'torvalds',
  'hamilton',
  'thompson',
  'perlman',
  'ritchie',
  'lamarr',
  'berners-lee',
  'easley',
];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const SOURCES = ['website', 'referral', 'import', 'api', 'event'];

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** The generated contact number `index`: the same every run. */
export function seedContactFields(index: number): Required<Omit<SeedContactFields, 'audienceId'>> {
  const first = FIRST_NAMES[index % FIRST_NAMES.length]!;
  const last = LAST_NAMES[Math.floor(index / FIRST_NAMES.length) % LAST_NAMES.length]!;
  return {
    email: `${first}.${last}.${index}@example.com`,
    subscribed: true,
    data: {
      plan: PLANS[index % PLANS.length]!,
      company: `${capitalise(last)} Labs`,
      signupSource: SOURCES[index % SOURCES.length]!,
      seats: 1 + (index % 25),
    },
    firstName: capitalise(first),
    lastName: capitalise(last),
  };
}

/**
 * Creates `count` contacts in the project in batches of 1000 (one multi-row insert per batch, through
 * `roster.contacts.createMany`), numbered from `firstIndex`, and returns them in that order.
 * Emails are deterministic (`ada.lovelace.0@example.com`, ...). If any email already exists in the
 * project, throws `conflict` (contacts of earlier batches stay created).
 */
export async function seedContacts(
  roster: Roster,
  projectId: string,
  count: number,
  overrides: SeedOverrides = {},
  firstIndex = 0,
): Promise<Contact[]> {
  if (!Number.isInteger(count) || count < 0) {
    throw new TypeError(`seedContacts: count must be a non-negative integer, got ${count}`);
  }
  const ids: string[] = new Array(count);
  for (let start = 0; start < count; start += MAX_BULK_CREATE) {
    const size = Math.min(MAX_BULK_CREATE, count - start);
    // createMany takes one audience for a whole batch: group by it, remembering each entry's position.
    const groups = new Map<string | null, { positions: number[]; contacts: ReturnType<typeof toEntry>[] }>();
    for (let i = 0; i < size; i++) {
      const index = firstIndex + start + i;
      const fields = { ...seedContactFields(index), ...resolve(overrides, index) };
      const audience = fields.audienceId ?? null;
      let group = groups.get(audience);
      if (!group) {
        group = { positions: [], contacts: [] };
        groups.set(audience, group);
      }
      group.positions.push(start + i);
      group.contacts.push(toEntry(fields));
    }
    for (const [audienceId, { positions, contacts }] of groups) {
      const result = await roster.contacts.createMany(projectId, { audienceId, contacts });
      if (result.skipped > 0) {
        throw RosterError.conflict(
          'contact',
          `seedContacts: ${result.skipped} email(s) already exist in the project or repeat within the seed, e.g. ${result.skippedEmails[0] ?? contacts[0]?.email}`,
        );
      }
      result.ids.forEach((id, k) => {
        ids[positions[k]!] = id;
      });
    }
  }
  return collect(roster, projectId, ids);
}

function resolve(overrides: SeedOverrides, index: number): SeedContactFields {
  return typeof overrides === 'function' ? overrides(index) : overrides;
}

function toEntry(fields: SeedContactFields & { email: string }) {
  return {
    email: fields.email,
    subscribed: fields.subscribed,
    data: fields.data,
    firstName: fields.firstName,
    lastName: fields.lastName,
  };
}

/**
 * Reads the seeded contacts back. They are the newest of the project (ids are time-ordered), so
 * reading newest-first stops after about `ids.length` rows.
 */
async function collect(roster: Roster, projectId: string, ids: string[]): Promise<Contact[]> {
  if (ids.length === 0) return [];
  const wanted = new Map(ids.map((id, position) => [id, position]));
  const out: Contact[] = new Array(ids.length);
  let found = 0;
  for await (const contact of roster.contacts.stream(projectId, { batchSize: Math.min(ids.length, 5000) })) {
    const position = wanted.get(contact.id);
    if (position === undefined) continue;
    out[position] = contact;
    if (++found === ids.length) break;
  }
  if (found !== ids.length) throw new Error('seedContacts: seeded contacts changed while being read back');
  return out;
}
