/**
 * Deterministic test data: contact `i` is always the same row, whatever the run or machine, so
 * roster and its baselines see identical input and a result can be reproduced.
 */

const FIRST = [
  'ada',
  'alan',
  'grace',
  'linus',
  'barbara',
  'edsger',
  'margaret',
  'dennis',
  'frances',
  'ken',
  'radia',
  'tim',
  'sophie',
  'john',
  'hedy',
  'donald',
  'katherine',
  'niklaus',
  'adele',
  'bjarne',
  'mary',
  'guido',
  'anita',
  'james',
  'joan',
  'leslie',
  'lynn',
  'brian',
  'carol',
  'douglas',
  'evelyn',
  'fernando',
  'gloria',
  'henry',
  'irene',
  'jack',
  'karen',
  'lucas',
  'maria',
  'noah',
  'olivia',
  'peter',
  'quinn',
  'rosa',
  'samuel',
  'tara',
  'ursula',
  'victor',
  'wendy',
  'yusuf',
] as const;

const LAST = [
  'lovelace',
  'turing',
  'hopper',
  'torvalds',
  'liskov',
  'dijkstra',
  'hamilton',
  'ritchie',
  'allen',
  'thompson',
  'perlman',
  'lee',
  'wilson',
  'backus',
  'lamarr',
  'knuth',
  'johnson',
  'wirth',
  'goldberg',
  'stroustrup',
  'keller',
  'rossum',
  'borg',
  'gosling',
  'clarke',
  'lamport',
  'conway',
  'kernighan',
  'shaw',
  'engelbart',
  'berners',
  'corbato',
  'estrin',
  'floyd',
  'gray',
  'hoare',
  'iverson',
  'kay',
  'mccarthy',
  'naur',
  'ousterhout',
  'pike',
  'rivest',
  'shamir',
  'tarjan',
  'ullman',
  'valiant',
  'wing',
  'yao',
  'zuse',
] as const;

/** ~45 % of addresses at the big providers; the rest at 2 000 company domains. */
const PROVIDERS = ['gmail.com', 'gmail.com', 'gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com'] as const;
const WORDS = [
  'acme',
  'globex',
  'initech',
  'umbrella',
  'stark',
  'wayne',
  'hooli',
  'vandelay',
  'wonka',
  'tyrell',
  'cyberdyne',
  'soylent',
  'gringotts',
  'monarch',
  'pied',
  'oscorp',
  'aperture',
  'massive',
  'dunder',
  'kramerica',
] as const;
const TLDS = ['com', 'io', 'dev', 'co.uk', 'de', 'fr', 'net', 'org', 'app', 'ai'] as const;
const CITIES = [
  'Berlin',
  'Paris',
  'London',
  'Lisbon',
  'Madrid',
  'Rome',
  'Oslo',
  'Vienna',
  'Prague',
  'Dublin',
  'New York',
  'Austin',
  'Toronto',
  'Sydney',
  'Tokyo',
  'Seoul',
  'Nairobi',
  'Lagos',
  'Lima',
  'Quito',
] as const;
const PLANS = ['free', 'free', 'free', 'starter', 'pro', 'team', 'enterprise'] as const;

/** A fast 32-bit mixing hash (splitmix-style): the "random" choices of row `i`, with no state. */
export function hash32(i: number, salt = 0): number {
  let x = (Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) + salt * 0x27d4eb2f) | 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  x ^= x >>> 12;
  x = Math.imul(x, 0x297a2d39);
  x ^= x >>> 15;
  return x >>> 0;
}

function pick<T>(list: readonly T[], i: number, salt: number): T {
  return list[hash32(i, salt) % list.length]!;
}

function companyDomain(i: number): string {
  const n = hash32(i, 7) % 2000;
  return `${WORDS[n % WORDS.length]}${Math.floor(n / WORDS.length)}.${TLDS[n % TLDS.length]}`;
}

/** The email of contact `i`: unique per `i`, lowercase, e.g. `ada.lovelace1234@gmail.com`. */
export function emailOf(i: number): string {
  const h = hash32(i, 3);
  const domain = h % 100 < 45 ? PROVIDERS[h % PROVIDERS.length]! : companyDomain(i);
  return `${pick(FIRST, i, 1)}.${pick(LAST, i, 2)}${i}@${domain}`;
}

export interface GeneratedRow {
  email: string;
  firstName: string;
  lastName: string;
  company: string;
  city: string;
  plan: string;
}

/** Contact `i` as it appears in the generated CSV (data columns as the import stores them). */
export function rowOf(i: number): GeneratedRow {
  const first = pick(FIRST, i, 1);
  const last = pick(LAST, i, 2);
  const word = pick(WORDS, i, 5);
  // Every 7th company has a comma in its name, so its cell is quoted in the CSV.
  const company = hash32(i, 6) % 7 === 0 ? `${cap(word)}, Inc.` : `${cap(word)} ${cap(pick(WORDS, i, 8))}`;
  return {
    email: emailOf(i),
    firstName: cap(first),
    lastName: cap(last),
    company,
    city: pick(CITIES, i, 9),
    plan: pick(PLANS, i, 10),
  };
}

/** The data object the import stores for a row (header names as keys). */
export function dataOf(row: GeneratedRow): Record<string, string> {
  return {
    first_name: row.firstName,
    last_name: row.lastName,
    company: row.company,
    city: row.city,
    plan: row.plan,
  };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const CSV_HEADER = 'email,first_name,last_name,company,city,plan\n';

function cell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line for contact `i`, emails written in mixed case now and then (roster lowercases them). */
export function csvLineOf(i: number): string {
  const r = rowOf(i);
  const email = hash32(i, 11) % 10 === 0 ? r.email.charAt(0).toUpperCase() + r.email.slice(1) : r.email;
  return `${email},${cell(r.firstName)},${cell(r.lastName)},${cell(r.company)},${r.city},${r.plan}\n`;
}

/**
 * Which contact the `n`-th CSV row holds: rows are a deterministic shuffle-free interleave where
 * every 5th row (n % 5 === 0) is an email that `isPreexisting` reports as already stored.
 */
export function isPreexisting(i: number): boolean {
  return i % 5 === 0;
}
