import * as crypto from 'node:crypto';
import { isoNow } from '../clock.js';
import { RosterError } from '../errors.js';
import { isUuid, uuidv7 } from '../ids.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import * as repo from './key-repository.js';
import { apiKeySchema, createKeySchema } from './key-schemas.js';
import { type ApiKeyInfo, type CreatedApiKey, type KeyResolution, rowToKeyInfo } from './key-types.js';

/** Node's one-shot `crypto.hash` (Node 20.12 and later): the same digest without a Hash object. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** The stored hash of an API key (every keyed request computes it): SHA-256, hex. */
export function hashApiKey(key: string): string {
  return oneShotHash
    ? oneShotHash('sha256', key, 'hex')
    : crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

function keyPrefixOf(key: string): string {
  const match = /^([a-z][a-z0-9]{0,15}_)/.exec(key);
  return match ? match[1]! : '';
}

/** How long a resolved key is trusted without asking the database again. */
export const KEY_CACHE_MS = 1000;
const MAX_CACHED_KEYS = 1000;

export function createKeyService({ db, clock }: ServiceDeps) {
  const resolved = new Map<string, { resolution: KeyResolution; until: number }>();
  async function store(projectId: string, key: string): Promise<ApiKeyInfo> {
    const row = await repo.insertApiKeyIfMissing(db, {
      id: uuidv7(),
      project_id: projectId,
      key_hash: hashApiKey(key),
      prefix: keyPrefixOf(key),
      last_four: key.slice(-4),
      created_at: isoNow(clock),
      revoked_at: null,
    });
    if (row.project_id !== projectId) {
      throw RosterError.conflict('api_key', 'This API key is already registered for another project');
    }
    return rowToKeyInfo(row);
  }

  return {
    /** Mints a new random key for the project; the returned `key` is the only copy. */
    async create(projectId: string, options: { prefix?: string } = {}): Promise<CreatedApiKey> {
      const prefix = parseInput(createKeySchema, options).prefix ?? 'sk_';
      const key = `${prefix}${crypto.randomBytes(24).toString('hex')}`;
      return { ...(await store(projectId, key)), key };
    },
    /**
     * Registers a key chosen by the caller (e.g. the `sk_...` a test suite already uses). Idempotent;
     * a key registered for another project is a conflict. A revoked key stays revoked.
     */
    async register(projectId: string, key: string): Promise<ApiKeyInfo> {
      return store(projectId, parseInput(apiKeySchema, key));
    },
    /**
     * Resolves a presented key to its project, or null for an unknown or revoked key. A key that
     * resolved is remembered for `KEY_CACHE_MS` (every request presents one); a revocation in this
     * process takes effect at once, one made by another process within that time.
     */
    async resolve(key: string): Promise<KeyResolution | null> {
      if (!key) return null;
      const hash = hashApiKey(key);
      const now = performance.now();
      const hit = resolved.get(hash);
      if (hit && hit.until > now) return hit.resolution;
      const row = await repo.findActiveKeyByHash(db, hash);
      if (!row) {
        resolved.delete(hash);
        return null;
      }
      const resolution = { projectId: row.project_id, keyId: row.id, prefix: row.prefix };
      if (resolved.size >= MAX_CACHED_KEYS) resolved.clear();
      resolved.set(hash, { resolution, until: now + KEY_CACHE_MS });
      return resolution;
    },
    /**
     * `resolve`'s answer for a key it resolved within the last `KEY_CACHE_MS`, synchronously (no
     * promise turn on every request), or undefined when only `resolve` can tell (never resolved,
     * expired from the cache, revoked in this process, or unknown).
     */
    resolveCached(key: string): KeyResolution | undefined {
      if (!key || resolved.size === 0) return undefined;
      const hit = resolved.get(hashApiKey(key));
      return hit && hit.until > performance.now() ? hit.resolution : undefined;
    },
    async list(projectId?: string): Promise<ApiKeyInfo[]> {
      return (await repo.listApiKeys(db, projectId)).map(rowToKeyInfo);
    },
    /**
     * Revokes a key by id. With `projectId`, only a key of that project (another project's key, or
     * one already revoked, is `not_found`).
     */
    async revoke(id: string, options: { projectId?: string } = {}): Promise<void> {
      resolved.clear();
      if (!isUuid(id) || !(await repo.revokeApiKey(db, id, isoNow(clock), options.projectId)))
        throw RosterError.notFound('api_key', 'API key not found');
    },
    /** Number of keys that are not revoked, across all projects. */
    async countActive(): Promise<number> {
      return repo.countApiKeys(db);
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
