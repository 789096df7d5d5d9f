import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Clock, isoNow } from '../clock.js';
import { RosterError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import { parseInput } from '../validation.js';
import type { Db } from './project-repository.js';
import * as repo from './project-repository.js';

export interface Project {
  id: string;
  name: string;
  createdAt: string;
}

/** An API key as listed: never the key itself, which is shown once at creation. */
export interface ApiKeyInfo {
  id: string;
  projectId: string;
  prefix: string;
  lastFour: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The full key. Stored only as a SHA-256 hash: this is the one time it is visible. */
  key: string;
}

/** What a key resolves to. */
export interface KeyResolution {
  projectId: string;
  keyId: string;
  prefix: string;
}

export const projectNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');
export const keyPrefixSchema = z
  .string()
  .regex(/^[a-z][a-z0-9]{0,15}_$/, 'must be lowercase letters or digits ending in "_", e.g. sk_');
export const apiKeySchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')
  .regex(/^\S+$/, 'must not contain whitespace');

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function keyPrefixOf(key: string): string {
  const match = /^([a-z][a-z0-9]{0,15}_)/.exec(key);
  return match ? match[1]! : '';
}

function toProject(row: { id: string; name: string; created_at: string }): Project {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

function toKeyInfo(row: import('../db/schema.js').ApiKeysTable): ApiKeyInfo {
  return {
    id: row.id,
    projectId: row.project_id,
    prefix: row.prefix,
    lastFour: row.last_four,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export function createProjectService(db: Db, clock: Clock) {
  return {
    /** Returns the project with this name, creating it if needed. */
    async ensure(name: string): Promise<Project> {
      const valid = parseInput(projectNameSchema, name);
      const existing = await repo.findProjectByName(db, valid);
      if (existing) return toProject(existing);
      return toProject(
        await repo.insertProjectIfMissing(db, { id: uuidv7(), name: valid, created_at: isoNow(clock) }),
      );
    },
    async get(id: string): Promise<Project> {
      const row = await repo.findProjectById(db, id);
      if (!row) throw RosterError.notFound('project');
      return toProject(row);
    },
    async findByName(name: string): Promise<Project | null> {
      const row = await repo.findProjectByName(db, name);
      return row ? toProject(row) : null;
    },
    async list(): Promise<Project[]> {
      return (await repo.listProjects(db)).map(toProject);
    },
  };
}

/** How long a resolved key is trusted without asking the database again. */
export const KEY_CACHE_MS = 1000;
const MAX_CACHED_KEYS = 1000;

export function createKeyService(db: Db, clock: Clock) {
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
    return toKeyInfo(row);
  }

  return {
    /** Mints a new random key for the project; the returned `key` is the only copy. */
    async create(projectId: string, options: { prefix?: string } = {}): Promise<CreatedApiKey> {
      const prefix = parseInput(keyPrefixSchema, options.prefix ?? 'sk_');
      const key = `${prefix}${randomBytes(24).toString('hex')}`;
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
    async list(projectId?: string): Promise<ApiKeyInfo[]> {
      return (await repo.listApiKeys(db, projectId)).map(toKeyInfo);
    },
    /** Revokes a key by id. */
    async revoke(id: string): Promise<void> {
      resolved.clear();
      if (!(await repo.revokeApiKey(db, id, isoNow(clock))))
        throw RosterError.notFound('api_key', 'API key not found');
    },
    /** Number of keys that are not revoked, across all projects. */
    async countActive(): Promise<number> {
      return repo.countApiKeys(db);
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
export type KeyService = ReturnType<typeof createKeyService>;
