import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hasEmptyAuthority } from './webhook-url.js';

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (`dns.lookup` with `all: true` by default). */
export type WebhookResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: WebhookResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Why an address is not a public unicast address, or null when it is. */
export type AddressClass =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'shared'
  | 'multicast'
  | 'reserved'
  | 'documentation';

/**
 * The decision on a target: where to connect, or why not. `refusal` says which rule refused it:
 * `invalid` (not an http(s) URL with a host), `private` (a private target while they are refused),
 * `unresolved` (the name has no address now; it may have one later).
 */
export type TargetDecision =
  | { allowed: true; hostname: string; addresses: ResolvedAddress[] }
  | { allowed: false; reason: string; refusal: 'invalid' | 'private' | 'unresolved' };

/** The URL's host name as compared: no IPv6 brackets, lower case, no trailing dot (`localhost.` is `localhost`). */
function hostnameOf(url: URL): string {
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
}

/** `localhost` and its subdomains: loopback by definition (RFC 6761), whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function classifyIpv4(address: string): AddressClass | null {
  const [a = 0, b = 0, c = 0] = ipv4Bytes(address);
  if (a === 0) return 'unspecified'; // 0.0.0.0/8 "this network"
  if (a === 127) return 'loopback';
  if (a === 10) return 'private';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 169 && b === 254) return 'link-local'; // cloud metadata (169.254.169.254) lives here
  if (a === 100 && b >= 64 && b <= 127) return 'shared'; // CGNAT 100.64.0.0/10
  if (a === 192 && b === 0 && c === 0) return 'reserved'; // IETF protocol assignments
  if (
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  )
    return 'documentation';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved'; // 240.0.0.0/4 and the broadcast address
  return null;
}

/** The eight 16-bit groups of an IPv6 address (embedded dotted IPv4 tails included). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(tail[1]!);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array.from({ length: fill }, () => '0'), ...right].map((g) => Number.parseInt(g, 16));
}

function embeddedIpv4(groups: number[]): string {
  const hi = groups[6] ?? 0;
  const lo = groups[7] ?? 0;
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function classifyIpv6(address: string): AddressClass | null {
  const g = ipv6Groups(address);
  const first = g[0] ?? 0;
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroPrefix(8)) return 'unspecified';
  if (zeroPrefix(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-translated (::ffff:0:a.b.c.d): the IPv4 address decides.
  if (zeroPrefix(5) && g[5] === 0xffff) return classifyIpv4(embeddedIpv4(g));
  if (zeroPrefix(4) && g[4] === 0xffff && g[5] === 0) return classifyIpv4(embeddedIpv4(g));
  // IPv4-compatible (::a.b.c.d, deprecated): nothing public routes it.
  if (zeroPrefix(6)) return 'reserved';
  // NAT64 (64:ff9b::/96): the embedded IPv4 address decides.
  if (first === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return classifyIpv4(embeddedIpv4(g)) ?? null;
  if ((first & 0xfe00) === 0xfc00) return 'unique-local'; // fc00::/7
  if ((first & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((first & 0xffc0) === 0xfec0) return 'private'; // fec0::/10, deprecated site-local
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if (first === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if (first === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'reserved'; // 100::/64 discard
  if (first === 0x2002) {
    // 6to4: the IPv4 address in groups 1-2 decides.
    const v4 = `${(g[1] ?? 0) >> 8}.${(g[1] ?? 0) & 255}.${(g[2] ?? 0) >> 8}.${(g[2] ?? 0) & 255}`;
    return classifyIpv4(v4);
  }
  return null;
}

/**
 * Why `address` (an IPv4 or IPv6 literal) is not a public unicast address: loopback, private
 * (RFC 1918), link-local (cloud metadata), unique-local, shared (CGNAT), multicast, unspecified,
 * reserved or documentation ranges, including IPv4 addresses inside IPv6 (mapped, NAT64, 6to4).
 * Null for a public address; throws for something that is not an IP address.
 */
export function classifyAddress(address: string): AddressClass | null {
  const version = isIP(address.replace(/^\[|\]$/g, ''));
  if (version === 4) return classifyIpv4(address);
  if (version === 6) return classifyIpv6(address.replace(/^\[|\]$/g, ''));
  throw new TypeError(`not an IP address: ${address}`);
}

/** How a refusal of a private target says to allow them, unless the caller names its own setting. */
export const DEFAULT_PRIVATE_TARGETS_HINT = 'allow them with the webhooks.allowPrivateTargets option';

/**
 * Decides whether roster may send a webhook to `url`: the literal IP of the URL, or every address
 * its host name resolves to, must be public (unless `allowPrivate`). The caller then connects to
 * one of the returned addresses, never resolving the name again, so a DNS answer that changes
 * between the check and the connection (DNS rebinding) cannot redirect it. `hint` ends a refusal
 * of a private address (how to allow them; default {@link DEFAULT_PRIVATE_TARGETS_HINT}).
 */
export async function decideWebhookTarget(
  url: string,
  options: { allowPrivate: boolean; resolve: WebhookResolver; hint?: string },
): Promise<TargetDecision> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false, refusal: 'invalid', reason: 'the URL is not valid' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { allowed: false, refusal: 'invalid', reason: `the ${parsed.protocol} scheme is not allowed` };
  if (hasEmptyAuthority(url) || hostnameOf(parsed) === '')
    return { allowed: false, refusal: 'invalid', reason: 'the URL names no host' };
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowPrivate && isLocalhostName(hostnameOf(parsed))) {
    return {
      allowed: false,
      refusal: 'private',
      reason: `${hostname} is localhost: webhooks to private networks are refused (allow them with webhooks.allowPrivateTargets)`,
    };
  }
  const literal = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (literal !== 0) addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await options.resolve(hostname);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        allowed: false,
        refusal: 'unresolved',
        reason: `cannot resolve ${hostname}${code ? ` (${code})` : ''}`,
      };
    }
    if (addresses.length === 0)
      return { allowed: false, refusal: 'unresolved', reason: `${hostname} has no address` };
  }
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (kind !== null) {
        const via = literal === 0 ? `${hostname} resolves to ` : '';
        return {
          allowed: false,
          refusal: 'private',
          reason: `${via}${address}, a ${kind} address: webhooks to private networks are refused (${options.hint ?? DEFAULT_PRIVATE_TARGETS_HINT})`,
        };
      }
    }
  }
  return { allowed: true, hostname, addresses };
}

/**
 * The part of the decision that needs no DNS, for endpoint validation: null when `url` may be
 * used, else why not (a private literal IP or a `localhost` name).
 */
export function literalTargetProblem(
  url: string,
  allowPrivate: boolean,
  hint: string = DEFAULT_PRIVATE_TARGETS_HINT,
): string | null {
  if (allowPrivate) return null;
  let hostname: string;
  try {
    hostname = hostnameOf(new URL(url));
  } catch {
    return null; // the URL schema names this problem
  }
  if (isLocalhostName(hostname)) return `must not point to localhost (private targets are refused; ${hint})`;
  if (isIP(hostname) === 0) return null;
  const kind = classifyAddress(hostname);
  return kind === null ? null : `must not point to a ${kind} address (private targets are refused; ${hint})`;
}
