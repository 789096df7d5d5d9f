import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The public links' tokens: `base64url(version ‖ keyId ‖ iv ‖ AES-256-GCM(payload) ‖ tag)`.
 *
 * - `keyId` (8 bytes) is an HMAC of the signing secret: it names which secret (hence which project)
 *   sealed the token without revealing the project; the verifier keeps every key in memory.
 * - The payload is sealed with AES-256-GCM under a key derived from the project's secret (HKDF):
 *   nothing in the token is readable, and the GCM tag authenticates it (a changed byte fails).
 * - Payload: purpose (1 byte), flags (1: a topic follows), expiry (uint32 Unix seconds, 0 = never),
 *   contact id (16 bytes), topic id (16 bytes, when flagged).
 *
 * Verifying costs no database query: a map lookup, one HKDF-derived key (cached) and one GCM open.
 */

export const CONSENT_PURPOSES = ['confirm', 'unsubscribe', 'preferences'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

const VERSION = 1;
const KEY_ID_BYTES = 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FLAG_TOPIC = 1;

/** A new signing secret: `csec_` + base64url of 32 random bytes. */
export function generateConsentSecret(): string {
  return `csec_${randomBytes(32).toString('base64url')}`;
}

/** The key material of one secret: its public key id and the AES key derived from it. */
export interface TokenKey {
  keyId: string;
  aesKey: Buffer;
}

export function tokenKey(secret: string): TokenKey {
  const keyId = createHmac('sha256', secret)
    .update('roster consent key id')
    .digest()
    .subarray(0, KEY_ID_BYTES);
  const aesKey = Buffer.from(hkdfSync('sha256', secret, 'roster', 'roster consent token v1', 32));
  return { keyId: keyId.toString('hex'), aesKey };
}

/** What a token says. */
export interface TokenClaims {
  purpose: ConsentPurpose;
  contactId: string;
  topicId: string | null;
  /** Unix seconds after which the token is refused; null: never. */
  expiresAt: number | null;
}

function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
}

function bytesUuid(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Seals `claims` under `key`. */
export function sealToken(key: TokenKey, claims: TokenClaims): string {
  const payload = Buffer.alloc(2 + 4 + 16 + (claims.topicId ? 16 : 0));
  payload[0] = CONSENT_PURPOSES.indexOf(claims.purpose);
  payload[1] = claims.topicId ? FLAG_TOPIC : 0;
  payload.writeUInt32BE(claims.expiresAt ?? 0, 2);
  uuidBytes(claims.contactId).copy(payload, 6);
  if (claims.topicId) uuidBytes(claims.topicId).copy(payload, 22);
  const iv = randomBytes(IV_BYTES);
  const head = Buffer.concat([Buffer.from([VERSION]), Buffer.from(key.keyId, 'hex')]);
  const cipher = createCipheriv('aes-256-gcm', key.aesKey, iv);
  cipher.setAAD(head);
  const sealed = Buffer.concat([cipher.update(payload), cipher.final()]);
  return Buffer.concat([head, iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** The key id a token names, or null when it is not shaped like a token. */
export function tokenKeyId(token: string): string | null {
  if (token.length < 40 || token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes[0] !== VERSION || bytes.length < 1 + KEY_ID_BYTES + IV_BYTES + 22 + TAG_BYTES) return null;
  return bytes.subarray(1, 1 + KEY_ID_BYTES).toString('hex');
}

/** The claims of a token sealed under `key`, or null when it was not (or was changed). Expiry is the caller's. */
export function openToken(key: TokenKey, token: string): TokenClaims | null {
  const bytes = Buffer.from(token, 'base64url');
  const head = bytes.subarray(0, 1 + KEY_ID_BYTES);
  const iv = bytes.subarray(head.length, head.length + IV_BYTES);
  const sealed = bytes.subarray(head.length + IV_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  let payload: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.aesKey, iv);
    decipher.setAAD(head);
    decipher.setAuthTag(tag);
    payload = Buffer.concat([decipher.update(sealed), decipher.final()]);
  } catch {
    return null;
  }
  const purpose = CONSENT_PURPOSES[payload[0]!];
  const hasTopic = payload[1] === FLAG_TOPIC;
  if (!purpose || payload.length !== (hasTopic ? 38 : 22)) return null;
  const expires = payload.readUInt32BE(2);
  return {
    purpose,
    contactId: bytesUuid(payload.subarray(6, 22)),
    topicId: hasTopic ? bytesUuid(payload.subarray(22, 38)) : null,
    expiresAt: expires === 0 ? null : expires,
  };
}
