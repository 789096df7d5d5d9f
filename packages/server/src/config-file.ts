import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  allowPrivateWebhookTargets,
  CliError,
  DEFAULT_DB,
  DEFAULT_HOST,
  DEFAULT_PORT,
  parsePort,
  parsePositiveInt,
  userDbPath,
} from './config.js';

/**
 * `roster serve --config FILE`: a JSON file with the settings of `roster serve`. Flags win over
 * environment variables, which win over the file, which wins over the defaults. Keys from the file
 * and from `--api-key` are all registered.
 *
 * ```json
 * { "port": 8080, "host": "127.0.0.1", "db": "./roster.db", "apiKeys": ["sk_live_..."], "concurrency": 2,
 *   "webhookConcurrency": 4, "lockTimeoutMs": 30000, "pollIntervalMs": 500, "maxConnections": 1000,
 *   "maxConnectionsPerClient": 100, "headersTimeoutMs": 10000, "requestTimeoutMs": 60000,
 *   "keepAliveTimeoutMs": 5000, "jsonLimitBytes": 1048576, "maxImportBytes": 5242880,
 *   "trackJsonLimitBytes": 65536, "trackRatePerSecond": 100, "trackBurst": 200 }
 * ```
 */
export interface ServeConfigFile {
  /** Port to listen on (0 picks a free one). */
  port?: number;
  /** Interface to bind. */
  host?: string;
  /** SQLite database file (a relative path is relative to the config file), or a postgres:// URL. */
  db?: string;
  /** Keys registered for the default project (idempotent). */
  apiKeys?: string[];
  /** Background jobs (imports, bulk operations) run at once. */
  concurrency?: number;
  /** Webhook delivery attempts run at once, apart from the other jobs (`webhooks.concurrency`). */
  webhookConcurrency?: number;
  /** A job lock older than this (ms) is taken to belong to a dead process: the job runs again. */
  lockTimeoutMs?: number;
  /** How often (ms) the job runner looks for due jobs when nothing woke it (`jobs.pollIntervalMs`). */
  pollIntervalMs?: number;
  /** Open connections at once. */
  maxConnections?: number;
  /** Open connections at once from one remote address (the socket's peer: behind a proxy, the proxy). */
  maxConnectionsPerClient?: number;
  /** ms a client has to send a request's head. */
  headersTimeoutMs?: number;
  /** ms a client has to send a whole request. */
  requestTimeoutMs?: number;
  /** ms an idle keep-alive connection stays open. */
  keepAliveTimeoutMs?: number;
  /** Largest JSON body of the API routes, in bytes. */
  jsonLimitBytes?: number;
  /** Largest import file (multipart upload or Unosend's JSON `file`), in bytes. */
  maxImportBytes?: number;
  /** Largest body of the public `POST /v1/track`, in bytes. */
  trackJsonLimitBytes?: number;
  /** Requests per second one client (address) may keep sending to `POST /v1/track`. */
  trackRatePerSecond?: number;
  /** Requests one client (address) may send to `POST /v1/track` at once. */
  trackBurst?: number;
  /**
   * Express's `trust proxy`: `true`, a hop count, or addresses/subnets (`"loopback"`,
   * `"10.0.0.0/8, fc00::/7"` or an array).
   */
  trustProxy?: boolean | number | string | string[];
  /** Let webhooks go to private, loopback and link-local addresses (local development and tests only). */
  allowPrivateWebhookTargets?: boolean;
  /**
   * Per-project rate limits, as `--rate-limit`: `"contacts:write=50/100,track=100/200"` (bucket =
   * sustained per second / burst).
   */
  rateLimit?: string;
  /** Days audit entries are kept. */
  auditRetentionDays?: number;
  /** The public base URL of the consent pages (the links roster builds start with it). */
  publicUrl?: string;
}

/** The numeric settings shared by flags and the config file: config field → flag name. */
export const NUMERIC_SETTINGS = {
  maxConnections: 'max-connections',
  maxConnectionsPerClient: 'max-connections-per-client',
  headersTimeoutMs: 'headers-timeout',
  requestTimeoutMs: 'request-timeout',
  keepAliveTimeoutMs: 'keep-alive-timeout',
  jsonLimitBytes: 'json-limit',
  maxImportBytes: 'max-import-bytes',
  trackJsonLimitBytes: 'track-json-limit',
  trackRatePerSecond: 'track-rate-limit',
  trackBurst: 'track-burst',
} as const;
export type NumericSetting = keyof typeof NUMERIC_SETTINGS;

const positiveInteger = (v: unknown) =>
  Number.isInteger(v) && (v as number) >= 1 ? null : 'an integer >= 1';

const FIELDS: Record<keyof ServeConfigFile, (value: unknown) => string | null> = {
  port: (v) =>
    Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535 ? null : 'an integer from 0 to 65535',
  host: (v) => (typeof v === 'string' && v !== '' ? null : 'a non-empty string'),
  db: (v) => (typeof v === 'string' && v !== '' ? null : 'a non-empty string'),
  apiKeys: (v) => (Array.isArray(v) && v.every((k) => typeof k === 'string') ? null : 'an array of strings'),
  concurrency: (v) => (Number.isInteger(v) && (v as number) >= 1 ? null : 'an integer >= 1'),
  webhookConcurrency: positiveInteger,
  lockTimeoutMs: positiveInteger,
  pollIntervalMs: positiveInteger,
  maxConnections: positiveInteger,
  maxConnectionsPerClient: positiveInteger,
  headersTimeoutMs: positiveInteger,
  requestTimeoutMs: positiveInteger,
  keepAliveTimeoutMs: positiveInteger,
  jsonLimitBytes: positiveInteger,
  maxImportBytes: positiveInteger,
  trackJsonLimitBytes: positiveInteger,
  trackRatePerSecond: positiveInteger,
  trackBurst: positiveInteger,
  trustProxy: (v) =>
    typeof v === 'boolean' ||
    (Number.isInteger(v) && (v as number) >= 0) ||
    (typeof v === 'string' && v.trim() !== '') ||
    (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string' && a.trim() !== ''))
      ? null
      : 'true, false, a hop count (integer >= 0), or addresses/subnets (a string or an array of strings)',
  allowPrivateWebhookTargets: (v) => (typeof v === 'boolean' ? null : 'true or false'),
  rateLimit: (v) => {
    if (typeof v !== 'string') return 'a string such as "contacts:write=50/100,track=100/200"';
    try {
      parseRateLimits('rateLimit', v);
      return null;
    } catch (error) {
      return (error as Error).message.replace(/^Invalid rateLimit: /, 'valid: ');
    }
  },
  auditRetentionDays: positiveInteger,
  publicUrl: (v) => (typeof v === 'string' && publicUrlProblem(v) === null ? null : 'an http or https URL'),
};

/** The buckets `--rate-limit` knows (Plunk's names). */
export const RATE_LIMIT_BUCKETS = ['contacts:write', 'track'] as const;
export type RateLimitBucket = (typeof RATE_LIMIT_BUCKETS)[number];
export type RateLimitRules = Partial<Record<RateLimitBucket, { perSecond: number; burst: number }>>;
/** The largest rate and burst `--rate-limit` takes (core's MAX_RATE_LIMIT). */
const MAX_RATE = 1_000_000;

/**
 * `--rate-limit` text: `bucket=perSecond/burst`, comma-separated, e.g.
 * `contacts:write=50/100,track=100/200`; each bucket at most once. Every problem is a CliError
 * naming the part.
 */
export function parseRateLimits(name: string, text: string): RateLimitRules {
  const rules: RateLimitRules = {};
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new CliError(`Invalid ${name}: give bucket=per-second/burst, e.g. contacts:write=50/100`);
  for (const part of parts) {
    const match = /^([^=\s]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*\/\s*([0-9]+)$/.exec(part);
    if (!match) {
      throw new CliError(
        `Invalid ${name}: "${part}" is not bucket=per-second/burst (e.g. contacts:write=50/100)`,
      );
    }
    const bucket = match[1] as RateLimitBucket;
    if (!RATE_LIMIT_BUCKETS.includes(bucket)) {
      throw new CliError(
        `Invalid ${name}: unknown bucket "${match[1]}" (known: ${RATE_LIMIT_BUCKETS.join(', ')})`,
      );
    }
    if (rules[bucket]) throw new CliError(`Invalid ${name}: bucket ${bucket} is given twice`);
    const perSecond = Number(match[2]);
    const burst = Number(match[3]);
    if (!(perSecond > 0 && perSecond <= MAX_RATE)) {
      throw new CliError(
        `Invalid ${name}: ${bucket}'s per-second rate must be above 0 and at most ${MAX_RATE}`,
      );
    }
    if (!(burst >= 1 && burst <= MAX_RATE)) {
      throw new CliError(`Invalid ${name}: ${bucket}'s burst must be from 1 to ${MAX_RATE}`);
    }
    rules[bucket] = { perSecond, burst };
  }
  return rules;
}

/** Why `value` cannot be the public base URL, or null. */
export function publicUrlProblem(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
    if (url.search || url.hash) return 'must have no query or fragment';
    return null;
  } catch {
    return 'must be an http or https URL';
  }
}

/** Reads and checks a config file; every problem is a CliError naming the file and the field. */
export function readServeConfig(path: string): ServeConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`Config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`Config file ${path} must contain a JSON object`);
  }
  const config = parsed as Record<string, unknown>;
  for (const [field, value] of Object.entries(config)) {
    // Own keys only: `constructor` or `__proto__` in the file is an unknown field, not Object's member.
    const check = Object.hasOwn(FIELDS, field) ? FIELDS[field as keyof ServeConfigFile] : undefined;
    if (!check) {
      throw new CliError(
        `Config file ${path}: unknown field "${field}" (known: ${Object.keys(FIELDS).join(', ')})`,
      );
    }
    const expected = check(value);
    if (expected) throw new CliError(`Config file ${path}: "${field}" must be ${expected}`);
  }
  const out = config as ServeConfigFile;
  if (
    out.db !== undefined &&
    out.db !== ':memory:' &&
    !/^postgres(ql)?:\/\//i.test(out.db) &&
    !isAbsolute(out.db)
  ) {
    // Relative to the file, so a config works from any working directory.
    out.db = resolve(dirname(path), out.db);
  }
  return out;
}

/** `roster serve`'s flags as commander gives them. */
export interface ServeFlagValues {
  port?: string;
  host?: string;
  db?: string;
  apiKey?: string[];
  concurrency?: string;
  webhookConcurrency?: string;
  lockTimeout?: string;
  pollInterval?: string;
  maxConnections?: string;
  maxConnectionsPerClient?: string;
  headersTimeout?: string;
  requestTimeout?: string;
  keepAliveTimeout?: string;
  jsonLimit?: string;
  maxImportBytes?: string;
  trackJsonLimit?: string;
  trackRateLimit?: string;
  trackBurst?: string;
  trustProxy?: string;
  allowPrivateWebhookTargets?: boolean;
  rateLimit?: string;
  auditRetentionDays?: string;
  publicUrl?: string;
}

export interface ServeSettings {
  port: number;
  host: string;
  database: string;
  apiKeys: string[];
  /** Undefined: core's default. */
  concurrency: number | undefined;
  /** `webhooks.concurrency`; undefined: core's default. */
  webhookConcurrency: number | undefined;
  /** `jobs.lockTimeoutMs`; undefined: core's default. */
  lockTimeoutMs: number | undefined;
  /** `jobs.pollIntervalMs`; undefined: core's default. */
  pollIntervalMs: number | undefined;
  /** Server and body limits; undefined: the defaults. */
  limits: Partial<Record<NumericSetting, number>>;
  /** `webhooks.allowPrivateTargets` (flag, env `ROSTER_WEBHOOKS_ALLOW_PRIVATE`, file). */
  allowPrivateWebhookTargets: boolean;
  /** Express's `trust proxy` (flag, env `ROSTER_TRUST_PROXY`, file); undefined: trust no proxy. */
  trustProxy: boolean | number | string | string[] | undefined;
  /** Per-project rate limits (flag, env `ROSTER_RATE_LIMIT`, file); empty: none. */
  rateLimits: RateLimitRules;
  /** `audit.retentionDays`; undefined: core's default. */
  auditRetentionDays: number | undefined;
  /**
   * The consent pages' public base URL (flag, env `ROSTER_PUBLIC_URL`, file); else
   * `http://<host>:<port>` (`localhost` for a wildcard host), or undefined on an ephemeral port.
   */
  publicUrl: string | undefined;
}

/**
 * `--trust-proxy` / `ROSTER_TRUST_PROXY` text: `true`/`false`, a hop count, or addresses and
 * subnets (comma-separated), as Express's `trust proxy` reads them.
 */
export function parseTrustProxy(name: string, value: string): boolean | number | string {
  const text = value.trim();
  if (text === '') throw new CliError(`Invalid ${name} "${value}": use true, a hop count or addresses`);
  if (text.toLowerCase() === 'true') return true;
  if (text.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}

const FLAG_KEYS: Record<NumericSetting, keyof ServeFlagValues> = {
  maxConnections: 'maxConnections',
  maxConnectionsPerClient: 'maxConnectionsPerClient',
  headersTimeoutMs: 'headersTimeout',
  requestTimeoutMs: 'requestTimeout',
  keepAliveTimeoutMs: 'keepAliveTimeout',
  jsonLimitBytes: 'jsonLimit',
  maxImportBytes: 'maxImportBytes',
  trackJsonLimitBytes: 'trackJsonLimit',
  trackRatePerSecond: 'trackRateLimit',
  trackBurst: 'trackBurst',
};

/**
 * Flags, then environment (`PORT`, `HOST`, `ROSTER_DB`, `ROSTER_WEBHOOKS_ALLOW_PRIVATE`,
 * `ROSTER_TRUST_PROXY`, `ROSTER_PUBLIC_URL`), then the config file, then the defaults.
 */
export function resolveServeSettings(
  flags: ServeFlagValues,
  env: NodeJS.ProcessEnv,
  file: ServeConfigFile = {},
): ServeSettings {
  const portText = flags.port ?? (env.PORT || undefined);
  const typedDb = flags.db ?? (env.ROSTER_DB || undefined);
  const port = portText === undefined ? (file.port ?? DEFAULT_PORT) : parsePort(portText, DEFAULT_PORT);
  const host = flags.host ?? (env.HOST || undefined) ?? file.host ?? DEFAULT_HOST;
  return {
    port,
    host,
    publicUrl: resolvePublicUrl(flags.publicUrl, env.ROSTER_PUBLIC_URL, file.publicUrl, host, port),
    // A typed path is relative to where the user typed it (INIT_CWD); the file's own is already resolved.
    database: typedDb === undefined ? (file.db ?? DEFAULT_DB) : userDbPath(typedDb, env),
    apiKeys: [...(file.apiKeys ?? []), ...(flags.apiKey ?? [])],
    concurrency:
      flags.concurrency === undefined ? file.concurrency : parsePositiveInt('concurrency', flags.concurrency),
    webhookConcurrency:
      flags.webhookConcurrency === undefined
        ? file.webhookConcurrency
        : parsePositiveInt('webhook concurrency', flags.webhookConcurrency),
    lockTimeoutMs:
      flags.lockTimeout === undefined
        ? file.lockTimeoutMs
        : parsePositiveInt('lock timeout', flags.lockTimeout),
    pollIntervalMs:
      flags.pollInterval === undefined
        ? file.pollIntervalMs
        : parsePositiveInt('poll interval', flags.pollInterval),
    limits: Object.fromEntries(
      (Object.keys(NUMERIC_SETTINGS) as NumericSetting[]).flatMap((name) => {
        const flag = flags[FLAG_KEYS[name]] as string | undefined;
        const value = flag === undefined ? file[name] : parsePositiveInt(`--${NUMERIC_SETTINGS[name]}`, flag);
        return value === undefined ? [] : [[name, value]];
      }),
    ),
    allowPrivateWebhookTargets: allowPrivateWebhookTargets(
      flags.allowPrivateWebhookTargets,
      env,
      file.allowPrivateWebhookTargets,
    ),
    trustProxy:
      flags.trustProxy !== undefined
        ? parseTrustProxy('--trust-proxy', flags.trustProxy)
        : env.ROSTER_TRUST_PROXY
          ? parseTrustProxy('ROSTER_TRUST_PROXY', env.ROSTER_TRUST_PROXY)
          : file.trustProxy,
    rateLimits:
      flags.rateLimit !== undefined
        ? parseRateLimits('--rate-limit', flags.rateLimit)
        : env.ROSTER_RATE_LIMIT
          ? parseRateLimits('ROSTER_RATE_LIMIT', env.ROSTER_RATE_LIMIT)
          : file.rateLimit === undefined
            ? {}
            : parseRateLimits('rateLimit', file.rateLimit),
    auditRetentionDays:
      flags.auditRetentionDays === undefined
        ? file.auditRetentionDays
        : parsePositiveInt('--audit-retention-days', flags.auditRetentionDays),
  };
}

/** `--public-url`, else `ROSTER_PUBLIC_URL`, else the file's `publicUrl`, else where the server listens. */
function resolvePublicUrl(
  flag: string | undefined,
  env: string | undefined,
  file: string | undefined,
  host: string,
  port: number,
): string | undefined {
  const [name, given] =
    flag !== undefined ? ['--public-url', flag] : env ? ['ROSTER_PUBLIC_URL', env] : ['publicUrl', file];
  if (given !== undefined) {
    const problem = publicUrlProblem(given);
    if (problem) throw new CliError(`Invalid ${name} "${given}": ${problem}`);
    return given;
  }
  if (port === 0) return undefined;
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const name6 = host.includes(':') ? `[${host}]` : host;
  return `http://${wildcard ? 'localhost' : name6}:${port}`;
}
