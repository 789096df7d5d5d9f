import type { ApiKeyRow } from '../db/schema.js';

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

export function rowToKeyInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    projectId: row.project_id,
    prefix: row.prefix,
    lastFour: row.last_four,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
