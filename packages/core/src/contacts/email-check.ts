import { isValidEmail, MAX_EMAIL_LENGTH, normaliseEmail } from './contact-fields.js';

/** The outcome of `checkEmail`: syntax plus obvious typos of well-known domains. No network. */
export interface EmailCheck {
  /** The address as roster would store it (trimmed, lowercased). */
  email: string;
  valid: boolean;
  /** Why it is not valid, in plain words. */
  reason?: string;
  /** The likely intended address when the domain looks like a typo of a well-known one. */
  suggestion?: string;
}

/** Mailbox providers whose near-misses are almost always typos. */
const WELL_KNOWN_DOMAINS = [
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'protonmail.com',
  'proton.me',
  'gmx.com',
  'gmx.de',
  'web.de',
  'yandex.ru',
  'mail.ru',
  'hotmail.co.uk',
  'yahoo.co.uk',
  'msn.com',
  'comcast.net',
];
/** Real providers one edit away from a well-known domain: never "corrected". */
const ALSO_REAL = ['mail.com', 'gmx.net', 'ymail.com', 'zoho.com', 'hey.com', 'live.ca', 'live.nl', 'me.org'];
const KNOWN = new Set([...WELL_KNOWN_DOMAINS, ...ALSO_REAL]);

/** Top-level domains that are typos of `.com` / `.net` / `.org`. */
const TLD_TYPOS: Record<string, string> = {
  con: 'com',
  cmo: 'com',
  ocm: 'com',
  vom: 'com',
  xom: 'com',
  comm: 'com',
  coom: 'com',
  om: 'com',
  nte: 'net',
  ent: 'net',
  ogr: 'org',
  rog: 'org',
};

/** Damerau-Levenshtein distance (optimal string alignment), capped early: small strings only. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The well-known domain `domain` is most likely a typo of, if any. */
export function suggestDomain(domain: string): string | undefined {
  if (KNOWN.has(domain)) return undefined;
  const labels = domain.split('.');
  const tld = labels[labels.length - 1]!;
  // Own keys only: the domain is user input (`acme.constructor` must not find Object's constructor).
  const fixedTld = Object.hasOwn(TLD_TYPOS, tld) ? TLD_TYPOS[tld] : undefined;
  const candidate = fixedTld ? [...labels.slice(0, -1), fixedTld].join('.') : domain;
  if (KNOWN.has(candidate)) return candidate;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of WELL_KNOWN_DOMAINS) {
    if (Math.abs(known.length - candidate.length) > 2) continue;
    const d = distance(candidate, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  // One edit away from a well-known domain (two for long ones) is a typo, not another provider.
  if (best && bestDistance <= (best.length >= 10 ? 2 : 1)) return best;
  if (fixedTld) return candidate;
  return undefined;
}

/**
 * Checks an email address without touching the network: the syntax roster accepts for contacts,
 * then obvious typos of well-known mailbox domains (`gmial.com`, `hotmail.con`).
 */
export function checkEmail(input: string): EmailCheck {
  const email = normaliseEmail(input);
  if (email.length === 0) return { email, valid: false, reason: 'Email address is empty' };
  if (email.length > MAX_EMAIL_LENGTH) {
    return { email, valid: false, reason: `Email address is longer than ${MAX_EMAIL_LENGTH} characters` };
  }
  if (!isValidEmail(email)) return { email, valid: false, reason: 'Invalid email address syntax' };
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  const suggested = suggestDomain(domain);
  if (suggested) {
    const suggestion = `${email.slice(0, at)}@${suggested}`;
    return { email, valid: false, reason: `Possible typo: did you mean ${suggestion}?`, suggestion };
  }
  return { email, valid: true };
}
